import { DagSource, HostPathDagSource, PvcDagSource } from '../dag-source';
import { ContainerResources, ParsedResources, validateResources } from '../resources';
import { iniValueProblem } from '../config-files';
import { parseMemoryBytes } from '../quantity';
import { checkDns1123Label, checkNodePort, checkPinnedImage, isDns1123Subdomain, IssueCollector, ValidationIssue } from '../validation';
import { IMAGES } from '../versions';
import { ingressUrl, ResolvedUiIngress, resolveUiIngress, UiIngressOptions } from '../ingress';
import { AirflowDatabase, InClusterDatabase, validateDatabase } from './database';
import { AirflowAuthOptions, ResolvedAirflowAuth, resolveAuth } from './auth';
import type { AirflowSecretsOptions } from './secrets';

/** Executors the platform supports. */
export type AirflowExecutor = 'LocalExecutor' | 'KubernetesExecutor';
const EXECUTORS: readonly AirflowExecutor[] = ['LocalExecutor', 'KubernetesExecutor'];

/** Airflow's ports. */
export const AIRFLOW_PORTS = {
  /** api-server: UI, public REST API and the task execution API. */
  apiServer: 8080,
  /** Scheduler health check server. */
  schedulerHealth: 8974,
  /** Log server of the scheduler (LocalExecutor task logs). */
  workerLogs: 8793,
  /** Log server of the triggerer. */
  triggererLogs: 8794,
  /** PostgreSQL. */
  postgres: 5432,
  /** statsd-exporter: StatsD in (UDP). */
  statsd: 9125,
  /** statsd-exporter: Prometheus metrics out (HTTP /metrics). */
  statsdMetrics: 9102,
} as const;

/** Default NodePort of the Airflow UI (from the original single-file setup). */
export const DEFAULT_AIRFLOW_UI_NODE_PORT = 30001;

/** CPU and memory of each Airflow component. */
export interface AirflowComponentResources {
  /** @default - cpu 250m/1, memory 1Gi/1Gi */
  readonly apiServer?: ContainerResources;
  /** With LocalExecutor the scheduler also runs the tasks. @default - cpu 500m/1, memory 1Gi/2Gi */
  readonly scheduler?: ContainerResources;
  /** @default - cpu 250m/1, memory 1Gi/1Gi */
  readonly dagProcessor?: ContainerResources;
  /** @default - cpu 250m/1, memory 512Mi/1Gi */
  readonly triggerer?: ContainerResources;
}

/** How the Airflow UI is reached. */
export interface AirflowUiOptions {
  /** Expose the UI on every node's port `nodePort`. @default false */
  readonly expose?: boolean;
  /** @default 30001 */
  readonly nodePort?: number;
  /**
   * The URL users open the UI at (`[api] base_url`): Airflow builds the links it hands out (task
   * log links, e-mails, callbacks) and the login redirects from it, and serves under its path.
   * Set it to your Ingress or load balancer address.
   * @default - `https://<host>` (or `http://` without TLS) of `ingress`; else
   * `http://localhost:<nodePort>` when exposed (kind with the port mapped); else
   * `http://localhost:8080` (`kubectl port-forward svc/airflow-ui 8080:8080`)
   */
  readonly baseUrl?: string;
  /** An Ingress for the UI (host, class, TLS Secret). @default - none */
  readonly ingress?: UiIngressOptions;
}

/** Where task logs live. */
export interface AirflowLogsOptions {
  /**
   * Keep task logs on PersistentVolumeClaims instead of emptyDirs, so that they survive pod
   * restarts. LocalExecutor: a ReadWriteOnce claim per scheduler pod (it runs the tasks and
   * serves their logs) and per triggerer pod (logs of deferred tasks), `logs-<pod>` from a claim
   * template of their StatefulSet. KubernetesExecutor: one
   * ReadWriteMany claim shared by the worker pods, scheduler, triggerer and api-server, which then
   * reads finished tasks' logs from it (needs a StorageClass that offers ReadWriteMany).
   * @default - none: logs live in emptyDirs and are lost when a pod is replaced
   */
  readonly persistence?: AirflowLogPersistence;
}

