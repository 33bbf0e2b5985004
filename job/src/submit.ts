import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type OptionSpec } from './args';
import { CliError, ExitCode, UsageError } from './exit-codes';
import { describeApiError, type Kube, type Pod, type Secret } from './kube-api';
import { classifyFailure, parseDeployment, parseStandaloneAppId, relevantLines } from './parse';
import { appAuthSecretName, driverPodName, isLabelKey, isLabelValue, toLabelValue } from './podname';
import { K8S_PORTS, portConfs, STANDALONE_PORTS } from './ports';
import { buildReturnValue, writeReturnJson, xcomFile, type ReturnValue, type Target } from './xcom';

export const DEFAULT_K8S_MASTER = 'k8s://https://kubernetes.default.svc';
const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Label keys spark-job puts on the driver and executor pods. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  appName: 'spark-airflow-k8s/app-name',
  runId: 'spark-airflow-k8s/run-id',
  dagId: 'spark-airflow-k8s/dag-id',
  taskId: 'spark-airflow-k8s/task-id',
} as const;

export interface SubmitOptions {
  readonly appName: string;
  readonly runId: string;
  readonly target: Target;
  /** k8s: the namespace of the driver. standalone: the submitting pod's namespace, if known. */
  readonly namespace: string | null;
  readonly driverServiceAccount: string | null;
  readonly replaceFailed: boolean;
  readonly dagId: string | null;
  readonly taskId: string | null;
  /** User labels from --label, validated. */
  readonly labels: Readonly<Record<string, string>>;
  readonly masterUrl: string;
  readonly driverPodTemplate: string | null;
  readonly executorPodTemplate: string | null;
  readonly sparkHome: string;
  readonly xcomFile: string;
  /** k8s: the deterministic driver pod name. standalone: POD_NAME (the driver runs in this pod), if known. */
  readonly driverPod: string | null;
  /** standalone: the address executors reach the driver at. */
  readonly driverHost: string;
  readonly driverBindAddress: string;
  /** The spark-submit arguments after `--`. */
  readonly sparkArgs: readonly string[];
}

const SUBMIT_SPEC: OptionSpec = {
  name: 'string',
  'run-id': 'string',
  target: 'string',
  namespace: 'string',
  'driver-service-account': 'string',
  'replace-failed': 'boolean',
  label: 'list',
  'dag-id': 'string',
  'task-id': 'string',
  'master-url': 'string',
  'driver-pod-template': 'string',
  'executor-pod-template': 'string',
  help: 'boolean',
};

/** Where the app's authentication Secret is mounted in its driver and executors. */
export const AUTH_MOUNT_PATH = '/opt/spark-job/auth';
/** The key of the app's authentication Secret (a file of that name under AUTH_MOUNT_PATH). */
export const AUTH_SECRET_KEY = 'secret';

/**
 * What makes a Kubernetes app authenticate and encrypt its RPC: Spark reads the key from a file
 * of the app's own Secret, mounted in the driver and every executor. Without the file confs,
 * Spark would generate a key and hand it to executors as a literal pod env var, readable by
 * anyone who may read pods. Another app's executors have another key and are refused.
 */
export function authConfs(secretName: string, masterUrl: string): Record<string, string> {
  const file = `${AUTH_MOUNT_PATH}/${AUTH_SECRET_KEY}`;
  return {
    'spark.authenticate': 'true',
    'spark.network.crypto.enabled': 'true',
    // No downgrade to SASL DIGEST-MD5: every peer of the app is a Spark 4 process of the app
    // (no external shuffle service), and all speak the AES-based protocol.
    'spark.network.crypto.saslFallback': 'false',
    [`spark.kubernetes.driver.secrets.${secretName}`]: AUTH_MOUNT_PATH,
    [`spark.kubernetes.executor.secrets.${secretName}`]: AUTH_MOUNT_PATH,
    // The generic one too: an executor's first connection (CoarseGrainedExecutorBackend's
    // driverPropsFetcher) reads spark.authenticate.secret.file, not the executor's own conf
    // (seen on the real node: "A secret key must be specified via the spark.authenticate.secret config").
    'spark.authenticate.secret.file': file,
    'spark.authenticate.secret.driver.file': file,
    'spark.authenticate.secret.executor.file': file,
    // Spark reads a key file only when `spark.master` is a k8s:// URL (SecurityManager
    // .secretKeyFromFile), and an executor's first connection runs before it has the driver's
    // confs: without spark.master it finds no key ("A secret key must be specified via the
    // spark.authenticate.secret config", seen on the real node). The image's entrypoint passes
    // every SPARK_JAVA_OPT_* variable to the executor's JVM.
    [`spark.executorEnv.${EXECUTOR_MASTER_ENV}`]: `-Dspark.master=${masterUrl}`,
  };
}

