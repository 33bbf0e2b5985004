import { ApiObject, Chart, Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { ConfigMapDagSource, DagSource, DAGS_MOUNT_PATH, GitSyncDagSource, HostPathDagSource, PvcDagSource } from './dag-source';
import { objectLabels, selectorLabels, selectPods } from './labels';
import { ContainerResources, ParsedResources, toKplusResources, validateResources } from './resources';
import { containerSecurityContext, containerSecurityContextJson, hardenPodSpec, podSecurityContext, podSecurityContextJson, RunAs } from './security';
import { checkDns1123Label, checkNodePort, checkPinnedImage, isDns1123Subdomain, IssueCollector, ValidationError, ValidationIssue } from './validation';
import { AIRFLOW_UID, AIRFLOW_VERSION, GIT_SYNC_UID, IMAGES, POSTGRES_UID } from './versions';
import { parseMemoryBytes } from './quantity';
import { nameJobAfterTemplate } from './jobs';
import { NetworkFlows, PodGroup } from './network';
import { SecretBootstrap } from './secret-bootstrap';
import { imageSuppressions, suppress, SUPPRESSIONS } from './scanners';

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
} as const;

/** The in-cluster PostgreSQL of {@link AirflowDatabase.inCluster}: Service name, port, database and user. */
export const IN_CLUSTER_DATABASE = {
  /** Name of the Service, StatefulSet and (with `-data`) PVC. */
  service: 'airflow-postgresql',
  /** TCP port. */
  port: 5432,
  /** Database name. */
  database: 'airflow',
  /** Database user. */
  user: 'airflow',
} as const;

/** Default NodePort of the Airflow UI (from the original single-file setup). */
export const DEFAULT_AIRFLOW_UI_NODE_PORT = 30001;

/** Keys of the Airflow Secret. */
export const AIRFLOW_SECRET_KEYS = {
  /** `[core] fernet_key`: encrypts connections and variables in the database. */
  fernetKey: 'fernet-key',
  /** `[api] secret_key`: signs session cookies and log-fetch tokens. */
  apiSecretKey: 'api-secret-key',
  /** `[api_auth] jwt_secret`: signs API and task execution tokens. */
  jwtSecret: 'jwt-secret',
  /** Password of the in-cluster PostgreSQL user `airflow`. */
  postgresPassword: 'postgres-password',
  /** SQLAlchemy URL of the in-cluster database. */
  sqlAlchemyConn: 'sql-alchemy-conn',
} as const;

/** Options of {@link AirflowDatabase.inCluster}. */
export interface InClusterDatabaseOptions {
  /** Size of the data volume. @default "8Gi" */
  readonly storage?: string;
  /** StorageClass of the data volume. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** PostgreSQL image. @default IMAGES.postgres */
  readonly image?: string;
  /** @default - cpu 250m/1, memory 512Mi/1Gi */
  readonly resources?: ContainerResources;
}

/** Options of {@link AirflowDatabase.external}. */
export interface ExternalDatabaseOptions {
  /** Secret holding the SQLAlchemy connection URL (e.g. `postgresql+psycopg2://user:pw@host:5432/airflow`). */
  readonly secretName: string;
  /** Key of the URL in that Secret. @default "connection" */
  readonly secretKey?: string;
  /** TCP port of the database, for the egress NetworkPolicy. @default 5432 */
  readonly port?: number;
}

/** Where Airflow keeps its metadata. Choose with a static factory. */
export abstract class AirflowDatabase {
  /** A PostgreSQL StatefulSet in the namespace, its password generated with the other secrets (the default). */
  public static inCluster(options: InClusterDatabaseOptions = {}): AirflowDatabase {
    return new InClusterDatabase(options);
  }

  /** A database you run elsewhere, reached with a URL kept in a Secret you create. */
  public static external(options: ExternalDatabaseOptions): AirflowDatabase {
    return new ExternalDatabase(options);
  }

  /** `inCluster` or `external`. */
  public abstract readonly kind: 'inCluster' | 'external';
}

/** @internal */
export class InClusterDatabase extends AirflowDatabase {
  public readonly kind = 'inCluster';
  constructor(public readonly options: InClusterDatabaseOptions) {
    super();
  }
}

/** @internal */
export class ExternalDatabase extends AirflowDatabase {
  public readonly kind = 'external';
  constructor(public readonly options: ExternalDatabaseOptions) {
    super();
  }
}

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

/** The Secret with Airflow's keys. */
export interface AirflowSecretsOptions {
  /**
   * Name of the Secret with `fernet-key`, `api-secret-key`, `jwt-secret` (and, for the in-cluster
   * database, `postgres-password` and `sql-alchemy-conn`).
   * @default "airflow-secrets"
   */
  readonly name?: string;
  /**
   * Generate the Secret inside the cluster when it does not exist, with a bootstrap Job whose
   * ServiceAccount may only create Secrets and get this one. Set false when you supply the Secret
   * yourself (Pulumi secret config, External Secrets, `kubectl create secret`).
   * @default true
   */
  readonly bootstrap?: boolean;
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
   * @default - `http://localhost:<nodePort>` when exposed (kind with the port mapped), else
   * `http://localhost:8080` (`kubectl port-forward svc/airflow-ui 8080:8080`)
   */
  readonly baseUrl?: string;
}

/** Where task logs live. */
export interface AirflowLogsOptions {
  /**
   * Keep task logs on PersistentVolumeClaims instead of emptyDirs, so that they survive pod
   * restarts. LocalExecutor: a ReadWriteOnce claim for the scheduler (it runs the tasks and
   * serves their logs) and one for the triggerer (logs of deferred tasks). KubernetesExecutor: one
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
  /** @default - not exposed */
  readonly ui?: AirflowUiOptions;
  /** @default - task logs in emptyDirs (see AirflowLogsOptions.persistence) */
  readonly logs?: AirflowLogsOptions;
  /** @default - see AirflowComponentResources */
  readonly resources?: AirflowComponentResources;
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
}

