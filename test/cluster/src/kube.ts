/**
 * Kubernetes access for the real-node scenario: typed clients from KUBECONFIG, kubectl for what a
 * user runs by hand (apply), a recorder of every pod a namespace sees, and short-lived probe pods.
 */
import { spawn } from 'node:child_process';
import {
  AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, Watch,
  type V1Pod,
} from '@kubernetes/client-node';
import { CheckFailure, sleep, waitFor } from './checks';

export interface Cluster {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
}

export function connect(): Cluster {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(`KUBECONFIG (${process.env.KUBECONFIG ?? 'unset'}) has no current cluster`);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

export function apiStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown };
  return typeof e.code === 'number' ? e.code : undefined;
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (kubectl is on PATH), at most `timeoutMs`; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], timeoutMs: number, input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CheckFailure(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input ?? '');
  });
}

/** What the recorder saw of one pod over its life. */
export interface SeenPod {
  readonly name: string;
  readonly namespace: string;
  labels: Record<string, string>;
  readonly phases: Set<string>;
  /** `container: reason (exit code)` of every terminated container state seen. */
  readonly terminations: Set<string>;
  readonly firstSeen: number;
  deleted: boolean;
  last: V1Pod;
}

/** Watches every pod of a namespace and remembers each one, also after it is deleted. */
export class PodRecorder {
  private readonly seen = new Map<string, SeenPod>();
  private abort?: AbortController;
  private stopped = false;

  constructor(private readonly cluster: Cluster, public readonly namespace: string) {}

  public async start(): Promise<void> {
    const list = await this.cluster.core.listNamespacedPod({ namespace: this.namespace });
    for (const pod of list.items) this.record(pod, false);
    await this.watch(list.metadata?.resourceVersion ?? '');
  }

  private async watch(resourceVersion: string): Promise<void> {
    if (this.stopped) return;
    this.abort = await new Watch(this.cluster.kc).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { resourceVersion: resourceVersion || undefined, allowWatchBookmarks: true },
      (type, obj: V1Pod) => {
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.record(obj, type === 'DELETED');
      },
      () => {
        // reconnect with a fresh list (a gap in events only delays what we see)
        if (!this.stopped) void sleep(500).then(() => this.start().catch(() => undefined));
      },
    );
  }

  private record(pod: V1Pod, deleted: boolean): void {
    const name = pod.metadata?.name ?? '';
    let s = this.seen.get(name);
    if (!s || (pod.metadata?.uid && s.last.metadata?.uid !== pod.metadata.uid)) {
      s = { name, namespace: this.namespace, labels: {}, phases: new Set(), terminations: new Set(), firstSeen: Date.now(), deleted: false, last: pod };
      this.seen.set(name, s);
    }
    s.labels = { ...(pod.metadata?.labels ?? {}) };
    s.last = pod;
    s.deleted ||= deleted;
    if (pod.status?.phase) s.phases.add(pod.status.phase);
    for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
      const t = cs.state?.terminated ?? cs.lastState?.terminated;
      if (t) s.terminations.add(`${cs.name}: ${t.reason ?? '?'} (${t.exitCode})`);
      if (cs.state?.running || cs.state?.terminated) s.phases.add(`container-started:${cs.name}`);
    }
  }

  /** Every pod seen whose labels include `labels`. */
  public pods(labels: Record<string, string> = {}): SeenPod[] {
    return [...this.seen.values()].filter((p) => Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  }

  public stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}

/** The log of a container (the current or, with `previous`, the last terminated one). */
export async function podLog(cluster: Cluster, namespace: string, name: string, container: string, previous = false): Promise<string> {
  return cluster.core.readNamespacedPodLog({ name, namespace, container, previous });
}

export interface ProbeResult {
  readonly exitCode: number | undefined;
  readonly log: string;
}

/**
 * Runs `command` in a short-lived pod (restricted security context, no token unless asked)
 * and returns its exit code and log. The pod is deleted afterwards.
 */
export async function runPod(
  cluster: Cluster,
  opts: {
    namespace: string; name: string; image: string; command: string[];
    labels?: Record<string, string>; serviceAccountName?: string; automountToken?: boolean; timeoutMs?: number;
    env?: Record<string, string>;
    /** Memory limit of the container. @default "512Mi" */
    memory?: string;
    /** Mount a writable emptyDir at /tmp (the root filesystem is read-only). @default false */
    tmp?: boolean;
  },
): Promise<ProbeResult> {
  const { namespace, name } = opts;
  await cluster.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await waitFor(`old pod ${namespace}/${name} gone`, 60_000, async () => {
    try { await cluster.core.readNamespacedPod({ namespace, name }); return undefined; } catch (err) { return apiStatus(err) === 404 ? true : undefined; }
  }, 500);
  await cluster.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { 'app.kubernetes.io/part-of': 'spark-airflow-k8s-test', ...(opts.labels ?? {}) } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: opts.automountToken ?? false,
        ...(opts.serviceAccountName ? { serviceAccountName: opts.serviceAccountName } : {}),
        terminationGracePeriodSeconds: 0,
        securityContext: { runAsNonRoot: true, runAsUser: 185, runAsGroup: 185, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'probe',
          image: opts.image,
          imagePullPolicy: 'IfNotPresent',
          command: opts.command,
          env: Object.entries(opts.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
          resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: opts.memory ?? '512Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          ...(opts.tmp ? { volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] } : {}),
        }],
        ...(opts.tmp ? { volumes: [{ name: 'tmp', emptyDir: {} }] } : {}),
      },
    },
  });
  try {
    const pod = await waitFor(`probe pod ${namespace}/${name} to finish`, opts.timeoutMs ?? 120_000, async (state) => {
      const p = await cluster.core.readNamespacedPod({ namespace, name });
      state.last = `phase ${p.status?.phase}`;
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
    }, 1000);
    const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
    const log = await podLog(cluster, namespace, name, 'probe').catch((err: unknown) => `(no log: ${(err as Error).message})`);
    return { exitCode, log };
  } finally {
    await cluster.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}