/** The executor environment variable that gives its JVM `spark.master` (see authConfs). */
export const EXECUTOR_MASTER_ENV = 'SPARK_JAVA_OPT_SPARK_JOB_MASTER';

/** Options spark-job sets itself; passing them after `--` would break adoption or the target. */
const OWNED_OPTIONS = ['--master', '--deploy-mode', '--name'];
/** Confs spark-job sets for every target (mirrored by OWNED_CONFS in dags/spark_tasks.py). */
export const OWNED_CONFS: readonly string[] = [
  'spark.master',
  'spark.submit.deployMode',
  'spark.app.name',
  'spark.kubernetes.namespace',
  'spark.kubernetes.driver.pod.name',
  'spark.kubernetes.submission.waitAppCompletion',
  // the NetworkPolicies open exactly these (src/ports.ts)
  ...Object.keys(portConfs(K8S_PORTS)),
];
/** Confs spark-job also sets for --target k8s: authentication (mirrored by K8S_OWNED_CONFS in dags/spark_tasks.py). */
export const K8S_OWNED_CONFS: readonly string[] = [
  ...Object.keys(authConfs('x', DEFAULT_K8S_MASTER)).filter((key) => !key.includes('.secrets.')),
  'spark.authenticate.secret',
];

function checkSparkArgs(args: readonly string[], target: Target): void {
  const owned = target === 'k8s' ? [...OWNED_CONFS, ...K8S_OWNED_CONFS] : OWNED_CONFS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const option = arg.split('=')[0];
    if (OWNED_OPTIONS.includes(option)) {
      throw new UsageError(`submit: spark-submit argument ${option} is set by spark-job; use spark-job's own options instead`);
    }
    let conf: string | undefined;
    if (arg === '--conf' || arg === '-c') {
      conf = args[i + 1];
      i++;
    } else if (arg.startsWith('--conf=')) {
      conf = arg.slice('--conf='.length);
    }
    const key = conf?.split('=')[0];
    if (key !== undefined && owned.includes(key)) {
      throw new UsageError(`submit: spark-submit --conf ${key} is set by spark-job${target === 'k8s' && K8S_OWNED_CONFS.includes(key) ? ' (every Kubernetes app authenticates with a key of its own)' : ''} and cannot be overridden`);
    }
  }
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

export interface SubmitEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly fileExists: (path: string) => boolean;
  readonly readFile: (path: string) => string | undefined;
}

export const realSubmitEnvironment = (env: NodeJS.ProcessEnv = process.env): SubmitEnvironment => ({
  env,
  fileExists: existsSync,
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
});