const AIRFLOW_RUN_AS: RunAs = { user: AIRFLOW_UID, group: 0, fsGroup: 0 };
const POSTGRES_RUN_AS: RunAs = { user: POSTGRES_UID, group: POSTGRES_UID, fsGroup: POSTGRES_UID };
const GIT_SYNC_RUN_AS: RunAs = { user: GIT_SYNC_UID, group: GIT_SYNC_UID, fsGroup: GIT_SYNC_UID };

const DEFAULT_RESOURCES = {
  apiServer: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } },
  scheduler: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '2Gi' } },
  dagProcessor: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } },
  triggerer: { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
  postgres: { cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
  task: { cpu: { request: '100m', limit: '500m' }, memory: { request: '512Mi', limit: '1Gi' } },
  gitSync: { cpu: { request: '50m', limit: '200m' }, memory: { request: '64Mi', limit: '256Mi' } },
} satisfies Record<string, ContainerResources>;

type Component = 'apiServer' | 'scheduler' | 'dagProcessor' | 'triggerer';
const COMPONENT_NAMES: Record<Component, string> = { apiServer: 'api-server', scheduler: 'scheduler', dagProcessor: 'dag-processor', triggerer: 'triggerer' };
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
  readonly ui: { readonly expose: boolean; readonly nodePort: number; readonly baseUrl: string };
  readonly logPersistence?: { readonly sizeGiB: number; readonly storageClassName?: string };
  readonly resources: Readonly<Record<Component | 'postgres' | 'task' | 'gitSync', ParsedResources>>;
  readonly serviceAccountName: string;
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
  if (database instanceof ExternalDatabase) {
    const name = database.options.secretName;
    if (!isDns1123Subdomain(name)) {
      issues.add('database.secretName', name, 'must name the Secret holding the database URL (a DNS-1123 subdomain); an external database needs it');
    }
    const key = database.options.secretKey ?? 'connection';
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) issues.add('database.secretKey', key, 'must be a Secret key: a-z, A-Z, 0-9, "-", "_", "."');
    const port = database.options.port ?? 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) issues.add('database.port', port, 'must be a port number in 1-65535');
  } else if (database instanceof InClusterDatabase) {
    const o = database.options;
    const storage = o.storage ?? '8Gi';
    const bytes = parseMemoryBytes(storage);
    if (bytes === undefined || bytes % 2 ** 30 !== 0) issues.add('database.storage', storage, 'must be a whole number of gibibytes, e.g. "8Gi"');
    if (o.storageClassName !== undefined && !isDns1123Subdomain(o.storageClassName)) issues.add('database.storageClassName', o.storageClassName, 'must be a StorageClass name (DNS-1123 subdomain)');
    checkPinnedImage(issues, 'database.image', o.image ?? IMAGES.postgres);
  }

  const secretName = props.secrets?.name ?? 'airflow-secrets';
  checkDns1123Label(issues, 'secrets.name', secretName);
  const bootstrapSecrets = props.secrets?.bootstrap ?? true;

  const expose = props.ui?.expose ?? false;
  const nodePort = props.ui?.nodePort ?? DEFAULT_AIRFLOW_UI_NODE_PORT;
  checkNodePort(issues, 'ui.nodePort', nodePort);
  const baseUrl = props.ui?.baseUrl ?? (expose ? `http://localhost:${nodePort}` : `http://localhost:${AIRFLOW_PORTS.apiServer}`);
  if (!isBaseUrl(baseUrl)) issues.add('ui.baseUrl', baseUrl, 'must be an absolute http:// or https:// URL without query or fragment, e.g. "https://airflow.example.com"');

  let logPersistence: ResolvedAirflow['logPersistence'];
  if (props.logs?.persistence) {
    const p = props.logs.persistence;
    const size = p.size ?? '4Gi';
    const bytes = parseMemoryBytes(size);
    if (bytes === undefined || bytes % 2 ** 30 !== 0) issues.add('logs.persistence.size', size, 'must be a whole number of gibibytes, e.g. "4Gi"');
    if (p.storageClassName !== undefined && !isDns1123Subdomain(p.storageClassName)) issues.add('logs.persistence.storageClassName', p.storageClassName, 'must be a StorageClass name (DNS-1123 subdomain)');
    logPersistence = { sizeGiB: (bytes ?? 0) / 2 ** 30, ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}) };
  }

  const resources: Partial<Record<Component | 'postgres' | 'task' | 'gitSync', ParsedResources>> = {};
  for (const component of ['apiServer', 'scheduler', 'dagProcessor', 'triggerer'] as const) {
    resources[component] = validateResources(issues, `resources.${component}`, props.resources?.[component] ?? DEFAULT_RESOURCES[component]);
  }
  resources.postgres = validateResources(issues, 'database.resources', database instanceof InClusterDatabase ? database.options.resources ?? DEFAULT_RESOURCES.postgres : DEFAULT_RESOURCES.postgres);
  resources.task = validateResources(issues, 'resources.task', DEFAULT_RESOURCES.task);
  resources.gitSync = validateResources(issues, 'resources.gitSync', DEFAULT_RESOURCES.gitSync);

  const serviceAccountName = props.serviceAccountName ?? 'airflow';
  checkDns1123Label(issues, 'serviceAccountName', serviceAccountName);
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
      namespace, image, executor, dags, database, secretName, bootstrapSecrets,
      ui: { expose, nodePort, baseUrl },
      logPersistence,
      resources: resources as ResolvedAirflow['resources'],
      serviceAccountName, dagEnvironment,
    },
  };
}

/** One environment variable, as a literal or from a Secret key. */
interface EnvSpec {
  readonly name: string;
  readonly value?: string;
  readonly secret?: { readonly name: string; readonly key: string };
}

/**
 * Apache Airflow 3 on Kubernetes: api-server, scheduler, dag-processor and triggerer, one workload
 * each; a metadata database (in-cluster PostgreSQL or an external one); a once-per-deploy schema
 * migration Job the components wait for; shared secrets generated in-cluster (or supplied); and
 * DAGs from a {@link DagSource}, mounted at /opt/airflow/dags wherever DAGs are parsed or run.
 */
