/**
 * A storage provisioner for the real node of test/cluster (node.sh runs it as a host process):
 * the job kind's local-path or minikube's hostpath provisioner does, reduced to what one node needs.
 *
 * - A default StorageClass `standard` (provisioner {@link PROVISIONER}, reclaim Delete).
 * - Every Pending PVC of that class (or of no class) gets a hostPath PersistentVolume of the
 *   requested size and access modes, pre-bound to it (claimRef), in a fresh directory under
 *   PROVISIONER_ROOT that any uid may write (hostPath volumes ignore fsGroup).
 * - A Released volume of ours is deleted with its directory, as reclaimPolicy Delete promises:
 *   deleting the PVC (kubectl delete, pulumi destroy) leaves nothing behind.
 *
 * It watches (with resync on every reconnect); every action is logged on one line.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, StorageV1Api, Watch, type V1PersistentVolume, type V1PersistentVolumeClaim } from '@kubernetes/client-node';

export const PROVISIONER = 'spark-airflow-k8s.test/host-path';
export const STORAGE_CLASS = 'standard';
const OWNED = 'spark-airflow-k8s.test/provisioned-by';

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

function status(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

/** The PV name for a claim: stable, so a second pass never makes a second volume. */
export function volumeName(claim: V1PersistentVolumeClaim): string {
  return `pvc-${claim.metadata?.uid ?? ''}`;
}

/** The PersistentVolume that satisfies `claim`, as a hostPath directory under `root`. */
export function volumeFor(claim: V1PersistentVolumeClaim, root: string): V1PersistentVolume {
  const name = volumeName(claim);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [OWNED]: PROVISIONER, 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: claim.spec?.storageClassName ?? '',
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: join(root, name), type: 'DirectoryOrCreate' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace,
        name: claim.metadata?.name,
        uid: claim.metadata?.uid,
      },
    },
  };
}

async function main(): Promise<void> {
  const root = resolve(process.env.PROVISIONER_ROOT ?? '');
  if (!process.env.PROVISIONER_ROOT) throw new Error('PROVISIONER_ROOT (where volumes live) is not set');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);

  try {
    await storage.createStorageClass({
      body: {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: PROVISIONER,
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      },
    });
    log(`created default StorageClass ${STORAGE_CLASS}`);
  } catch (err) {
    if (status(err) !== 409) throw err;
  }

  const ours = (claim: V1PersistentVolumeClaim): boolean => {
    const cls = claim.spec?.storageClassName;
    return cls === undefined || cls === null || cls === '' || cls === STORAGE_CLASS;
  };

  async function provision(claim: V1PersistentVolumeClaim): Promise<void> {
    if (!ours(claim) || claim.spec?.volumeName || claim.status?.phase !== 'Pending' || claim.metadata?.deletionTimestamp) return;
    const pv = volumeFor(claim, root);
    const dir = pv.spec?.hostPath?.path as string;
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777); // mkdir's mode is masked by the umask
    try {
      await core.createPersistentVolume({ body: pv });
      log(`provisioned ${pv.metadata?.name} (${pv.spec?.capacity?.storage}) for ${claim.metadata?.namespace}/${claim.metadata?.name} at ${dir}`);
    } catch (err) {
      if (status(err) !== 409) throw err;
    }
  }

  async function reclaim(pv: V1PersistentVolume): Promise<void> {
    if (pv.metadata?.annotations?.[OWNED] !== PROVISIONER || pv.status?.phase !== 'Released') return;
    const name = pv.metadata?.name as string;
    try {
      await core.deletePersistentVolume({ name });
    } catch (err) {
      if (status(err) !== 404) throw err;
    }
    const dir = pv.spec?.hostPath?.path;
    if (dir && resolve(dir).startsWith(`${root}/`)) rmSync(dir, { recursive: true, force: true });
    log(`deleted released volume ${name} and its directory`);
  }

  const report = (what: string) => (err: unknown) => log(`${what} failed: ${(err as Error).message ?? String(err)}`);
  const watchLoop = (path: string, handle: (type: string, obj: unknown) => Promise<void>, resync: () => Promise<void>): void => {
    const start = (): void => {
      resync().catch(report(`resync of ${path}`));
      new Watch(kc)
        .watch(path, {}, (type, obj) => { handle(type, obj).catch(report(`${type} ${path}`)); }, (err) => {
          if (err) log(`watch ${path} ended: ${(err as Error).message ?? String(err)}; restarting`);
          setTimeout(start, 1000);
        })
        .catch((err: unknown) => { report(`watch ${path}`)(err); setTimeout(start, 2000); });
    };
    start();
  };

  watchLoop('/api/v1/persistentvolumeclaims', async (type, obj) => {
    if (type === 'ADDED' || type === 'MODIFIED') await provision(obj as V1PersistentVolumeClaim);
  }, async () => {
    for (const claim of (await core.listPersistentVolumeClaimForAllNamespaces()).items) await provision(claim);
  });
  watchLoop('/api/v1/persistentvolumes', async (type, obj) => {
    if (type === 'ADDED' || type === 'MODIFIED') await reclaim(obj as V1PersistentVolume);
  }, async () => {
    for (const pv of (await core.listPersistentVolume()).items) await reclaim(pv);
  });
  log(`provisioner ${PROVISIONER} watching PVCs; volumes under ${root}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    log(`provisioner failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