/** Reads and validates `spark-job submit` arguments; every problem is a UsageError naming the option. */
export function parseSubmitOptions(argv: readonly string[], { env, fileExists, readFile }: SubmitEnvironment): SubmitOptions {
  const args = parseArgs('submit', argv, SUBMIT_SPEC);
  const str = (name: string): string | undefined => args.strings.get(name);

  const appName = str('name');
  if (appName === undefined || appName.trim() === '') {
    throw new UsageError('submit: --name is required (the Spark application name)');
  }
  const runId = str('run-id') ?? nonEmpty(env, 'AIRFLOW_CTX_DAG_RUN_ID');
  if (runId === undefined || runId.trim() === '') {
    throw new UsageError('submit: --run-id is required (the Airflow run id, e.g. {{ run_id }})');
  }
  const targetText = str('target') ?? 'k8s';
  if (targetText !== 'k8s' && targetText !== 'standalone') {
    throw new UsageError(`submit: --target must be "k8s" or "standalone", got "${targetText}"`);
  }
  const target: Target = targetText;
  if (!args.sawSeparator || args.rest.length === 0) {
    throw new UsageError('submit: spark-submit arguments are missing: put them after "--" (e.g. -- local:///opt/spark-job/apps/pi.py)');
  }
  checkSparkArgs(args.rest, target);

  const labels: Record<string, string> = {};
  for (const label of args.lists.get('label') ?? []) {
    const eq = label.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`submit: --label "${label}" must look like key=value`);
    }
    const key = label.slice(0, eq);
    const value = label.slice(eq + 1);
    if (!isLabelKey(key)) {
      throw new UsageError(`submit: --label "${label}": "${key}" is not a valid Kubernetes label key`);
    }
    if (!isLabelValue(value)) {
      throw new UsageError(
        `submit: --label "${label}": "${value}" is not a valid Kubernetes label value (at most 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends)`,
      );
    }
    labels[key] = value;
  }

  const template = (flag: string, envName: string): string | null => {
    const path = str(flag) ?? nonEmpty(env, envName);
    if (path === undefined) {
      return null;
    }
    if (!fileExists(path)) {
      throw new UsageError(`submit: --${flag} "${path}": file not found${str(flag) === undefined ? ` (from ${envName})` : ''}`);
    }
    return path;
  };

  let namespace: string | null;
  let masterUrl: string;
  let driverPod: string | null;
  if (target === 'k8s') {
    namespace = str('namespace') ?? nonEmpty(env, 'SPARK_NAMESPACE') ?? readFile(SERVICE_ACCOUNT_NAMESPACE_FILE)?.trim() ?? null;
    if (namespace === null || namespace === '') {
      throw new UsageError('submit: no namespace: give --namespace or set SPARK_NAMESPACE');
    }
    masterUrl = str('master-url') ?? nonEmpty(env, 'SPARK_JOB_K8S_MASTER') ?? DEFAULT_K8S_MASTER;
    if (!masterUrl.startsWith('k8s://')) {
      throw new UsageError(`submit: --master-url "${masterUrl}" must start with k8s:// for --target k8s`);
    }
    driverPod = driverPodName(appName, runId);
  } else {
    namespace = str('namespace') ?? nonEmpty(env, 'POD_NAMESPACE') ?? null;
    const master = str('master-url') ?? nonEmpty(env, 'SPARK_MASTER_URL');
    if (master === undefined) {
      throw new UsageError('submit: --target standalone needs --master-url or SPARK_MASTER_URL (spark://host:7077)');
    }
    if (!master.startsWith('spark://')) {
      throw new UsageError(`submit: --master-url "${master}" must start with spark:// for --target standalone`);
    }
    masterUrl = master;
    driverPod = nonEmpty(env, 'POD_NAME') ?? null;
  }
  if (namespace !== null && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new UsageError(`submit: --namespace "${namespace}" is not a valid namespace name`);
  }

  const podIp = nonEmpty(env, 'POD_IP');
  return {
    appName,
    runId,
    target,
    namespace,
    driverServiceAccount: str('driver-service-account') ?? nonEmpty(env, 'SPARK_DRIVER_SERVICE_ACCOUNT') ?? null,
    replaceFailed: args.booleans.has('replace-failed'),
    dagId: str('dag-id') ?? nonEmpty(env, 'AIRFLOW_CTX_DAG_ID') ?? null,
    taskId: str('task-id') ?? nonEmpty(env, 'AIRFLOW_CTX_TASK_ID') ?? null,
    labels,
    masterUrl,
    driverPodTemplate: template('driver-pod-template', 'SPARK_JOB_DRIVER_POD_TEMPLATE'),
    executorPodTemplate: template('executor-pod-template', 'SPARK_JOB_EXECUTOR_POD_TEMPLATE'),
    sparkHome: nonEmpty(env, 'SPARK_HOME') ?? '/opt/spark',
    xcomFile: xcomFile(env),
    driverPod,
    driverHost: podIp ?? '127.0.0.1',
    driverBindAddress: podIp ? '0.0.0.0' : '127.0.0.1',
    sparkArgs: args.rest,
  };
}

/** The labels put on driver and executor pods, tying them to the Airflow dag, run and task. */
export function podLabels(opts: SubmitOptions): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managedBy]: 'spark-job',
    [LABELS.appName]: toLabelValue(opts.appName),
    [LABELS.runId]: toLabelValue(opts.runId),
  };
  if (opts.dagId) {
    labels[LABELS.dagId] = toLabelValue(opts.dagId);
  }
  if (opts.taskId) {
    labels[LABELS.taskId] = toLabelValue(opts.taskId);
  }
  return { ...labels, ...opts.labels };
}

