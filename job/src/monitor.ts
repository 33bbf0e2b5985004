import { formatDuration, parseArgs, parseDuration, type OptionSpec } from './args';
import { ExitCode, UsageError } from './exit-codes';
import { apiStatus, describeApiError, type Kube, type LogStream, type Pod, type WatchEvent, type WatchHandle } from './kube-api';
import { DRIVER_CONTAINER, isDns1123Label } from './podname';

export interface MonitorOptions {
  readonly driverPod: string;
  readonly namespace: string;
  /** null: wait for ever. */
  readonly timeoutMs: number | null;
  /** Driver container to stream; default Spark's `spark-kubernetes-driver`, else the pod's first container. */
  readonly container: string;
}

/** How a monitored driver pod ended: the exit code and a one-line reason, then detail lines. */
export interface Outcome {
  readonly code: number;
  readonly reason: string;
  readonly details: readonly string[];
}

const MONITOR_SPEC: OptionSpec = {
  'driver-pod': 'string',
  namespace: 'string',
  timeout: 'string',
  container: 'string',
  help: 'boolean',
};

export function parseMonitorOptions(argv: readonly string[], env: NodeJS.ProcessEnv): MonitorOptions {
  const args = parseArgs('monitor', argv, MONITOR_SPEC);
  if (args.sawSeparator) {
    throw new UsageError('monitor: takes no arguments after "--"');
  }
  const driverPod = args.strings.get('driver-pod');
  if (driverPod === undefined) {
    throw new UsageError('monitor: --driver-pod is required (the driverPod of submit\'s return.json)');
  }
  if (!isDns1123Label(driverPod) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(driverPod)) {
    throw new UsageError(`monitor: --driver-pod "${driverPod}" is not a valid pod name`);
  }
  const namespace = args.strings.get('namespace') ?? (env.SPARK_NAMESPACE?.trim() || undefined);
  if (namespace === undefined) {
    throw new UsageError('monitor: --namespace is required (or set SPARK_NAMESPACE)');
  }
  if (!isDns1123Label(namespace)) {
    throw new UsageError(`monitor: --namespace "${namespace}" is not a valid namespace name`);
  }
  const timeout = args.strings.get('timeout');
  return {
    driverPod,
    namespace,
    timeoutMs: timeout === undefined ? null : parseDuration('monitor: --timeout', timeout),
    container: args.strings.get('container') ?? DRIVER_CONTAINER,
  };
}

const IMAGE_PULL_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'];
const EVICTION_REASONS = ['EvictionByEvictionAPI', 'PreemptionByScheduler', 'TerminationByKubelet'];

/** The container whose log and exit status we report. */
export function driverContainerName(pod: Pod, preferred: string): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  return names.includes(preferred) || names.length === 0 ? preferred : names[0];
}

function terminationDetails(message: string | undefined): string[] {
  if (!message || message.trim() === '') {
    return [];
  }
  const lines = message.trim().split('\n');
  return ['termination message:', ...lines.slice(-20).map((l) => `  ${l}`)];
}

function disruption(pod: Pod): { reason: string; message: string } | undefined {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'DisruptionTarget' && x.status === 'True');
  return c && c.reason && EVICTION_REASONS.includes(c.reason) ? { reason: c.reason, message: c.message ?? '' } : undefined;
}

function deletedOutcome(pod: Pod, container: string): Outcome {
  const name = pod.metadata?.name ?? '?';
  const evicted = disruption(pod);
  if (evicted) {
    return {
      code: ExitCode.EVICTED,
      reason: `driver pod ${name} was evicted (${evicted.reason})${evicted.message ? `: ${evicted.message}` : ''}`,
      details: [],
    };
  }
  const cs = (pod.status?.containerStatuses ?? []).find((s) => s.name === driverContainerName(pod, container));
  const term = cs?.state?.terminated;
  return {
    code: ExitCode.POD_DELETED,
    reason: `driver pod ${name} was deleted before it finished (last phase: ${pod.status?.phase ?? 'Unknown'})`,
    details: term ? [`container ${cs?.name} had terminated with exit code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}`] : [],
  };
}

/**
 * The outcome a pod state means, or undefined while the driver is still on its way.
 * Terminal: Succeeded, Failed (incl. OOMKilled and node-pressure eviction), an image that cannot
 * be pulled, and a pod being deleted after it stopped running.
 */
