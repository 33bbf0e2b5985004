/**
 * The object store of the staging-shaped variant's event logs: versitygw (an S3 server,
 * TEST_IMAGES.objectStore, built from its Go module by test/cluster/build.sh) in a namespace of
 * its own, as an in-cluster MinIO or Ceph RGW would be. A pod, not a process on the host: traffic
 * to the node's own address is not subject to NetworkPolicies here, traffic between pods is, so
 * only a pod proves the egress policies the platform writes for the store. It verifies every
 * request's AWS Signature V4 against one access key and secret, so an app that writes there has
 * used the credentials of the platform's Secret. Its data is a host directory, so the harness sees
 * the objects as files.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerSecurityContextJson, podSecurityContextJson, type RunAs } from '../../../lib/security';
import { expect, waitFor } from './checks';
import { run } from './kube';

const MINUTE = 60_000;
/** versitygw's default S3 port. */
export const OBJECT_STORE_PORT = 7070;
const UID = 65532;
const RUN_AS: RunAs = { user: UID, group: UID, fsGroup: UID };
const NAME = 'versitygw';

/** A running store: its endpoint, the credentials it accepts, and its data on the host. */
export interface ObjectStore {
  /** `http://<pod IP>:7070`. */
  readonly endpoint: string;
  /** The pod's IP: the platform's egress policies name it (`<ip>/32`). */
  readonly ip: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The posix root on the host: bucket `b`, object `k` is the file `<root>/b/k`. */
  readonly root: string;
  /** Files under `<root>/<path>` (empty when there is no such directory). */
  list(path: string): string[];
  /** The server's log (for failure messages). */
  log(): Promise<string>;
  /** Deletes the namespace's objects and the data. */
  uninstall(): Promise<void>;
}

function objects(namespace: string, image: string, root: string, accessKeyId: string, secretAccessKey: string): object[] {
  const labels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/part-of': 'spark-airflow-k8s-test' };
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: NAME, namespace, labels }, type: 'Opaque', stringData: { ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME, namespace, labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurityContextJson(RUN_AS),
            containers: [{
              name: NAME,
              image,
              args: ['--port', `:${OBJECT_STORE_PORT}`, 'posix', '/data'],
              envFrom: [{ secretRef: { name: NAME } }],
              ports: [{ name: 's3', containerPort: OBJECT_STORE_PORT }],
              readinessProbe: { tcpSocket: { port: 's3' }, periodSeconds: 2 },
              resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: containerSecurityContextJson(RUN_AS),
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            }],
            volumes: [{ name: 'data', hostPath: { path: root, type: 'Directory' } }],
          },
        },
      },
    },
  ];
}

/**
 * Installs the store in `namespace` (which must exist) with fresh random credentials and the given
 * buckets, and waits (bounded) until it is Ready and refuses an unsigned request.
 */
export async function installObjectStore(namespace: string, image: string, buckets: readonly string[]): Promise<ObjectStore> {
  const base = mkdtempSync(join(tmpdir(), 'sak-object-store-'));
  const root = join(base, 'root');
  for (const dir of [root, ...buckets.map((b) => join(root, b))]) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, UID, UID);
  }
  const accessKeyId = `SAK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const list = { apiVersion: 'v1', kind: 'List', items: objects(namespace, image, root, accessKeyId, secretAccessKey) };
  const uninstall = async () => {
    const del = await run('kubectl', ['delete', '--ignore-not-found', '--wait=true', '-f', '-'], 2 * MINUTE, JSON.stringify(list));
    rmSync(base, { recursive: true, force: true });
    expect(del.code === 0, `kubectl delete of the object store exited ${del.code}: ${del.stderr}`);
  };
  const log = async () => (await run('kubectl', ['-n', namespace, 'logs', `deploy/${NAME}`, '--tail=40'], MINUTE)).stdout;
  try {
    const apply = await run('kubectl', ['apply', '--server-side', '-f', '-'], 2 * MINUTE, JSON.stringify(list));
    expect(apply.code === 0, `kubectl apply of the object store exited ${apply.code}: ${apply.stderr}`);
    const rollout = await run('kubectl', ['-n', namespace, 'rollout', 'status', `deploy/${NAME}`, '--timeout=120s'], 3 * MINUTE);
    expect(rollout.code === 0, `the object store (versitygw) did not become Ready: ${rollout.stdout}${rollout.stderr}\n${await log()}`);
    const ip = (await run('kubectl', ['-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/name=${NAME}`, '-o', 'jsonpath={.items[0].status.podIP}'], MINUTE)).stdout.trim();
    expect(/^\d+\.\d+\.\d+\.\d+$/.test(ip), `the object store pod has no IP: ${JSON.stringify(ip)}`);
    const endpoint = `http://${ip}:${OBJECT_STORE_PORT}`;
    // an unsigned request is refused (403): the server is up and checks signatures
    await waitFor(`versitygw to answer on ${endpoint}`, 30_000, async (state) => {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
      state.last = `HTTP ${res.status}`;
      return res.status === 403 ? true : undefined;
    }, 500);
    const listFiles = (path: string) => { try { return readdirSync(join(root, path)); } catch { return []; } };
    return { endpoint, ip, accessKeyId, secretAccessKey, root, list: listFiles, log, uninstall };
  } catch (err) {
    await uninstall().catch(() => undefined);
    throw err;
  }
}