/** spark-submit arguments for a Kubernetes cluster-mode submit that returns once the driver pod exists. */
export function buildK8sSubmitArgs(opts: SubmitOptions): string[] {
  if (opts.driverPod === null || opts.namespace === null) {
    throw new Error('k8s submit needs a driver pod name and a namespace');
  }
  const conf = (key: string, value: string): string[] => ['--conf', `${key}=${value}`];
  const args = [
    '--master',
    opts.masterUrl,
    '--deploy-mode',
    'cluster',
    '--name',
    opts.appName,
    ...conf('spark.kubernetes.namespace', opts.namespace),
    ...conf('spark.kubernetes.driver.pod.name', opts.driverPod),
    ...conf('spark.kubernetes.submission.waitAppCompletion', 'false'),
    ...Object.entries(portConfs(K8S_PORTS)).flatMap(([key, value]) => conf(key, value)),
    ...Object.entries(authConfs(appAuthSecretName(opts.driverPod), opts.masterUrl)).flatMap(([key, value]) => conf(key, value)),
  ];
  if (opts.driverServiceAccount) {
    args.push(...conf('spark.kubernetes.authenticate.driver.serviceAccountName', opts.driverServiceAccount));
  }
  for (const [key, value] of Object.entries(podLabels(opts))) {
    args.push(...conf(`spark.kubernetes.driver.label.${key}`, value));
    args.push(...conf(`spark.kubernetes.executor.label.${key}`, value));
  }
  if (opts.driverPodTemplate) {
    args.push(...conf('spark.kubernetes.driver.podTemplateFile', opts.driverPodTemplate));
  }
  if (opts.executorPodTemplate) {
    args.push(...conf('spark.kubernetes.executor.podTemplateFile', opts.executorPodTemplate));
  }
  return [...args, ...opts.sparkArgs];
}

/** spark-submit arguments for a client-mode run against a standalone master; returns when the app ends. */
export function buildStandaloneSubmitArgs(opts: SubmitOptions): string[] {
  return [
    '--master',
    opts.masterUrl,
    '--deploy-mode',
    'client',
    '--name',
    opts.appName,
    '--conf',
    `spark.driver.host=${opts.driverHost}`,
    '--conf',
    `spark.driver.bindAddress=${opts.driverBindAddress}`,
    ...Object.entries(portConfs(STANDALONE_PORTS)).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
    ...opts.sparkArgs,
  ];
}

export interface SparkSubmitResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  /** stdout and stderr as printed (the last few MiB when very long). */
  readonly output: string;
}

export interface SubmitDeps {
  readonly kube: () => Kube;
  readonly runSparkSubmit: (command: string, args: readonly string[], onLine: (line: string) => void, env?: Readonly<Record<string, string>>) => Promise<SparkSubmitResult>;
  readonly now: () => Date;
  /** Progress lines (stdout). */
  readonly info: (line: string) => void;
  /** Waits between polls while a replaced pod goes away. */
  readonly sleep: (ms: number) => Promise<void>;
  /** How long to wait for a deleted driver pod to disappear. */
  readonly deleteTimeoutMs: number;
  /**
   * How long after its creation a Pending driver pod may still lack its ConfigMaps because
   * spark-submit is creating them; after that, the submit that created it was interrupted.
   */
  readonly interruptedSubmitGraceMs: number;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;

/** spark-submit processes running now (the CLI passes SIGTERM/SIGINT on to them). */
export const activeChildren = new Set<ChildProcess>();

/** Runs spark-submit, copying its stdout and stderr to ours and keeping them for parsing. */
export function runSparkSubmitProcess(command: string, args: readonly string[], onLine: (line: string) => void, env: Readonly<Record<string, string>> = {}): Promise<SparkSubmitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONHASHSEED: process.env.PYTHONHASHSEED ?? '0', ...env },
    });
    activeChildren.add(child);
    let output = '';
    const partial = { stdout: '', stderr: '' };
    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      process.stdout.write(text);
      output += text;
      if (output.length > OUTPUT_LIMIT) {
        output = output.slice(output.length - OUTPUT_LIMIT / 2);
      }
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      lines.forEach(onLine);
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    child.on('error', (err: NodeJS.ErrnoException) => {
      activeChildren.delete(child);
      reject(
        new CliError(
          ExitCode.INTERNAL,
          err.code === 'ENOENT' ? `spark-submit not found at ${command} (is SPARK_HOME right?)` : `cannot run ${command}: ${err.message}`,
        ),
      );
    });
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) {
        return;
      }
      finished = true;
      activeChildren.delete(child);
      for (const rest of [partial.stdout, partial.stderr]) {
        if (rest !== '') {
          onLine(rest);
        }
      }
      resolve({ code, signal, output });
    };
    child.on('close', finish);
    // A grandchild that inherited the pipes must not keep us waiting after spark-submit exited.
    child.on('exit', (code, signal) => {
      setTimeout(() => finish(code, signal), 2000).unref();
    });
  });
}