export function classifyPod(pod: Pod, container: string = DRIVER_CONTAINER): Outcome | undefined {
  const name = pod.metadata?.name ?? '?';
  const phase = pod.status?.phase;
  const cname = driverContainerName(pod, container);
  const cs = (pod.status?.containerStatuses ?? []).find((s) => s.name === cname);

  if (phase === 'Succeeded') {
    return { code: ExitCode.OK, reason: `driver pod ${name} succeeded`, details: [] };
  }
  if (phase === 'Failed') {
    if (pod.status?.reason === 'Evicted') {
      return {
        code: ExitCode.EVICTED,
        reason: `driver pod ${name} was evicted${pod.status.message ? `: ${pod.status.message}` : ''}`,
        details: [],
      };
    }
    if (pod.metadata?.deletionTimestamp || disruption(pod)) {
      return deletedOutcome(pod, container);
    }
    const term = cs?.state?.terminated ?? cs?.lastState?.terminated;
    if (term) {
      const reason = `driver pod ${name} failed: container ${cname} terminated with exit code ${term.exitCode}${term.reason ? ` (${term.reason})` : ''}`;
      return {
        code: term.reason === 'OOMKilled' ? ExitCode.OOM_KILLED : ExitCode.FAILED,
        reason,
        details: terminationDetails(term.message),
      };
    }
    const why = [pod.status?.reason, pod.status?.message].filter((x) => x).join(': ');
    return { code: ExitCode.FAILED, reason: `driver pod ${name} failed${why ? `: ${why}` : ' (no container status)'}`, details: [] };
  }
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && IMAGE_PULL_REASONS.includes(waiting.reason)) {
      return {
        code: ExitCode.IMAGE_PULL,
        reason: `driver pod ${name} cannot start: image "${s.image}" of container ${s.name} cannot be pulled (${waiting.reason})`,
        details: waiting.message ? [waiting.message] : [],
      };
    }
  }
  return undefined;
}

/**
 * Outcome of a DELETED watch event. A pod that had Succeeded succeeded; a Failed pod carrying a
 * deletionTimestamp was (most likely) failed by its deletion, so it counts as deleted or evicted.
 */
export function classifyDeleted(pod: Pod, container: string = DRIVER_CONTAINER): Outcome {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || (phase === 'Failed' && !pod.metadata?.deletionTimestamp)) {
    return classifyPod(pod, container) as Outcome;
  }
  return deletedOutcome(pod, container);
}