export class Airflow extends Construct {
  /**
   * The validated configuration.
   * @internal
   */
  public readonly config: ResolvedAirflow;
  /** ServiceAccount of the components that call the Kubernetes API. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The api-server Service (ClusterIP): UI, REST API and task execution API. */
  public readonly apiService: kplus.Service;
  /** The UI Service: NodePort when exposed, ClusterIP otherwise. */
  public readonly uiService: kplus.Service;
  /** The Airflow workloads by component name (api-server, scheduler, dag-processor, triggerer). */
  public readonly components: Readonly<Record<string, kplus.Deployment | kplus.StatefulSet>>;
  /** The schema migration Job; its name changes with the image and database, so each deploy that needs it runs it once. */
  public readonly migration: kplus.Job;

  private readonly cfg: string;
  private readonly cfgChecksum: string;
  private readonly configMap: kplus.ConfigMap;
  private readonly dagsConfigMap?: kplus.ConfigMap;
  private readonly dnsSuffix: string;

  /** Validates `props` (throws a ValidationError naming every bad field) and builds Airflow. */
  constructor(scope: Construct, id: string, props: AirflowProps = {}) {
    super(scope, id);
    const { resolved, issues } = resolveAirflow(props, Chart.of(this).namespace);
    if (!resolved) throw new ValidationError(issues);
    this.config = resolved;
    const c = resolved;
    // `<service>.<namespace>.svc` resolves in any cluster domain (the pods' DNS search path
    // ends in `svc.<domain>`), as Spark's own driver Service addresses do.
    this.dnsSuffix = `${c.namespace}.svc`;

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: c.serviceAccountName, labels: this.labels('service-account') },
      automountToken: true,
    });

    this.cfg = this.renderConfig();
    this.cfgChecksum = sha256(this.cfg);
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: 'airflow-config', labels: this.labels('config') }, data: { 'airflow.cfg': this.cfg } });

    if (c.dags instanceof ConfigMapDagSource) {
      const data: Record<string, string> = {};
      const binaryData: Record<string, string> = {};
      for (const f of c.dags.files()) {
        if (f.text !== undefined) data[f.key] = f.text;
        else binaryData[f.key] = f.base64 as string;
      }
      this.dagsConfigMap = new kplus.ConfigMap(this, 'Dags', { metadata: { name: c.dags.name, labels: this.labels('dags') }, data, binaryData });
    }

    if (c.database instanceof InClusterDatabase) this.addPostgres(c.database);
    if (c.bootstrapSecrets) {
      const inCluster = c.database instanceof InClusterDatabase;
      SecretBootstrap.of(this).generate({
        name: c.secretName,
        keys: {
          [AIRFLOW_SECRET_KEYS.fernetKey]: { generate: 'fernet' },
          [AIRFLOW_SECRET_KEYS.apiSecretKey]: { generate: 'token' },
          [AIRFLOW_SECRET_KEYS.jwtSecret]: { generate: 'token' },
          ...(inCluster ? {
            [AIRFLOW_SECRET_KEYS.postgresPassword]: { generate: 'token' },
            [AIRFLOW_SECRET_KEYS.sqlAlchemyConn]: {
              generate: 'postgres-url', passwordKey: AIRFLOW_SECRET_KEYS.postgresPassword,
              user: IN_CLUSTER_DATABASE.user, host: `${IN_CLUSTER_DATABASE.service}.${this.dnsSuffix}`, port: IN_CLUSTER_DATABASE.port, database: IN_CLUSTER_DATABASE.database,
            },
          } : {}),
        },
      });
    }
    this.migration = this.addMigration();

    const apiServer = this.addComponent('apiServer', 'Deployment', ['airflow', 'api-server'], {
      ports: [{ name: 'http', number: AIRFLOW_PORTS.apiServer }],
      probes: {
        startup: kplus.Probe.fromHttpGet('/api/v2/monitor/health', { port: AIRFLOW_PORTS.apiServer, periodSeconds: Duration.seconds(10), failureThreshold: 30, timeoutSeconds: Duration.seconds(5) }),
        readiness: kplus.Probe.fromHttpGet('/api/v2/monitor/health', { port: AIRFLOW_PORTS.apiServer, periodSeconds: Duration.seconds(10), failureThreshold: 3, timeoutSeconds: Duration.seconds(5) }),
        liveness: kplus.Probe.fromHttpGet('/api/v2/monitor/health', { port: AIRFLOW_PORTS.apiServer, periodSeconds: Duration.seconds(20), failureThreshold: 5, timeoutSeconds: Duration.seconds(5) }),
      },
      extraScratch: [{ name: 'auth', path: '/opt/airflow/auth' }],
    });
    const scheduler = this.addComponent('scheduler', 'StatefulSet', ['airflow', 'scheduler'], {
      ports: [{ name: 'health', number: AIRFLOW_PORTS.schedulerHealth }, { name: 'task-logs', number: AIRFLOW_PORTS.workerLogs }],
      probes: {
        startup: kplus.Probe.fromHttpGet('/health', { port: AIRFLOW_PORTS.schedulerHealth, periodSeconds: Duration.seconds(10), failureThreshold: 30, timeoutSeconds: Duration.seconds(5) }),
        readiness: kplus.Probe.fromHttpGet('/health', { port: AIRFLOW_PORTS.schedulerHealth, periodSeconds: Duration.seconds(15), failureThreshold: 3, timeoutSeconds: Duration.seconds(5) }),
        liveness: kplus.Probe.fromHttpGet('/health', { port: AIRFLOW_PORTS.schedulerHealth, periodSeconds: Duration.seconds(30), failureThreshold: 5, timeoutSeconds: Duration.seconds(10) }),
      },
      headlessPort: { name: 'task-logs', port: AIRFLOW_PORTS.workerLogs },
    });
    const dagProcessor = this.addComponent('dagProcessor', 'Deployment', ['airflow', 'dag-processor'], {
      ports: [],
      probes: {
        // No port to probe: the job heartbeat in the database tells whether the processor lives.
        readiness: kplus.Probe.fromCommand(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local'], { initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 3 }),
        liveness: kplus.Probe.fromCommand(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local'], { initialDelaySeconds: Duration.seconds(60), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 5 }),
      },
    });
    const triggerer = this.addComponent('triggerer', 'StatefulSet', ['airflow', 'triggerer'], {
      ports: [{ name: 'trigger-logs', number: AIRFLOW_PORTS.triggererLogs }],
      probes: {
        readiness: kplus.Probe.fromTcpSocket({ port: AIRFLOW_PORTS.triggererLogs, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        liveness: kplus.Probe.fromCommand(['airflow', 'jobs', 'check', '--job-type', 'TriggererJob', '--local'], { initialDelaySeconds: Duration.seconds(60), periodSeconds: Duration.seconds(60), timeoutSeconds: Duration.seconds(30), failureThreshold: 5 }),
      },
      headlessPort: { name: 'trigger-logs', port: AIRFLOW_PORTS.triggererLogs },
    });
    this.components = { 'api-server': apiServer, scheduler, 'dag-processor': dagProcessor, triggerer };

    const apiSelector = selectorLabels('airflow', 'api-server', 'airflow');
    this.apiService = new kplus.Service(this, 'ApiService', {
      metadata: { name: 'airflow-api-server', labels: this.labels('api-server') },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: AIRFLOW_PORTS.apiServer, targetPort: AIRFLOW_PORTS.apiServer }],
    });
    selectPods(this.apiService, apiSelector);
    this.uiService = new kplus.Service(this, 'UiService', {
      metadata: { name: 'airflow-ui', labels: this.labels('api-server') },
      type: c.ui.expose ? kplus.ServiceType.NODE_PORT : kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: AIRFLOW_PORTS.apiServer, targetPort: AIRFLOW_PORTS.apiServer, ...(c.ui.expose ? { nodePort: c.ui.nodePort } : {}) }],
    });
    selectPods(this.uiService, apiSelector);

    if (c.executor === 'KubernetesExecutor') this.addKubernetesExecutor();
    this.declareFlows();
  }

  /** The pods of one component. */
  private group(component: string): PodGroup {
    return { name: `airflow-${component}`, labels: selectorLabels('airflow', component, 'airflow') };
  }

  /** The network flows Airflow needs; each becomes NetworkPolicies (see NetworkFlows). */
  private declareFlows(): void {
    const c = this.config;
    const flows = NetworkFlows.of(this);
    const allAirflow: PodGroup = { name: 'airflow', labels: { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'airflow' } };
    const pods = (group: PodGroup) => ({ kind: 'pods' as const, group });
    flows.allow({ name: 'airflow-to-api-server', from: pods(allAirflow), to: pods(this.group('api-server')), ports: [{ port: AIRFLOW_PORTS.apiServer }], purpose: 'task execution API (Airflow 3 task SDK) and component calls' });
    flows.allow({ name: 'airflow-scheduler-logs', from: pods(this.group('api-server')), to: pods(this.group('scheduler')), ports: [{ port: AIRFLOW_PORTS.workerLogs }], purpose: 'the UI reads task logs from the scheduler\'s log server' });
    flows.allow({ name: 'airflow-triggerer-logs', from: pods(this.group('api-server')), to: pods(this.group('triggerer')), ports: [{ port: AIRFLOW_PORTS.triggererLogs }], purpose: 'the UI reads trigger logs from the triggerer\'s log server' });
    if (c.database instanceof InClusterDatabase) {
      flows.allow({ name: 'airflow-to-postgresql', from: pods(allAirflow), to: pods({ name: 'airflow-postgresql', labels: selectorLabels('postgresql', 'database', 'airflow-postgresql') }), ports: [{ port: AIRFLOW_PORTS.postgres }], purpose: 'metadata database' });
    } else if (c.database instanceof ExternalDatabase) {
      flows.allow({ name: 'airflow-to-external-database', from: pods(allAirflow), to: { kind: 'anywhere' }, ports: [{ port: c.database.options.port ?? 5432 }], purpose: 'external metadata database' });
    }
    for (const component of ['scheduler', 'triggerer']) {
      flows.allowApiServer(`airflow-${component}-kube-api`, this.group(component), 'KubernetesPodOperator: create, watch and read task pods');
    }
    if (c.executor === 'KubernetesExecutor') {
      flows.allowApiServer('airflow-worker-kube-api', this.group('worker'), 'KubernetesExecutor worker pods run KubernetesPodOperator tasks');
      flows.allow({ name: 'airflow-worker-logs', from: pods(this.group('api-server')), to: pods(this.group('worker')), ports: [{ port: AIRFLOW_PORTS.workerLogs }], purpose: 'the UI reads the logs of running tasks from the worker pod\'s log server' });
    }
    if (c.ui.expose) {
      flows.allow({ name: 'airflow-ui', from: { kind: 'anywhere' }, to: pods(this.group('api-server')), ports: [{ port: AIRFLOW_PORTS.apiServer }], purpose: `the Airflow UI on NodePort ${c.ui.nodePort}` });
    }
    if (c.dags instanceof GitSyncDagSource) {
      for (const component of [...DAG_COMPONENTS, ...(c.executor === 'KubernetesExecutor' ? ['worker'] : [])]) {
        flows.allow({ name: `airflow-${component}-git-sync`, from: pods(this.group(component)), to: { kind: 'anywhere' }, ports: [{ port: 443 }, { port: 22 }], purpose: 'git-sync pulls the DAG repository' });
      }
    }
  }

  /** The URL of the api-server inside the cluster. */
  public get apiServerUrl(): string {
    return `http://airflow-api-server.${this.dnsSuffix}:${AIRFLOW_PORTS.apiServer}`;
  }

  private labels(component: string): Record<string, string> {
    return objectLabels(selectorLabels('airflow', component, 'airflow'), AIRFLOW_VERSION);
  }

  /** airflow.cfg: every non-secret setting, in one deterministic file. */
  private renderConfig(): string {
    const c = this.config;
    const dagsFolder = c.dags instanceof GitSyncDagSource ? [DAGS_MOUNT_PATH, 'repo', c.dags.subPath].filter(Boolean).join('/') : DAGS_MOUNT_PATH;
    const sections: Record<string, Record<string, string>> = {
      core: {
        executor: c.executor,
        dags_folder: dagsFolder,
        // The generated .airflowignore of DagSource.configMap() is written in glob syntax.
        dag_ignore_file_syntax: 'glob',
        load_examples: 'False',
        execution_api_server_url: `http://airflow-api-server.${this.dnsSuffix}:${AIRFLOW_PORTS.apiServer}/execution/`,
        auth_manager: 'airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager',
        simple_auth_manager_users: 'admin:admin',
        simple_auth_manager_passwords_file: '/opt/airflow/auth/simple_auth_manager_passwords.json.generated',
      },
      api: { port: String(AIRFLOW_PORTS.apiServer), workers: '1', base_url: c.ui.baseUrl },
      scheduler: { enable_health_check: 'True', scheduler_health_check_server_port: String(AIRFLOW_PORTS.schedulerHealth) },
      logging: {
        base_log_folder: '/opt/airflow/logs',
        worker_log_server_port: String(AIRFLOW_PORTS.workerLogs),
        trigger_log_server_port: String(AIRFLOW_PORTS.triggererLogs),
      },
    };
    if (c.executor === 'KubernetesExecutor') {
      sections.kubernetes_executor = {
        namespace: c.namespace,
        pod_template_file: '/opt/airflow/pod-templates/pod_template.yaml',
        delete_worker_pods: 'True',
      };
    }
    return Object.entries(sections)
      .map(([section, entries]) => `[${section}]\n${Object.entries(entries).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`)
      .join('\n');
  }

  /** Environment every Airflow container gets: secrets by reference, never by value. */
  private baseEnv(): EnvSpec[] {
    const c = this.config;
    const db = c.database instanceof ExternalDatabase
      ? { name: c.database.options.secretName, key: c.database.options.secretKey ?? 'connection' }
      : { name: c.secretName, key: AIRFLOW_SECRET_KEYS.sqlAlchemyConn };
    return [
      { name: 'AIRFLOW__CORE__FERNET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.fernetKey } },
      { name: 'AIRFLOW__API__SECRET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.apiSecretKey } },
      { name: 'AIRFLOW__API_AUTH__JWT_SECRET', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.jwtSecret } },
      { name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', secret: db },
      // The entrypoint's own database wait is replaced by explicit init containers.
      { name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' },
    ];
  }

  private dagEnv(): EnvSpec[] {
    return Object.keys(this.config.dagEnvironment).sort().map((name) => ({ name, value: this.config.dagEnvironment[name] }));
  }

  private toKplusEnv(env: EnvSpec[]): Record<string, kplus.EnvValue> {
    const out: Record<string, kplus.EnvValue> = {};
    for (const e of env) {
      out[e.name] = e.secret
        ? kplus.EnvValue.fromSecretValue({ secret: this.secretRef(e.secret.name), key: e.secret.key })
        : kplus.EnvValue.fromValue(e.value as string);
    }
    return out;
  }

  private readonly secretRefs = new Map<string, kplus.ISecret>();
  private secretRef(name: string): kplus.ISecret {
    let ref = this.secretRefs.get(name);
    if (!ref) {
      ref = kplus.Secret.fromSecretName(this, `SecretRef-${name}`, name);
      this.secretRefs.set(name, ref);
    }
    return ref;
  }

  private airflowContainer(name: string, args: string[], resources: ParsedResources, env: EnvSpec[]): kplus.ContainerProps {
    return {
      name,
      image: this.config.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // The image's entrypoint (dumb-init + /entrypoint) stays in place; it execs these args.
      args,
      envVariables: this.toKplusEnv(env),
      resources: toKplusResources(resources),
      securityContext: containerSecurityContext(AIRFLOW_RUN_AS),
    };
  }

  /** Mounts airflow.cfg, scratch space and (optionally) the DAGs into a container of a pod. */
  private mountAirflowFiles(pod: kplus.AbstractPod, container: kplus.Container, scratch: { name: string; path: string }[], withDags: boolean): void {
    container.mount('/opt/airflow/airflow.cfg', this.volume(pod, 'config', () => kplus.Volume.fromConfigMap(pod, 'ConfigVolume', this.configMap, { name: 'airflow-config' })), { subPath: 'airflow.cfg', readOnly: true });
    for (const dir of scratch) container.mount(dir.path, this.volume(pod, dir.name, () => kplus.Volume.fromEmptyDir(pod, `${dir.name}-volume`, dir.name)));
    if (withDags) container.mount(DAGS_MOUNT_PATH, this.volume(pod, 'dags', () => this.dagsVolume(pod)), { readOnly: !(this.config.dags instanceof GitSyncDagSource) });
  }

  private readonly podVolumes = new Map<kplus.AbstractPod, Map<string, kplus.Volume>>();
  private volume(pod: kplus.AbstractPod, name: string, make: () => kplus.Volume): kplus.Volume {
    let volumes = this.podVolumes.get(pod);
    if (!volumes) this.podVolumes.set(pod, (volumes = new Map()));
    let volume = volumes.get(name);
    if (!volume) volumes.set(name, (volume = make()));
    return volume;
  }

  private dagsVolume(pod: kplus.AbstractPod): kplus.Volume {
    const dags = this.config.dags;
    if (dags instanceof ConfigMapDagSource && this.dagsConfigMap) {
      const items = Object.fromEntries(dags.files().map((f) => [f.key, { path: f.path }]));
      return kplus.Volume.fromConfigMap(pod, 'DagsVolume', this.dagsConfigMap, { name: 'dags', items });
    }
    if (dags instanceof PvcDagSource) {
      return kplus.Volume.fromPersistentVolumeClaim(pod, 'DagsVolume', kplus.PersistentVolumeClaim.fromClaimName(pod, 'DagsClaim', dags.claimName), { name: 'dags', readOnly: true });
    }
    if (dags instanceof HostPathDagSource) {
      return kplus.Volume.fromHostPath(pod, 'DagsVolume', 'dags', { path: dags.hostDirectory, type: kplus.HostPathVolumeType.DIRECTORY });
    }
    return kplus.Volume.fromEmptyDir(pod, 'DagsVolume', 'dags');
  }

  /** git-sync: a one-time clone before start (init) and a sidecar that keeps pulling. */
  private addGitSync(pod: kplus.AbstractPod, dags: GitSyncDagSource): void {
    const args = (oneTime: boolean) => [
      `--repo=${dags.repo}`, `--ref=${dags.branch}`, '--root=/git', '--link=repo', '--depth=1', `--period=${dags.period}`,
      ...(oneTime ? ['--one-time'] : []),
    ];
    const env: Record<string, kplus.EnvValue> = {};
    if (dags.credentialsSecret) {
      env.GITSYNC_USERNAME = kplus.EnvValue.fromSecretValue({ secret: this.secretRef(dags.credentialsSecret), key: 'username' });
      env.GITSYNC_PASSWORD = kplus.EnvValue.fromSecretValue({ secret: this.secretRef(dags.credentialsSecret), key: 'password' });
    }
    const props = (name: string, oneTime: boolean): kplus.ContainerProps => ({
      name,
      image: IMAGES.gitSync,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: args(oneTime),
      envVariables: { ...env, HOME: kplus.EnvValue.fromValue('/tmp') },
      resources: toKplusResources(this.config.resources.gitSync),
      securityContext: containerSecurityContext(GIT_SYNC_RUN_AS),
    });
    for (const container of [pod.addInitContainer(props('git-sync-init', true)), pod.addContainer(props('git-sync', false))]) {
      container.mount('/git', this.volume(pod, 'dags', () => this.dagsVolume(pod)));
      container.mount('/tmp', this.volume(pod, 'tmp', () => kplus.Volume.fromEmptyDir(pod, 'tmp-volume', 'tmp')));
    }
  }

  private addComponent(
    component: Component,
    kind: 'Deployment' | 'StatefulSet',
    args: string[],
    opts: {
      ports: { name: string; number: number }[];
      probes: { startup?: kplus.Probe; readiness?: kplus.Probe; liveness?: kplus.Probe };
      extraScratch?: { name: string; path: string }[];
      headlessPort?: { name: string; port: number };
    },
  ): kplus.Deployment | kplus.StatefulSet {
    const c = this.config;
    const name = `airflow-${COMPONENT_NAMES[component]}`;
    const selector = selectorLabels('airflow', COMPONENT_NAMES[component], 'airflow');
    const parsesDags = DAG_COMPONENTS.includes(COMPONENT_NAMES[component]);
    // Components that launch pods or watch them (KubernetesPodOperator, deferrable triggers, the
    // KubernetesExecutor) run with the airflow ServiceAccount; the others get no API token.
    const callsApi = component === 'scheduler' || component === 'triggerer';
    let headless: kplus.Service | undefined;
    if (opts.headlessPort) {
      headless = new kplus.Service(this, `${component}Headless`, {
        metadata: { name, labels: this.labels(COMPONENT_NAMES[component]) },
        clusterIP: 'None',
        ports: [{ name: opts.headlessPort.name, port: opts.headlessPort.port, targetPort: opts.headlessPort.port }],
      });
      selectPods(headless, selector);
    }
    const common: kplus.WorkloadProps = {
      metadata: { name, labels: this.labels(COMPONENT_NAMES[component]) },
      select: false,
      securityContext: podSecurityContext(AIRFLOW_RUN_AS),
      automountServiceAccountToken: callsApi,
      ...(callsApi ? { serviceAccount: this.serviceAccount } : {}),
      containers: [
        {
          ...this.airflowContainer('airflow', args, c.resources[component], [...this.baseEnv(), ...(parsesDags ? this.dagEnv() : [])]),
          ports: opts.ports,
          ...opts.probes,
        },
      ],
    };
    const workload = kind === 'StatefulSet'
      ? new kplus.StatefulSet(this, component, { ...common, replicas: 1, ...(headless ? { service: headless } : {}) })
      : new kplus.Deployment(this, component, {
        ...common,
        replicas: 1,
        // One replica: start the new pod before stopping the old one.
        strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
      });
    const [main] = workload.containers;
    const logClaim = this.logClaim(COMPONENT_NAMES[component]);
    if (logClaim) this.volume(workload, 'logs', () => kplus.Volume.fromPersistentVolumeClaim(workload, 'LogsVolume', logClaim, { name: 'logs' }));
    this.mountAirflowFiles(workload, main, [{ name: 'tmp', path: '/tmp' }, { name: 'logs', path: '/opt/airflow/logs' }, ...(opts.extraScratch ?? [])], parsesDags);
    const wait = workload.addInitContainer(this.airflowContainer('wait-for-migrations', ['airflow', 'db', 'check-migrations', '--migration-wait-timeout', '600'], c.resources.task, this.baseEnv()));
    this.mountAirflowFiles(workload, wait, [{ name: 'tmp', path: '/tmp' }, { name: 'logs', path: '/opt/airflow/logs' }], false);
    if (parsesDags && c.dags instanceof GitSyncDagSource) this.addGitSync(workload, c.dags);
    this.finishPod(workload, selector);
    const images = [c.image, ...(parsesDags && c.dags instanceof GitSyncDagSource ? [IMAGES.gitSync] : [])];
    suppress(workload, ...imageSuppressions(images), SUPPRESSIONS.secretEnv, ...(callsApi ? [SUPPRESSIONS.apiToken] : []));
    return workload;
  }

  private readonly logClaims = new Map<string, kplus.PersistentVolumeClaim>();

  /**
   * The claim that keeps a component's task logs, when log persistence is on: LocalExecutor, one
   * ReadWriteOnce claim each for the scheduler and the triggerer; KubernetesExecutor, one
   * ReadWriteMany claim for worker pods, scheduler, triggerer and api-server.
   */
  private logClaim(component: string): kplus.PersistentVolumeClaim | undefined {
    const c = this.config;
    const persistence = c.logPersistence;
    if (!persistence) return undefined;
    const shared = c.executor === 'KubernetesExecutor';
    if (shared ? !['scheduler', 'triggerer', 'api-server', 'worker'].includes(component) : !['scheduler', 'triggerer'].includes(component)) return undefined;
    const name = shared ? 'airflow-logs' : `airflow-${component}-logs`;
    let claim = this.logClaims.get(name);
    if (!claim) {
      claim = new kplus.PersistentVolumeClaim(this, `LogClaim-${name}`, {
        metadata: { name, labels: this.labels('logs') },
        accessModes: [shared ? kplus.PersistentVolumeAccessMode.READ_WRITE_MANY : kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        storage: Size.gibibytes(persistence.sizeGiB),
        ...(persistence.storageClassName ? { storageClassName: persistence.storageClassName } : {}),
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });
      this.logClaims.set(name, claim);
    }
    return claim;
  }

  /** Labels, selector, checksum annotation and pod-level hardening of a workload's pods. */
  private finishPod(workload: kplus.Deployment | kplus.StatefulSet | kplus.Job, selector: Record<string, string>, extraLabels: Record<string, string> = {}): void {
    for (const [key, value] of Object.entries({ ...objectLabels(selector, AIRFLOW_VERSION), ...extraLabels })) workload.podMetadata.addLabel(key, value);
    workload.podMetadata.addAnnotation('spark-airflow-k8s/airflow-config-sha256', this.cfgChecksum);
    if (!(workload instanceof kplus.Job)) workload.select(kplus.LabelSelector.of({ labels: selector }));
    hardenPodSpec(ApiObject.of(workload), '/spec/template/spec');
  }

  private addPostgres(db: InClusterDatabase): void {
    const c = this.config;
    const name = IN_CLUSTER_DATABASE.service;
    const selector = selectorLabels('postgresql', 'database', name);
    const labels = objectLabels(selector);
    const service = new kplus.Service(this, 'PostgresService', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'postgresql', port: AIRFLOW_PORTS.postgres, targetPort: AIRFLOW_PORTS.postgres }],
    });
    selectPods(service, selector);
    const sts = new kplus.StatefulSet(this, 'Postgres', {
      metadata: { name, labels },
      replicas: 1,
      select: false,
      service,
      securityContext: podSecurityContext(POSTGRES_RUN_AS),
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'postgresql',
          image: db.options.image ?? IMAGES.postgres,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          envVariables: {
            POSTGRES_USER: kplus.EnvValue.fromValue(IN_CLUSTER_DATABASE.user),
            POSTGRES_DB: kplus.EnvValue.fromValue(IN_CLUSTER_DATABASE.database),
            // Read from a mounted Secret file, not from the environment.
            POSTGRES_PASSWORD_FILE: kplus.EnvValue.fromValue('/run/secrets/postgres/password'),
            PGDATA: kplus.EnvValue.fromValue('/var/lib/postgresql/data/pgdata'),
          },
          ports: [{ name: 'postgresql', number: AIRFLOW_PORTS.postgres }],
          readiness: kplus.Probe.fromCommand(['pg_isready', '-h', '127.0.0.1', '-p', String(IN_CLUSTER_DATABASE.port), '-U', IN_CLUSTER_DATABASE.user, '-d', IN_CLUSTER_DATABASE.database], { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 3 }),
          liveness: kplus.Probe.fromTcpSocket({ port: AIRFLOW_PORTS.postgres, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
          resources: toKplusResources(c.resources.postgres),
          securityContext: containerSecurityContext(POSTGRES_RUN_AS),
        },
      ],
    });
    const [container] = sts.containers;
    // One replica: a plain PVC (cdk8s-plus has no volumeClaimTemplates, and raw patches would
    // bypass the typed serializer). It outlives the StatefulSet, as a claim template's would.
    const claim = new kplus.PersistentVolumeClaim(this, 'PostgresData', {
      metadata: { name: `${name}-data`, labels },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes((parseMemoryBytes(db.options.storage ?? '8Gi') as number) / 2 ** 30),
      ...(db.options.storageClassName ? { storageClassName: db.options.storageClassName } : {}),
      volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
    });
    container.mount('/var/lib/postgresql/data', kplus.Volume.fromPersistentVolumeClaim(sts, 'data-volume', claim, { name: 'data' }));
    for (const dir of [{ name: 'run', path: '/var/run/postgresql' }, { name: 'tmp', path: '/tmp' }]) {
      container.mount(dir.path, kplus.Volume.fromEmptyDir(sts, `${dir.name}-volume`, dir.name));
    }
    container.mount('/run/secrets/postgres', kplus.Volume.fromSecret(sts, 'password-volume', this.secretRef(c.secretName), {
      name: 'password',
      items: { [AIRFLOW_SECRET_KEYS.postgresPassword]: { path: 'password' } },
      defaultMode: 0o440,
    }), { readOnly: true });
    suppress(sts, ...imageSuppressions([db.options.image ?? IMAGES.postgres]), SUPPRESSIONS.imageUser);
    for (const [key, value] of Object.entries(labels)) sts.podMetadata.addLabel(key, value);
    sts.select(kplus.LabelSelector.of({ labels: selector }));
    hardenPodSpec(ApiObject.of(sts), '/spec/template/spec');
  }

  private addMigration(): kplus.Job {
    const c = this.config;
    const job = new kplus.Job(this, 'Migrate', {
      metadata: { name: 'airflow-db-migrate', labels: this.labels('db-migrate') },
      backoffLimit: 6,
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(AIRFLOW_RUN_AS),
      containers: [this.airflowContainer('migrate', ['airflow', 'db', 'migrate'], c.resources.task, this.baseEnv())],
      initContainers: [this.airflowContainer('wait-for-db', ['airflow', 'db', 'check', '--retry', '60', '--retry-delay', '5'], c.resources.task, this.baseEnv())],
    });
    for (const container of [...job.initContainers, ...job.containers]) {
      this.mountAirflowFiles(job, container, [{ name: 'tmp', path: '/tmp' }, { name: 'logs', path: '/opt/airflow/logs' }], false);
    }
    this.finishPod(job, selectorLabels('airflow', 'db-migrate', 'airflow'));
    // Named after its pod template (image, database, configuration), so a deploy that changes
    // any of them runs a new Job once, and re-applying the same manifests is a no-op.
    nameJobAfterTemplate(job, 'airflow-db-migrate');
    suppress(job, ...imageSuppressions([c.image]), SUPPRESSIONS.secretEnv);
    return job;
  }

  /** The KubernetesExecutor: a worker pod template and the scheduler's right to manage worker pods. */
  private addKubernetesExecutor(): void {
    const labels = this.labels('kubernetes-executor');
    const role = new kplus.Role(this, 'ExecutorRole', { metadata: { name: 'airflow-kubernetes-executor', labels } });
    role.allow(['create', 'get', 'list', 'watch', 'patch', 'delete'], kplus.ApiResource.custom({ apiGroup: '', resourceType: 'pods' }));
    role.allow(['get'], kplus.ApiResource.custom({ apiGroup: '', resourceType: 'pods/log' }));
    new kplus.RoleBinding(this, 'ExecutorBinding', { metadata: { name: 'airflow-kubernetes-executor', labels }, role }).addSubjects(this.serviceAccount);

    // The worker pod template is a plain Pod manifest inside a ConfigMap; render it through a
    // throwaway cdk8s Pod so it gets exactly the containers, env and mounts of the components.
    const template = this.workerPodTemplate();
    const configMap = new kplus.ConfigMap(this, 'PodTemplate', { metadata: { name: 'airflow-pod-template', labels }, data: { 'pod_template.yaml': Yaml.stringify(template) } });
    for (const name of ['scheduler']) {
      const workload = this.components[name];
      const [main] = workload.containers;
      main.mount('/opt/airflow/pod-templates', kplus.Volume.fromConfigMap(workload, 'PodTemplateVolume', configMap, { name: 'pod-templates' }), { readOnly: true });
    }
  }

  private workerPodTemplate(): Record<string, unknown> {
    const c = this.config;
    const env = [...this.baseEnv(), ...this.dagEnv()].map((e) => e.secret
      ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } }
      : { name: e.name, value: e.value });
    const dags = c.dags;
    const dagsVolume = dags instanceof ConfigMapDagSource
      ? { name: 'dags', configMap: { name: dags.name, items: dags.files().map((f) => ({ key: f.key, path: f.path })) } }
      : dags instanceof PvcDagSource ? { name: 'dags', persistentVolumeClaim: { claimName: dags.claimName, readOnly: true } }
        : dags instanceof HostPathDagSource ? { name: 'dags', hostPath: { path: dags.hostDirectory, type: 'Directory' } }
          : { name: 'dags', emptyDir: {} };
    const resources = toRaw(c.resources.task);
    const sc = { ...containerSecurityContextJson(AIRFLOW_RUN_AS) };
    const initContainers = dags instanceof GitSyncDagSource ? [{
      name: 'git-sync-init',
      image: IMAGES.gitSync,
      imagePullPolicy: 'IfNotPresent',
      args: [`--repo=${dags.repo}`, `--ref=${dags.branch}`, '--root=/git', '--link=repo', '--depth=1', '--one-time'],
      env: [{ name: 'HOME', value: '/tmp' }, ...(dags.credentialsSecret ? [
        { name: 'GITSYNC_USERNAME', valueFrom: { secretKeyRef: { name: dags.credentialsSecret, key: 'username' } } },
        { name: 'GITSYNC_PASSWORD', valueFrom: { secretKeyRef: { name: dags.credentialsSecret, key: 'password' } } },
      ] : [])],
      resources: toRaw(c.resources.gitSync),
      securityContext: containerSecurityContextJson(GIT_SYNC_RUN_AS),
      volumeMounts: [{ name: 'dags', mountPath: '/git' }, { name: 'tmp', mountPath: '/tmp' }],
    }] : [];
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'placeholder-name', labels: this.labels('worker') },
      spec: {
        serviceAccountName: c.serviceAccountName,
        automountServiceAccountToken: true,
        enableServiceLinks: false,
        restartPolicy: 'Never',
        securityContext: podSecurityContextJson(AIRFLOW_RUN_AS),
        initContainers,
        containers: [{
          name: 'base',
          image: c.image,
          imagePullPolicy: 'IfNotPresent',
          env,
          resources,
          securityContext: sc,
          volumeMounts: [
            { name: 'config', mountPath: '/opt/airflow/airflow.cfg', subPath: 'airflow.cfg', readOnly: true },
            { name: 'dags', mountPath: DAGS_MOUNT_PATH, readOnly: !(dags instanceof GitSyncDagSource) },
            { name: 'logs', mountPath: '/opt/airflow/logs' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        }],
        volumes: [
          { name: 'config', configMap: { name: 'airflow-config' } },
          dagsVolume,
          c.logPersistence ? { name: 'logs', persistentVolumeClaim: { claimName: (this.logClaim('worker') as kplus.PersistentVolumeClaim).name } } : { name: 'logs', emptyDir: {} },
          { name: 'tmp', emptyDir: {} },
        ],
      },
    };
  }
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

function toRaw(r: ParsedResources): Record<string, Record<string, string>> {
  return {
    limits: { cpu: `${r.cpuLimitMillis}m`, memory: `${r.memoryLimitBytes / 2 ** 20}Mi` },
    requests: { cpu: `${r.cpuRequestMillis}m`, memory: `${r.memoryRequestBytes / 2 ** 20}Mi` },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