function podPhase(pod: Pod): string {
  return pod.status?.phase ?? 'Unknown';
}

function describeFailedPod(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const terminated = statuses.map((s) => ({ name: s.name, t: s.state?.terminated ?? s.lastState?.terminated })).find((s) => s.t);
  if (terminated?.t) {
    return `container ${terminated.name} terminated with exit code ${terminated.t.exitCode}${terminated.t.reason ? ` (${terminated.t.reason})` : ''}`;
  }
  return pod.status?.reason ? `${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ''}` : 'phase Failed';
}

/** The return value for a driver pod found in the cluster (a retry adopting an earlier try's driver). */
export function adoptedReturnValue(opts: SubmitOptions, pod: Pod): ReturnValue {
  const name = pod.metadata?.name ?? opts.driverPod;
  const namespace = pod.metadata?.namespace ?? opts.namespace;
  const created = pod.metadata?.creationTimestamp;
  return buildReturnValue({
    driverPod: name,
    namespace,
    appName: opts.appName,
    appId: pod.metadata?.labels?.['spark-app-selector'] ?? null,
    submissionId: name && namespace ? `${namespace}:${name}` : null,
    submittedAt: created ? new Date(created) : new Date(0),
    target: 'k8s',
  });
}

function apiError(action: string, err: unknown): CliError {
  if (err instanceof CliError) {
    return err;
  }
  return new CliError(ExitCode.INTERNAL, `${action}: ${describeApiError(err)}`);
}

async function waitUntilGone(kube: Kube, deps: SubmitDeps, namespace: string, name: string): Promise<void> {
  const deadline = Date.now() + deps.deleteTimeoutMs;
  for (;;) {
    const pod = await kube.getPod(namespace, name).catch((err: unknown) => {
      throw apiError(`cannot read driver pod ${namespace}/${name}`, err);
    });
    if (!pod) {
      return;
    }
    if (Date.now() > deadline) {
      throw new CliError(ExitCode.INTERNAL, `driver pod ${namespace}/${name} still exists ${Math.round(deps.deleteTimeoutMs / 1000)}s after deleting it`);
    }
    await deps.sleep(1000);
  }
}

async function adopt(opts: SubmitOptions, deps: SubmitDeps, kube: Kube, pod: Pod, why: string): Promise<number> {
  const secretName = appAuthSecretName(pod.metadata?.name ?? (opts.driverPod as string));
  if ((pod.spec?.volumes ?? []).some((v) => v.secret?.secretName === secretName)) {
    // An earlier try may have stopped between spark-submit and the Secret: the driver waits for it.
    await ensureAuthSecret(kube, deps, opts, pod);
  }
  const value = adoptedReturnValue(opts, pod);
  writeReturnJson(value, opts.xcomFile);
  deps.info(`spark-job submit: ${why}: adopted driver pod ${value.namespace}/${value.driverPod} (phase ${podPhase(pod)}), spark-submit not run`);
  deps.info(`spark-job submit: wrote ${opts.xcomFile}`);
  return ExitCode.OK;
}

/**
 * Creates the app's authentication Secret (a random 256-bit key), owned by its driver pod so
 * that Kubernetes deletes it with the pod. The driver and executors mount it (authConfs) and wait
 * in ContainerCreating until it exists, the kubelet retrying the mount; it is created as soon as
 * the pod exists (createSecretWhenPodAppears), as its UID is only known then. An earlier try's
 * Secret is kept.
 * The submitter needs only `create` on Secrets: it never reads one.
 */
async function ensureAuthSecret(kube: Kube, deps: SubmitDeps, opts: SubmitOptions, pod: Pod): Promise<void> {
  const namespace = pod.metadata?.namespace ?? (opts.namespace as string);
  const podName = pod.metadata?.name ?? (opts.driverPod as string);
  const uid = pod.metadata?.uid;
  const name = appAuthSecretName(podName);
  if (!uid) {
    throw new CliError(ExitCode.INTERNAL, `driver pod ${namespace}/${podName} has no UID to own its authentication Secret ${name}`);
  }
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    immutable: true,
    metadata: {
      name,
      namespace,
      labels: { ...podLabels(opts), 'app.kubernetes.io/component': 'spark-app-auth' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: podName, uid }],
    },
    data: { [AUTH_SECRET_KEY]: randomBytes(32).toString('base64') },
  };
  const result = await kube.createSecret(namespace, secret);
  deps.info(
    result === 'created'
      ? `spark-job submit: created authentication Secret ${namespace}/${name} for the app (owned by its driver pod)`
      : `spark-job submit: authentication Secret ${namespace}/${name} exists from an earlier try; kept`,
  );
}