function containerStarted(pod: Pod, container: string): 'running' | 'terminated' | undefined {
  const cs = (pod.status?.containerStatuses ?? []).find((s) => s.name === driverContainerName(pod, container));
  if (cs?.state?.running) {
    return 'running';
  }
  if (cs?.state?.terminated || cs?.lastState?.terminated) {
    return 'terminated';
  }
  return undefined;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

/** A sortable key for an RFC3339(Nano) UTC timestamp, or undefined when it is not one. */
export function timestampKey(ts: string): string | undefined {
  const m = TIMESTAMP.exec(ts);
  if (m) {
    return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
  }
  const d = new Date(ts);
  if (!/^\d{4}-/.test(ts) || Number.isNaN(d.getTime())) {
    return undefined;
  }
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0').padEnd(9, '0')}`;
}

/**
 * Streams the driver log (lines carry kubelet timestamps, which we strip). When a follow stream
 * drops it resumes with sinceTime at the last whole second seen and skips lines already printed
 * (older timestamps, or the same timestamp and text). finish() prints whatever is left.
 */
export class DriverLog {
  private stream: LogStream | undefined;
  private lastKey: string | undefined;
  private readonly atLastKey = new Set<string>();
  private partial = '';
  private latest: Pod | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private printedAny = false;
  /** Consecutive follow attempts that ended without data (backoff, and one notice). */
  private failures = 0;
  private gotData = false;

  constructor(
    private readonly kube: Kube,
    private readonly namespace: string,
    private readonly podName: string,
    private readonly container: string,
    private readonly write: (text: string) => void,
    private readonly retryMs = 1000,
    private readonly notice: (line: string) => void = () => undefined,
  ) {}

  /** Starts following once the driver container has started; restarts a dropped stream. */
  ensure(pod: Pod): void {
    this.latest = pod;
    if (this.stopped || this.stream || containerStarted(pod, this.container) !== 'running') {
      return;
    }
    this.stream = this.open(true);
  }

  private open(follow: boolean): LogStream {
    const container = this.latest ? driverContainerName(this.latest, this.container) : this.container;
    const sinceTime = this.lastKey ? `${this.lastKey.slice(0, 19)}Z` : undefined;
    this.partial = '';
    this.gotData = false;
    const stream = this.kube.streamLog(this.namespace, this.podName, container, { follow, sinceTime }, (chunk) => {
      this.gotData = true;
      this.onChunk(chunk);
    });
    void stream.done.then((end) => {
      if (this.stream !== stream) {
        return;
      }
      this.stream = undefined;
      // A partial last line will come again, whole, in the next stream.
      this.partial = '';
      if (!this.stopped && follow) {
        this.failures = this.gotData || end.ok ? 0 : this.failures + 1;
        if (this.failures === 1) {
          this.notice(
            `spark-job monitor: cannot stream the driver log (${end.status ? `HTTP ${end.status}: ` : ''}${end.message || (end.status === 204 ? 'no log yet, the pod is not running on a node' : 'no data')}); retrying with backoff`,
          );
        }
        const delay = Math.min(this.retryMs * 2 ** Math.max(0, this.failures - 1), 30000);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (this.latest) {
            this.ensure(this.latest);
          }
        }, delay);
      }
    });
    return stream;
  }

  private onChunk(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.emit(line);
    }
  }

  private emit(line: string): void {
    const space = line.indexOf(' ');
    const ts = space >= 0 ? line.slice(0, space) : line;
    const key = timestampKey(ts);
    if (key === undefined) {
      this.out(line);
      return;
    }
    const text = space >= 0 ? line.slice(space + 1) : '';
    if (this.lastKey !== undefined && key < this.lastKey) {
      return;
    }
    if (key === this.lastKey) {
      if (this.atLastKey.has(text)) {
        return;
      }
    } else {
      this.lastKey = key;
      this.atLastKey.clear();
    }
    this.atLastKey.add(text);
    this.out(text);
  }

  private out(text: string): void {
    this.printedAny = true;
    this.write(`${text}\n`);
  }

  /** Lets a live stream drain (up to drainMs), then fetches and prints the rest of the log. */
  async finish(pod: Pod | undefined, drainMs = 3000): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (pod) {
      this.latest = pod;
    }
    const live = this.stream;
    if (live) {
      await raceTimeout(live.done, drainMs);
      live.abort();
      this.stream = undefined;
    }
    if (!this.latest || containerStarted(this.latest, this.container) === undefined) {
      return;
    }
    const rest = this.open(false);
    this.stream = rest;
    await raceTimeout(rest.done, 15000);
    rest.abort();
    this.stream = undefined;
    if (this.partial !== '') {
      this.emit(this.partial);
      this.partial = '';
    }
  }

  abort(): void {
    this.stopped = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
    }
    this.stream?.abort();
    this.stream = undefined;
  }

  get printed(): boolean {
    return this.printedAny;
  }
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface MonitorDeps {
  readonly kube: () => Kube;
  /** Raw driver log text (stdout). */
  readonly writeLog: (text: string) => void;
  /** Progress lines (stdout). */
  readonly info: (line: string) => void;
  /** Consecutive API failures tolerated before giving up (each retried with backoff). */
  readonly maxFailures: number;
  readonly backoffMs: (failures: number) => number;
  readonly logRetryMs: number;
  /** Server-side watch timeout; a watch silent for 60 s longer than this is restarted. */
  readonly watchTimeoutSeconds: number;
}

type WatchResult = { kind: 'outcome'; outcome: Outcome } | { kind: 'restart'; why: string; failed: boolean } | { kind: 'timeout' };

/**
 * `spark-job monitor`: list the pod, then watch it from the list's resourceVersion; on any
 * watch end (server timeout, dropped connection, 410 Gone) list again and resume. Streams the
 * driver log meanwhile. Resolves with the outcome; never rejects for API trouble (that is an
 * INTERNAL outcome after maxFailures consecutive failures).
 */