/** Size and class of the log claims. */
export interface AirflowLogPersistence {
  /** Size of each claim. @default "4Gi" */
  readonly size?: string;
  /** StorageClass of the claims. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/**
 * How many pods of the components that can run several. With 2 or more, the pods prefer
 * different nodes (anti-affinity on the hostname) and a PodDisruptionBudget lets a drain evict
 * only one at a time, so the component stays up while a node is drained.
 */
export interface AirflowReplicas {
  /** api-server pods behind the UI Service. @default 1 */
  readonly apiServer?: number;
  /**
   * Schedulers (Airflow 3 runs several at once on PostgreSQL, with row locks). With the
   * LocalExecutor each also runs tasks and, with log persistence, keeps their logs on a claim of
   * its own (a StatefulSet claim template).
   * @default 1
   */
  readonly scheduler?: number;
}

/** Components that may run more than one pod. */
export const REPLICATED_COMPONENTS = ['apiServer', 'scheduler'] as const;

/** Props of {@link Airflow}. */
export interface AirflowProps {
  /** @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /** @default IMAGES.airflow */
  readonly image?: string;
  /** @default "LocalExecutor" */
  readonly executor?: AirflowExecutor;
  /** @default DagSource.configMap() */
  readonly dags?: DagSource;
  /** @default AirflowDatabase.inCluster() */
  readonly database?: AirflowDatabase;
  /** @default - "airflow-secrets", generated in-cluster */
  readonly secrets?: AirflowSecretsOptions;
  /** @default - the FAB auth manager with the user "admin" (see AirflowAuthOptions) */
  readonly auth?: AirflowAuthOptions;
  /** @default - not exposed */
  readonly ui?: AirflowUiOptions;
  /** @default - task logs in emptyDirs (see AirflowLogsOptions.persistence) */
  readonly logs?: AirflowLogsOptions;
  /** @default - see AirflowComponentResources */
  readonly resources?: AirflowComponentResources;
  /**
   * Send Airflow's metrics (StatsD) to a statsd-exporter Deployment `airflow-statsd`, which serves
   * them to Prometheus on port 9102 (`/metrics`), as the Airflow Helm chart does.
   * @default false
   */
  readonly statsd?: boolean;
  /** @default - one api-server and one scheduler (see AirflowReplicas) */
  readonly replicas?: AirflowReplicas;
  /** ServiceAccount of the components that call the Kubernetes API (scheduler, triggerer, worker pods). @default "airflow" */
  readonly serviceAccountName?: string;
  /**
   * Environment for DAGs, set on every component that parses or runs DAGs (the DAG contract:
   * SPARK_JOB_IMAGE, SPARK_NAMESPACE, ...).
   * @default - none
   */
  readonly dagEnvironment?: Readonly<Record<string, string>>;
  /**
   * The Pod Security level the namespace enforces; hostPath DAGs need `privileged`.
   * @default "restricted"
   */
  readonly podSecurityEnforce?: 'privileged' | 'baseline' | 'restricted';
  /**
   * Namespace of the KubernetesExecutor's worker pods, which run task code: the jobs namespace of
   * the platform. Workers get no database URL, fernet key or JWT secret (Airflow 3 workers talk
   * only to the execution API), a ServiceAccount of that namespace, and copies of airflow.cfg and
   * the DAG ConfigMap there.
   * @default - the Airflow namespace
   */
  readonly jobsNamespace?: string;
  /**
   * The Pod Security level the jobs namespace enforces; hostPath DAGs for workers need `privileged`.
   * @default "restricted"
   */
  readonly jobsPodSecurityEnforce?: 'privileged' | 'baseline' | 'restricted';
  /**
   * ServiceAccount of the KubernetesExecutor's worker pods, in the jobs namespace; it may launch
   * and follow KubernetesPodOperator pods there.
   * @default "airflow-worker"
   */
  readonly workerServiceAccountName?: string;
}

const DEFAULT_RESOURCES = {
  apiServer: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } },
  scheduler: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '2Gi' } },
  dagProcessor: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } },
  triggerer: { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
  postgres: { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
  task: { cpu: { request: '100m', limit: '500m' }, memory: { request: '512Mi', limit: '1Gi' } },
  gitSync: { cpu: { request: '50m', limit: '200m' }, memory: { request: '64Mi', limit: '256Mi' } },
  statsd: { cpu: { request: '10m', limit: '200m' }, memory: { request: '32Mi', limit: '128Mi' } },
} satisfies Record<string, ContainerResources>;

/** The four Airflow components, by their camel-case key. */
export type Component = 'apiServer' | 'scheduler' | 'dagProcessor' | 'triggerer';
/** Workload name suffix of each component. */
export const COMPONENT_NAMES: Record<Component, string> = { apiServer: 'api-server', scheduler: 'scheduler', dagProcessor: 'dag-processor', triggerer: 'triggerer' };
/** Components that parse or run DAGs: they mount the DAGs and get the DAG environment. */
export const DAG_COMPONENTS: readonly string[] = ['scheduler', 'dag-processor', 'triggerer'];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The validated, defaulted view of {@link AirflowProps}.
 * @internal
 */
export interface ResolvedAirflow {
  readonly namespace: string;
  readonly image: string;
  readonly executor: AirflowExecutor;
  readonly dags: DagSource;
  readonly database: AirflowDatabase;
  readonly secretName: string;
  readonly bootstrapSecrets: boolean;
  readonly auth: ResolvedAirflowAuth;
  readonly ui: { readonly expose: boolean; readonly nodePort: number; readonly baseUrl: string; readonly ingress?: ResolvedUiIngress };
  readonly logPersistence?: { readonly sizeGiB: number; readonly storageClassName?: string };
  readonly resources: Readonly<Record<Component | 'postgres' | 'task' | 'gitSync' | 'statsd', ParsedResources>>;
  readonly replicas: Readonly<Record<Component, number>>;
  readonly statsd: boolean;
  readonly serviceAccountName: string;
  readonly jobsNamespace: string;
  readonly workerServiceAccountName: string;
  readonly dagEnvironment: Readonly<Record<string, string>>;
}

/**
 * Validates {@link AirflowProps} and applies defaults. Field paths are relative to the props.
 * @internal
 */
export function resolveAirflow(props: AirflowProps, chartNamespace?: string): { resolved?: ResolvedAirflow; issues: readonly ValidationIssue[] } {
  const issues = new IssueCollector();
  const namespace = props.namespace ?? chartNamespace;
  checkDns1123Label(issues, 'namespace', namespace);
  const image = props.image ?? IMAGES.airflow;
  checkPinnedImage(issues, 'image', image);
  const executor = props.executor ?? 'LocalExecutor';
  if (!EXECUTORS.includes(executor)) issues.add('executor', executor, `must be one of ${EXECUTORS.map((e) => `"${e}"`).join(', ')}`);

  const dags = props.dags ?? DagSource.configMap();
  dags.validate(issues, 'dags');
  const enforce = props.podSecurityEnforce ?? 'restricted';
  if (dags instanceof HostPathDagSource && enforce !== 'privileged') {
    issues.add('dags', `hostPath:${dags.hostDirectory}`,
      `hostPath volumes are forbidden by the "${enforce}" Pod Security Standard this namespace enforces; use DagSource.configMap() or DagSource.gitSync(), or (dev only) set namespace.podSecurity.enforce to "privileged"`);
  }

  const database = props.database ?? AirflowDatabase.inCluster();
  validateDatabase(issues, database);

  const secretName = props.secrets?.name ?? 'airflow-secrets';
  checkDns1123Label(issues, 'secrets.name', secretName);
  const bootstrapSecrets = props.secrets?.bootstrap ?? true;
  const auth = resolveAuth(props.auth, (field, value, allowed) => issues.add(field, value, allowed));

  const expose = props.ui?.expose ?? false;
  const nodePort = props.ui?.nodePort ?? DEFAULT_AIRFLOW_UI_NODE_PORT;
  checkNodePort(issues, 'ui.nodePort', nodePort);
  const ingress = resolveUiIngress(issues, 'ui.ingress', props.ui?.ingress);
  if (ingress?.host.startsWith('*.') && props.ui?.baseUrl === undefined) {
    issues.add('ui.ingress.host', ingress.host, 'must not be a wildcard unless ui.baseUrl is set: Airflow\'s base_url needs the one host users open');
  }
  const baseUrl = props.ui?.baseUrl ?? (ingress ? ingressUrl(ingress) : expose ? `http://localhost:${nodePort}` : `http://localhost:${AIRFLOW_PORTS.apiServer}`);
  if (!isBaseUrl(baseUrl)) issues.add('ui.baseUrl', baseUrl, 'must be an absolute http:// or https:// URL without query or fragment, e.g. "https://airflow.example.com"');
  else if (iniValueProblem(baseUrl)) issues.add('ui.baseUrl', baseUrl, iniValueProblem(baseUrl) as string);

  let logPersistence: ResolvedAirflow['logPersistence'];
  if (props.logs?.persistence) {
    const p = props.logs.persistence;
    const size = p.size ?? '4Gi';
    const bytes = parseMemoryBytes(size);
    if (bytes === undefined || bytes % 2 ** 30 !== 0) issues.add('logs.persistence.size', size, 'must be a whole number of gibibytes, e.g. "4Gi"');
    if (p.storageClassName !== undefined && !isDns1123Subdomain(p.storageClassName)) issues.add('logs.persistence.storageClassName', p.storageClassName, 'must be a StorageClass name (DNS-1123 subdomain)');
    logPersistence = { sizeGiB: (bytes ?? 0) / 2 ** 30, ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}) };
  }

  const resources: Partial<Record<Component | 'postgres' | 'task' | 'gitSync' | 'statsd', ParsedResources>> = {};
  for (const component of ['apiServer', 'scheduler', 'dagProcessor', 'triggerer'] as const) {
    resources[component] = validateResources(issues, `resources.${component}`, props.resources?.[component] ?? DEFAULT_RESOURCES[component]);
  }
  resources.postgres = validateResources(issues, 'database.resources', database instanceof InClusterDatabase ? database.options.resources ?? DEFAULT_RESOURCES.postgres : DEFAULT_RESOURCES.postgres);
  resources.task = validateResources(issues, 'resources.task', DEFAULT_RESOURCES.task);
  resources.gitSync = validateResources(issues, 'resources.gitSync', DEFAULT_RESOURCES.gitSync);
  resources.statsd = validateResources(issues, 'resources.statsd', DEFAULT_RESOURCES.statsd);

  const replicas: Record<Component, number> = { apiServer: 1, scheduler: 1, dagProcessor: 1, triggerer: 1 };
  for (const component of REPLICATED_COMPONENTS) {
    const value = props.replicas?.[component] ?? 1;
    if (!Number.isInteger(value) || value < 1 || value > 10) issues.add(`replicas.${component}`, value, 'must be an integer in 1-10');
    else replicas[component] = value;
  }

  const statsd = props.statsd ?? false;
  if (typeof statsd !== 'boolean') issues.add('statsd', statsd, 'must be true or false');

  const serviceAccountName = props.serviceAccountName ?? 'airflow';
  checkDns1123Label(issues, 'serviceAccountName', serviceAccountName);
  const jobsNamespace = props.jobsNamespace ?? namespace;
  checkDns1123Label(issues, 'jobsNamespace', jobsNamespace);
  const workerServiceAccountName = props.workerServiceAccountName ?? 'airflow-worker';
  checkDns1123Label(issues, 'workerServiceAccountName', workerServiceAccountName);
  if (executor === 'KubernetesExecutor' && jobsNamespace !== namespace) {
    if (props.logs?.persistence) {
      issues.add('logs.persistence', props.logs.persistence,
        `cannot be used with the KubernetesExecutor: its worker pods run in the jobs namespace "${jobsNamespace}" and a claim cannot be mounted across namespaces; running tasks' logs are read from the worker's log server (use LocalExecutor to keep logs on claims)`);
    }
    const jobsEnforce = props.jobsPodSecurityEnforce ?? 'restricted';
    if (dags instanceof HostPathDagSource && jobsEnforce !== 'privileged') {
      issues.add('dags', `hostPath:${dags.hostDirectory}`, `hostPath volumes are forbidden by the "${jobsEnforce}" Pod Security Standard the jobs namespace enforces, where KubernetesExecutor workers run; set jobsNamespace.podSecurity.enforce to "privileged" (dev only) or use DagSource.configMap() or DagSource.gitSync()`);
    }
    if (dags instanceof PvcDagSource) {
      issues.add('dags', `pvc:${dags.claimName}`, `cannot be used with the KubernetesExecutor: its worker pods run in the jobs namespace "${jobsNamespace}" and a claim cannot be mounted across namespaces; use DagSource.configMap() or DagSource.gitSync()`);
    }
  }
  const dagEnvironment = props.dagEnvironment ?? {};
  for (const [name, value] of Object.entries(dagEnvironment)) {
    if (!ENV_NAME.test(name)) issues.add(`dagEnvironment.${name}`, name, 'must be an environment variable name: letters, digits and "_", not starting with a digit');
    else if (name.startsWith('AIRFLOW')) issues.add(`dagEnvironment.${name}`, name, 'must not start with AIRFLOW (Airflow configuration is set by the construct)');
    if (typeof value !== 'string') issues.add(`dagEnvironment.${name}`, value, 'must be a string');
  }

  if (issues.issues.length > 0 || namespace === undefined) return { issues: issues.issues };
  return {
    issues: [],
    resolved: {
      namespace, image, executor, dags, database, secretName, bootstrapSecrets, auth,
      ui: { expose, nodePort, baseUrl, ...(ingress ? { ingress } : {}) },
      logPersistence,
      resources: resources as ResolvedAirflow['resources'],
      replicas,
      statsd,
      serviceAccountName, jobsNamespace: jobsNamespace as string, workerServiceAccountName, dagEnvironment,
    },
  };
}

function isBaseUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.search === '' && url.hash === '' && value === value.trim();
  } catch {
    return false;
  }
}