/**
 * Whether a Pending driver pod lacks a ConfigMap it mounts, also `interruptedSubmitGraceMs` after
 * its creation (so that a spark-submit still running has had time to create them).
 */
async function interruptedSubmit(kube: Kube, deps: SubmitDeps, pod: Pod): Promise<boolean> {
  const namespace = pod.metadata?.namespace as string;
  const names = (pod.spec?.volumes ?? []).map((v) => v.configMap?.name).filter((n): n is string => !!n);
  const missing = async (): Promise<boolean> => {
    for (const name of names) {
      const exists = await kube.configMapExists(namespace, name).catch((err: unknown) => {
        throw apiError(`cannot read ConfigMap ${namespace}/${name} of driver pod ${pod.metadata?.name}`, err);
      });
      if (!exists) return true;
    }
    return false;
  };
  if (names.length === 0 || !(await missing())) return false;
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
  const wait = created + deps.interruptedSubmitGraceMs - deps.now().getTime();
  if (wait > 0) {
    await deps.sleep(wait);
  }
  return missing();
}

/**
 * Watches for the driver pod spark-submit is about to create and creates the app's Secret as
 * soon as it appears. `outcome` settles once the Secret is created, creating it failed, or
 * `stop()` was called (spark-submit ended) before the pod was seen; it never rejects. A watch
 * that cannot start or drops is not an error: the caller then creates the Secret afterwards.
 */
async function createSecretWhenPodAppears(
  kube: Kube, deps: SubmitDeps, opts: SubmitOptions, namespace: string, podName: string,
): Promise<{ outcome: Promise<{ created: boolean; error?: unknown }>; stop: () => void }> {
  let settle: (value: { created: boolean; error?: unknown }) => void = () => undefined;
  const outcome = new Promise<{ created: boolean; error?: unknown }>((resolve) => (settle = resolve));
  let handle: { stop(): void } | undefined;
  let stopped = false;
  let creating: Promise<void> | undefined;
  const onEvent = (event: { type: string; object: unknown }): void => {
    const pod = event.object as Pod;
    if (creating || stopped || (event.type !== 'ADDED' && event.type !== 'MODIFIED') || pod.metadata?.name !== podName || !pod.metadata.uid) return;
    creating = ensureAuthSecret(kube, deps, opts, pod).then(
      () => settle({ created: true }),
      (error: unknown) => settle({ created: false, error }),
    );
  };
  try {
    const listing = await kube.listPod(namespace, podName);
    handle = await kube.watchPod(namespace, podName, listing.resourceVersion, 300, onEvent, () => {
      if (!creating) settle({ created: false });
    });
  } catch {
    settle({ created: false });
  }
  return {
    outcome,
    stop: () => {
      stopped = true;
      handle?.stop();
      if (!creating) settle({ created: false });
    },
  };
}