export async function monitor(opts: MonitorOptions, deps: MonitorDeps): Promise<Outcome> {
  const { namespace, driverPod } = opts;
  const kube = deps.kube();
  const log = new DriverLog(kube, namespace, driverPod, opts.container, deps.writeLog, deps.logRetryMs, deps.info);
  let lastPod: Pod | undefined;
  let failures = 0;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ kind: 'timeout' }>((resolve) => {
    if (opts.timeoutMs !== null) {
      timer = setTimeout(() => {
        timedOut = true;
        resolve({ kind: 'timeout' });
      }, opts.timeoutMs);
    }
  });
  const timeoutOutcome = (): Outcome => ({
    code: ExitCode.TIMEOUT,
    reason: `driver pod ${driverPod} did not finish within ${formatDuration(opts.timeoutMs ?? 0)} (last phase: ${lastPod?.status?.phase ?? 'unknown'})`,
    details: [],
  });
  const end = async (outcome: Outcome, podForLog: Pod | undefined): Promise<Outcome> => {
    clearTimeout(timer);
    if (outcome.code === ExitCode.TIMEOUT) {
      log.abort();
    } else {
      await log.finish(podForLog);
    }
    return outcome;
  };
  const seePod = (pod: Pod): Outcome | undefined => {
    lastPod = pod;
    const outcome = classifyPod(pod, opts.container);
    if (!outcome) {
      log.ensure(pod);
    }
    return outcome;
  };
  const failed = async (what: string, err: unknown): Promise<Outcome | undefined> => {
    const status = apiStatus(err);
    if (status === 401 || status === 403) {
      return { code: ExitCode.INTERNAL, reason: `cannot ${what} driver pod ${namespace}/${driverPod}: ${describeApiError(err)}`, details: [] };
    }
    failures++;
    if (failures > deps.maxFailures) {
      return {
        code: ExitCode.INTERNAL,
        reason: `cannot ${what} driver pod ${namespace}/${driverPod}: ${describeApiError(err)} (gave up after ${failures} consecutive failures)`,
        details: [],
      };
    }
    const wait = deps.backoffMs(failures);
    deps.info(`spark-job monitor: cannot ${what} driver pod (${describeApiError(err)}); retrying in ${wait}ms`);
    await Promise.race([new Promise((r) => setTimeout(r, wait)), timeout]);
    return undefined;
  };

  deps.info(`spark-job monitor: watching driver pod ${namespace}/${driverPod} (Kubernetes API via ${kube.source})`);
  for (;;) {
    if (timedOut) {
      return end(timeoutOutcome(), lastPod);
    }
    let listing;
    try {
      const r = await Promise.race([kube.listPod(namespace, driverPod), timeout]);
      if ('kind' in r) {
        return end(timeoutOutcome(), lastPod);
      }
      listing = r;
    } catch (err) {
      const outcome = await failed('list', err);
      if (outcome) {
        return end(outcome, lastPod);
      }
      continue;
    }
    if (!listing.pod) {
      const outcome: Outcome = lastPod
        ? deletedOutcome(lastPod, opts.container)
        : { code: ExitCode.POD_DELETED, reason: `driver pod ${driverPod} not found in namespace ${namespace} (deleted, or never created)`, details: [] };
      return end(outcome, undefined);
    }
    const now = seePod(listing.pod);
    if (now) {
      return end(now, listing.pod);
    }

    const started = Date.now();
    let events = 0;
    let handle: WatchHandle | undefined;
    let settled = false;
    let guard: NodeJS.Timeout | undefined;
    const result = await new Promise<WatchResult>((resolve) => {
      const onEvent = (event: WatchEvent): void => {
        events++;
        const obj = event.object as Pod & { code?: number; message?: string; reason?: string };
        switch (event.type) {
          case 'ADDED':
          case 'MODIFIED': {
            const outcome = seePod(obj);
            if (outcome) {
              resolve({ kind: 'outcome', outcome });
            }
            break;
          }
          case 'DELETED':
            lastPod = obj;
            resolve({ kind: 'outcome', outcome: classifyDeleted(obj, opts.container) });
            break;
          case 'ERROR':
            resolve(
              obj.code === 410
                ? { kind: 'restart', why: '410 Gone (resourceVersion too old)', failed: false }
                : { kind: 'restart', why: `watch error ${obj.code ?? ''} ${obj.reason ?? ''}: ${obj.message ?? ''}`.trim(), failed: true },
            );
            break;
          default:
            break; // BOOKMARK: nothing to do, we re-list on every restart
        }
      };
      const onDone = (err: unknown): void => {
        if (err && apiStatus(err) === 410) {
          resolve({ kind: 'restart', why: '410 Gone (resourceVersion too old)', failed: false });
        } else if (err) {
          resolve({ kind: 'restart', why: describeApiError(err), failed: true });
        } else {
          resolve({ kind: 'restart', why: 'watch closed by the server', failed: events === 0 && Date.now() - started < 1000 });
        }
      };
      void timeout.then(resolve);
      // A connection that died without a FIN would otherwise hang here for ever.
      guard = setTimeout(
        () => resolve({ kind: 'restart', why: 'watch silent past its timeout', failed: false }),
        (deps.watchTimeoutSeconds + 60) * 1000,
      );
      kube.watchPod(namespace, driverPod, listing.resourceVersion, deps.watchTimeoutSeconds, onEvent, onDone).then(
        (h) => {
          handle = h;
          if (settled) {
            h.stop();
          }
        },
        (err: unknown) => onDone(err ?? new Error('watch failed')),
      );
    });
    settled = true;
    clearTimeout(guard);
    handle?.stop();
    if (result.kind === 'timeout') {
      return end(timeoutOutcome(), lastPod);
    }
    if (result.kind === 'outcome') {
      return end(result.outcome, lastPod);
    }
    deps.info(`spark-job monitor: watch ended (${result.why}); listing again`);
    if (result.failed) {
      const outcome = await failed('watch', new Error(result.why));
      if (outcome) {
        return end(outcome, lastPod);
      }
    } else if (events > 0) {
      failures = 0;
    }
  }
}

export function defaultBackoffMs(failures: number): number {
  return Math.min(500 * 2 ** (failures - 1), 10000);
}