/** `spark-job submit --target k8s`: adopt an earlier try's driver, or run spark-submit in cluster mode. */
export async function submitK8s(opts: SubmitOptions, deps: SubmitDeps): Promise<number> {
  const namespace = opts.namespace as string;
  const podName = opts.driverPod as string;
  const kube = deps.kube();
  deps.info(`spark-job submit: driver pod ${namespace}/${podName} (Kubernetes API via ${kube.source})`);

  const existing = await kube.getPod(namespace, podName).catch((err: unknown) => {
    throw apiError(`cannot check for an earlier driver pod ${namespace}/${podName}`, err);
  });
  if (existing) {
    const phase = podPhase(existing);
    if (existing.metadata?.deletionTimestamp) {
      deps.info(`spark-job submit: driver pod ${namespace}/${podName} from an earlier try is being deleted; waiting until it is gone`);
      await waitUntilGone(kube, deps, namespace, podName);
    } else if (phase === 'Pending' && (await interruptedSubmit(kube, deps, existing))) {
      // spark-submit creates the pod first and its ConfigMaps (Spark conf, pod template) next:
      // an earlier try stopped in between left a pod that can never start. Nothing ran in it.
      deps.info(`spark-job submit: driver pod ${namespace}/${podName} from an earlier try never got its ConfigMaps (that submit was interrupted): deleting it and submitting again`);
      await kube.deletePod(namespace, podName).catch((err: unknown) => {
        throw apiError(`cannot delete the never-started driver pod ${namespace}/${podName}`, err);
      });
      await waitUntilGone(kube, deps, namespace, podName);
    } else if (phase !== 'Failed') {
      return await adopt(opts, deps, kube, existing, 'retry');
    } else if (!opts.replaceFailed) {
      throw new CliError(
        ExitCode.PREVIOUS_DRIVER_FAILED,
        `driver pod ${namespace}/${podName} from an earlier try failed (${describeFailedPod(existing)}); pass --replace-failed to delete it and submit again`,
      );
    } else {
      deps.info(`spark-job submit: deleting failed driver pod ${namespace}/${podName} from an earlier try (--replace-failed)`);
      await kube.deletePod(namespace, podName).catch((err: unknown) => {
        throw apiError(`cannot delete failed driver pod ${namespace}/${podName}`, err);
      });
      await waitUntilGone(kube, deps, namespace, podName);
    }
  }

  const command = join(opts.sparkHome, 'bin', 'spark-submit');
  // The app's Secret is created the moment the driver pod appears, while spark-submit is still
  // running: the kubelet retries a missing Secret's mount with a growing backoff, so every
  // second counts for the driver's start. After spark-submit, the same is done if the watch missed it.
  const early = await createSecretWhenPodAppears(kube, deps, opts, namespace, podName);
  let result: SparkSubmitResult;
  try {
    result = await deps.runSparkSubmit(command, buildK8sSubmitArgs(opts), () => undefined);
  } finally {
    early.stop();
  }
  const earlyOutcome = await early.outcome;
  const failure = classifyFailure(result.output);
  const deployment = parseDeployment(result.output);

  if (result.code === 0 && deployment) {
    if (deployment.driverPod !== podName) {
      deps.info(`spark-job submit: warning: spark-submit reported driver pod ${deployment.driverPod}, expected ${podName}`);
    }
    let secretError: unknown = earlyOutcome.error;
    if (!earlyOutcome.created && secretError === undefined) {
      const created = await kube.getPod(namespace, podName).catch((err: unknown) => {
        throw apiError(`spark-submit created driver pod ${namespace}/${podName}, and reading it failed`, err);
      });
      if (!created) {
        throw new CliError(ExitCode.FAILED, `spark-submit reported driver pod ${namespace}/${podName}, but it does not exist (deleted already?)`);
      }
      secretError = await ensureAuthSecret(kube, deps, opts, created).then(() => undefined, (err: unknown) => err ?? new Error('unknown error'));
    }
    if (secretError !== undefined) {
      // Without its Secret the driver would wait in ContainerCreating for ever: remove it.
      await kube.deletePod(namespace, podName).catch(() => undefined);
      throw new CliError(
        ExitCode.FAILED,
        `cannot create the app's authentication Secret ${namespace}/${appAuthSecretName(podName)}: ${secretError instanceof CliError ? secretError.message : describeApiError(secretError)}; ` +
          `driver pod ${namespace}/${podName} was deleted (it cannot start without it). Check the submitter's RBAC (create secrets in ${namespace})`,
      );
    }
    const value = buildReturnValue({
      driverPod: deployment.driverPod,
      namespace: deployment.namespace ?? namespace,
      appName: deployment.appName,
      appId: deployment.appId,
      submissionId: deployment.submissionId,
      submittedAt: deps.now(),
      target: 'k8s',
    });
    writeReturnJson(value, opts.xcomFile);
    deps.info(`spark-job submit: wrote ${opts.xcomFile}`);
    return ExitCode.OK;
  }

  if (failure === 'already-exists') {
    // Another try created the pod between our check and spark-submit: adopt it.
    const raced = await kube.getPod(namespace, podName).catch((err: unknown) => {
      throw apiError(`spark-submit reported that driver pod ${namespace}/${podName} already exists, and reading it failed`, err);
    });
    if (raced && podPhase(raced) !== 'Failed') {
      return await adopt(opts, deps, kube, raced, 'spark-submit raced with another try (409 AlreadyExists)');
    }
  }

  const quoted = relevantLines(result.output);
  const exit = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.code}`;
  const what =
    result.code === 0
      ? 'spark-submit exited 0 but did not report a deployed application ("Deployed Spark application ... into Kubernetes")'
      : failure === 'pod-security'
        ? `spark-submit ${exit}: the namespace's Pod Security admission rejected the driver pod; give driver and executors the restricted security context with pod templates (--driver-pod-template / SPARK_JOB_DRIVER_POD_TEMPLATE, see the spark-pod-templates ConfigMap)`
      : failure === 'forbidden'
        ? `spark-submit ${exit}: the Kubernetes API refused (403 Forbidden); check the submitter's RBAC in namespace ${namespace}`
        : failure === 'already-exists'
          ? `spark-submit ${exit}: driver pod ${namespace}/${podName} already exists (409) but could not be adopted`
          : failure === 'connection-refused'
            ? `spark-submit ${exit}: cannot connect to the Kubernetes API at ${opts.masterUrl}`
            : `spark-submit ${exit}`;
  throw new CliError(ExitCode.FAILED, what, quoted.length > 0 ? ['last relevant lines of spark-submit:', ...quoted] : ['spark-submit printed nothing']);
}

/** `spark-job submit --target standalone`: client-mode run that ends with the application. */
export async function submitStandalone(opts: SubmitOptions, deps: SubmitDeps): Promise<number> {
  const command = join(opts.sparkHome, 'bin', 'spark-submit');
  const submittedAt = deps.now();
  let appId: string | null = null;
  const auth = authConfDir(opts.sparkHome, process.env);
  let result: SparkSubmitResult;
  try {
    result = await deps.runSparkSubmit(command, buildStandaloneSubmitArgs(opts), (line) => {
      appId = parseStandaloneAppId(line) ?? appId;
    }, auth ? { SPARK_CONF_DIR: auth.dir } : {});
  } finally {
    auth?.remove();
  }
  appId = appId ?? parseStandaloneAppId(result.output);
  const value = buildReturnValue({
    driverPod: opts.driverPod,
    namespace: opts.namespace,
    appName: opts.appName,
    appId,
    submissionId: null,
    submittedAt,
    target: 'standalone',
  });
  writeReturnJson(value, opts.xcomFile);
  deps.info(`spark-job submit: wrote ${opts.xcomFile}`);
  if (result.code === 0) {
    return ExitCode.OK;
  }
  const exit = result.code === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.code}`;
  throw new CliError(
    result.code === null ? ExitCode.FAILED : result.code,
    `application ${opts.appName}${appId ? ` (${appId})` : ''} failed: spark-submit ${exit}`,
    ['last relevant lines of spark-submit:', ...relevantLines(result.output)],
  );
}

/**
 * A standalone cluster with `spark.authenticate` needs the shared secret in the driver's own
 * SparkConf (`spark.authenticate.secret`): unlike daemons and executors, a client-mode driver
 * does not read `_SPARK_AUTH_SECRET`. When that variable is set (from the Secret), this writes a
 * private copy of the Spark conf directory with the secret appended to spark-defaults.conf
 * (mode 0600, under the pod's /tmp) for spark-submit's SPARK_CONF_DIR, so the secret never
 * appears on a command line; the copy is removed when spark-submit ends.
 */
export function authConfDir(sparkHome: string, env: NodeJS.ProcessEnv): { dir: string; remove: () => void } | undefined {
  const secret = env._SPARK_AUTH_SECRET;
  if (!secret) return undefined;
  if (/[\r\n]/.test(secret)) throw new CliError(ExitCode.USAGE, '_SPARK_AUTH_SECRET must be a single line');
  const source = env.SPARK_CONF_DIR || join(sparkHome, 'conf');
  const dir = mkdtempSync(join(tmpdir(), 'spark-job-conf-'));
  chmodSync(dir, 0o700);
  if (existsSync(source)) {
    for (const name of readdirSync(source)) {
      if (statSync(join(source, name)).isFile()) copyFileSync(join(source, name), join(dir, name));
    }
  }
  const defaults = join(dir, 'spark-defaults.conf');
  const existing = existsSync(defaults) ? readFileSync(defaults, 'utf8') : '';
  const kept = existing.split('\n').filter((line) => !/^\s*spark\.authenticate\.secret\s/.test(line)).join('\n');
  writeFileSync(defaults, `${kept}${kept && !kept.endsWith('\n') ? '\n' : ''}spark.authenticate.secret ${secret}\n`, { mode: 0o600 });
  chmodSync(defaults, 0o600);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function submit(opts: SubmitOptions, deps: SubmitDeps): Promise<number> {
  return opts.target === 'k8s' ? submitK8s(opts, deps) : submitStandalone(opts, deps);
}

