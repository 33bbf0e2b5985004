import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PART_OF } from './labels';
import { Airflow, AIRFLOW_PORTS, AirflowProps, resolveAirflow } from './airflow';
import { resolveSparkCluster, SPARK_PORTS, SparkCluster, SparkClusterProps } from './spark-cluster';
import { MonitoringOptions, PlatformMonitoring, ResolvedMonitoring, resolveMonitoring, SPARK_APPLICATIONS_METRICS_PATH, SPARK_DRIVER_UI_PORT, SPARK_EXECUTORS_METRICS_PATH, SPARK_MASTER_METRICS_PATH, SPARK_METRICS_CONF, SPARK_METRICS_PATH } from './monitoring';
import { NetworkFlows } from './network';
import { podSecurityViolations } from './pod-security';
import { SPARK_K8S_PODS, SparkSubmitterRbac, TASK_POD_LABELS } from './spark-rbac';
import { resolveSparkApplications, SparkApplicationDefaults } from './spark-apps';
import { checkDns1123Label, checkPinnedImage, isIpv4Cidr, IssueCollector, ValidationError } from './validation';
import { IMAGES, KUBERNETES_VERSION } from './versions';
import { SecretBootstrap } from './secret-bootstrap';
import { IngressControllerOptions, resolveIngressController, UiIngressOptions } from './ingress';
import { resolveSparkHistoryServer, SparkHistoryServer, SparkHistoryServerProps } from './spark-history';

/** A Pod Security Standard level. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** Pod Security admission labels of the namespace. */
export interface PodSecurityOptions {
  /** Pods violating this level are rejected. @default "restricted" */
  readonly enforce?: PodSecurityLevel;
  /** Violations of this level are recorded in the audit log. @default "restricted" */
  readonly audit?: PodSecurityLevel;
  /** Violations of this level are returned as warnings to the client. @default "restricted" */
  readonly warn?: PodSecurityLevel;
}

/** A namespace of the platform: its name and Pod Security labels. */
export interface NamespaceOptions {
  /** @default - "spark-clu" (platform), "spark-clu-jobs" (jobs) */
  readonly name?: string;
  /** @default - restricted for enforce, audit and warn */
  readonly podSecurity?: PodSecurityOptions;
}

/** Spark options of the platform: {@link SparkClusterProps} without the namespace, which the platform owns. */
export type PlatformSparkOptions = Omit<SparkClusterProps, 'namespace'>;

/** Airflow options of the platform: {@link AirflowProps} without what the platform derives. */
export type PlatformAirflowOptions = Omit<AirflowProps, 'namespace' | 'jobsNamespace' | 'dagEnvironment' | 'podSecurityEnforce' | 'jobsPodSecurityEnforce' | 'statsd'>;

/**
 * The Spark history server and the event logs of the applications: {@link SparkHistoryServerProps}
 * without the namespace (the jobs namespace, where the drivers run).
 */
export interface PlatformHistoryOptions extends Omit<SparkHistoryServerProps, 'namespace'> {
  /**
   * Every application writes its event log (to the claim or the object store) and the history
   * server serves them.
   * When false (or when `history` is not set at all), applications write no event log.
   * @default true (when `history` is set)
   */
  readonly enabled?: boolean;
}

/** ServiceAccounts of Spark applications. */
export interface SparkServiceAccountOptions {
  /** Runs `spark-job submit` / `monitor`. @default "spark-submitter" */
  readonly submitter?: string;
  /** Runs Spark drivers. @default "spark-driver" */
  readonly driver?: string;
}

/** One environment of the platform: the single source of truth for cdk8s and Pulumi. */
export interface PlatformConfig {
  /** Name of the environment (e.g. "dev"); a DNS-1123 label, used in error messages and labels. */
  readonly environment: string;
  /**
   * The platform namespace: Spark master and workers, Airflow, PostgreSQL and their Secrets.
   * @default - "spark-clu", Pod Security restricted
   */
  readonly namespace?: NamespaceOptions;
  /**
   * The jobs namespace: everything that runs application code (the submit and monitor task pods,
   * Spark drivers and executors, KubernetesExecutor workers), with its own ServiceAccounts, Roles
   * and default-deny NetworkPolicies. No token mounted there has any grant in the platform namespace.
   * @default - "spark-clu-jobs", Pod Security restricted
   */
  readonly jobsNamespace?: NamespaceOptions;
  /** @default - the SparkCluster defaults (UI not exposed) */
  readonly spark?: PlatformSparkOptions;
  /**
   * The Spark history server and where every driver writes its event log: a claim (drivers cannot
   * start until it is bound, so history is opt-in: set it, `{}` for the defaults, where the cluster
   * has a StorageClass for it) or an object store (`eventLog.objectStore`, credentials from a Secret).
   * @default - none: no history server, no event logs
   */
  readonly history?: PlatformHistoryOptions;
  /**
   * Prometheus scraping: a statsd-exporter for Airflow's metrics, NetworkPolicies that open every
   * metrics port (Spark master, workers and drivers, the exporter) to the scraper's namespace, and
   * optionally ServiceMonitors and PodMonitors.
   * @default - no scraping: the Spark metrics endpoints exist but no policy opens them, no exporter
   */
  readonly monitoring?: MonitoringOptions;
  /** @default - the Airflow defaults (LocalExecutor, in-cluster PostgreSQL, DAGs from ./dags, UI not exposed) */
  readonly airflow?: PlatformAirflowOptions;
  /**
   * The companion job image that runs `spark-job submit` / `monitor` (pinned).
   * @default IMAGES.sparkJob
   */
  readonly jobImage?: string;
  /** @default - "spark-submitter" and "spark-driver" */
  readonly serviceAccounts?: SparkServiceAccountOptions;
  /** Where the API server is, for the NetworkPolicies of the pods that call it. Required: see {@link NetworkOptions.apiServerCidr}. */
  readonly network: NetworkOptions;
  /**
   * Defaults for Spark applications on Kubernetes (driver and executor sizes, executor count),
   * so that apps fit the environment's nodes; an app's own `--conf` wins.
   * @default - Spark's own defaults
   */
  readonly sparkApplications?: SparkApplicationDefaults;
}

/** Network options: everything else is derived from the constructs' flows. */
export interface NetworkOptions {
  /**
   * Where the Kubernetes API server is, for the egress of the pods that call it (on 443 and 6443):
   * the addresses behind the `kubernetes` Service, `kubectl -n default get endpoints kubernetes`.
   * Required: "0.0.0.0/0" (any address) is a choice to make explicitly, e.g. for a kind or minikube
   * dev cluster whose API server address changes.
   */
  readonly apiServerCidr: string;
  /**
   * Where the ingress controller runs, for the UIs with an `ingress` (the only pods let through to
   * them); a UI's own `ingress.controller` wins.
   * @default - namespace "ingress-nginx", every pod of it
   */
  readonly ingressController?: IngressControllerOptions;
}

/** How to find the value of network.apiServerCidr (named in its validation messages). */
export const API_SERVER_CIDR_HINT = 'the CIDR of the addresses behind the `kubernetes` Service: `kubectl -n default get endpoints kubernetes -o jsonpath=\'{.subsets[*].addresses[*].ip}\'` (each as <ip>/32), or "0.0.0.0/0" to allow any address on 443/6443';

/**
 * The DAG contract: environment variables set on every Airflow component that parses or runs
 * DAGs, read by dags/ under the same names.
 */
export const DAG_CONTRACT_ENV = [
  'SPARK_JOB_IMAGE',
  'SPARK_NAMESPACE',
  'SPARK_SUBMITTER_SERVICE_ACCOUNT',
  'SPARK_DRIVER_SERVICE_ACCOUNT',
  'SPARK_MASTER_URL',
  'SPARK_POD_TEMPLATES_CONFIGMAP',
  'SPARK_AUTH_SECRET_NAME',
  'SPARK_EXECUTOR_MEMORY',
  'SPARK_EVENT_LOG_CLAIM',
  'SPARK_EVENT_LOG_DIR',
  'SPARK_EVENT_LOG_CONF',
  'SPARK_EVENT_LOG_SECRET',
] as const;

/** Default namespace name (from the original single-file setup). */
export const DEFAULT_NAMESPACE = 'spark-clu';

/** Default name of the jobs namespace. */
export const DEFAULT_JOBS_NAMESPACE = 'spark-clu-jobs';

/**
 * Validates a whole environment without building anything. Throws a {@link ValidationError}
 * that names the environment, each bad field, its value and what is allowed.
 */
export function validatePlatformConfig(raw: PlatformConfig): void {
  const issues = new IssueCollector();
  if (raw.network?.ingressController !== undefined) resolveIngressController(issues, 'network.ingressController', raw.network.ingressController);
  const config = normalized(raw);
  checkDns1123Label(issues, 'environment', config.environment);
  const namespace = config.namespace?.name ?? DEFAULT_NAMESPACE;
  const jobsNamespace = config.jobsNamespace?.name ?? DEFAULT_JOBS_NAMESPACE;
  for (const [field, options, name] of [['namespace', config.namespace, namespace], ['jobsNamespace', config.jobsNamespace, jobsNamespace]] as const) {
    checkDns1123Label(issues, `${field}.name`, name);
    for (const mode of ['enforce', 'audit', 'warn'] as const) {
      const level = options?.podSecurity?.[mode];
      if (level !== undefined && !LEVELS.includes(level)) {
        issues.add(`${field}.podSecurity.${mode}`, level, `must be one of ${LEVELS.map((l) => `"${l}"`).join(', ')}`);
      }
    }
  }
  if (jobsNamespace === namespace) issues.add('jobsNamespace.name', jobsNamespace, 'must differ from namespace.name: application code runs apart from the platform and its Secrets');
  const spark = resolveSparkCluster({ ...config.spark, namespace });
  issues.addAll('spark', spark.issues.filter((i) => i.field !== 'namespace'));
  const airflow = resolveAirflow({ ...airflowProps(config), dagEnvironment: {} });
  issues.addAll('airflow', airflow.issues.filter((i) => i.field !== 'namespace' && i.field !== 'jobsNamespace'));
  const history = config.history === undefined || config.history.enabled === false ? undefined : resolveSparkHistoryServer(historyProps(config, jobsNamespace));
  if (config.history?.enabled !== undefined && typeof config.history.enabled !== 'boolean') issues.add('history.enabled', config.history.enabled, 'must be true or false');
  if (history) issues.addAll('history', history.issues.filter((i) => i.field !== 'namespace'));
  if (config.monitoring !== undefined) issues.addAll('monitoring', resolveMonitoring(config.monitoring).issues);
  // A scraper or ingress controller in a namespace of the platform would be under its
  // default-deny egress: the ingress rule would open to every pod there and still not work.
  const managed = [namespace, jobsNamespace];
  const peers: [string, string | undefined][] = [
    ['monitoring.scraperNamespace', config.monitoring ? config.monitoring.scraperNamespace ?? 'monitoring' : undefined],
    ['network.ingressController.namespace', raw.network?.ingressController?.namespace],
    ['spark.ui.ingress.controller.namespace', raw.spark?.ui?.ingress?.controller?.namespace],
    ['airflow.ui.ingress.controller.namespace', raw.airflow?.ui?.ingress?.controller?.namespace],
    ['history.ui.ingress.controller.namespace', raw.history?.ui?.ingress?.controller?.namespace],
  ];
  for (const [field, value] of peers) {
    if (value !== undefined && managed.includes(value)) issues.add(field, value, `must not be a namespace of the platform (${managed.map((n) => `"${n}"`).join(', ')}): give the scraper or controller its own namespace`);
  }
  checkPinnedImage(issues, 'jobImage', config.jobImage ?? IMAGES.sparkJob);
  issues.addAll('sparkApplications', resolveSparkApplications(config.sparkApplications).issues);
  const submitter = config.serviceAccounts?.submitter ?? 'spark-submitter';
  const driver = config.serviceAccounts?.driver ?? 'spark-driver';
  checkDns1123Label(issues, 'serviceAccounts.submitter', submitter);
  checkDns1123Label(issues, 'serviceAccounts.driver', driver);
  const airflowSa = config.airflow?.serviceAccountName ?? 'airflow';
  if (submitter === driver) issues.add('serviceAccounts.driver', driver, 'must differ from serviceAccounts.submitter');
  for (const [field, name] of [['serviceAccounts.submitter', submitter], ['serviceAccounts.driver', driver]] as const) {
    if (name === airflowSa) issues.add(field, name, 'must differ from airflow.serviceAccountName: each identity gets only its own grants');
  }

  const apiServerCidr = config.network?.apiServerCidr;
  if (apiServerCidr === undefined) issues.add('network.apiServerCidr', apiServerCidr, `must be set: ${API_SERVER_CIDR_HINT}`);
  else if (!isIpv4Cidr(apiServerCidr)) issues.add('network.apiServerCidr', apiServerCidr, `must be an IPv4 CIDR: ${API_SERVER_CIDR_HINT}`);

  const nodePorts: ExposedNodePort[] = [];
  if (spark.resolved?.ui.expose) nodePorts.push({ field: 'spark.ui.nodePort', port: spark.resolved.ui.nodePort });
  if (airflow.resolved?.ui.expose) nodePorts.push({ field: 'airflow.ui.nodePort', port: airflow.resolved.ui.nodePort });
  if (history?.resolved?.ui.expose) nodePorts.push({ field: 'history.ui.nodePort', port: history.resolved.ui.nodePort });
  checkUniqueNodePorts(issues, nodePorts);
  ValidationError.throwIfAny(issues.issues, typeof config.environment === 'string' ? config.environment : undefined);
}

/** A NodePort some component of the environment asks for. */
export interface ExposedNodePort {
  /** The config field that sets it. */
  readonly field: string;
  /** The port. */
  readonly port: number;
}

/** Every exposed NodePort must be unique within an environment (the API server rejects duplicates). */
export function checkUniqueNodePorts(issues: IssueCollector, nodePorts: readonly ExposedNodePort[]): void {
  const seen = new Map<number, string>();
  for (const { field, port } of nodePorts) {
    const first = seen.get(port);
    if (first !== undefined) issues.add(field, port, `must be unique within the environment; ${first} already uses it`);
    else seen.set(port, field);
  }
}

/** The UI options with the platform's ingress controller filled in where an Ingress names none. */
function withController<T extends { readonly ingress?: UiIngressOptions }>(ui: T | undefined, controller: IngressControllerOptions | undefined): T | undefined {
  if (!ui?.ingress || ui.ingress.controller || !controller) return ui;
  return { ...ui, ingress: { ...ui.ingress, controller } };
}

/** The config with every UI's Ingress controller resolved (the platform's default filled in). */
function normalized(config: PlatformConfig): PlatformConfig {
  const controller = config.network?.ingressController;
  return {
    ...config,
    ...(config.spark ? { spark: { ...config.spark, ui: withController(config.spark.ui, controller) } } : {}),
    ...(config.history ? { history: { ...config.history, ui: withController(config.history.ui, controller) } } : {}),
    ...(config.airflow ? { airflow: { ...config.airflow, ui: withController(config.airflow.ui, controller) } } : {}),
  };
}

/** The Airflow props of an environment: its options plus what the platform derives (namespaces). */
function airflowProps(config: PlatformConfig): AirflowProps {
  return {
    ...config.airflow,
    namespace: config.namespace?.name ?? DEFAULT_NAMESPACE,
    jobsNamespace: config.jobsNamespace?.name ?? DEFAULT_JOBS_NAMESPACE,
    podSecurityEnforce: config.namespace?.podSecurity?.enforce ?? 'restricted',
    jobsPodSecurityEnforce: config.jobsNamespace?.podSecurity?.enforce ?? 'restricted',
  };
}

/** A Namespace object with Pod Security labels (restricted unless configured). */
function namespaceObject(scope: Construct, id: string, name: string, podSecurity: PodSecurityOptions): kplus.Namespace {
  const namespace = new kplus.Namespace(scope, id, {
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/part-of': PART_OF,
        'pod-security.kubernetes.io/enforce': podSecurity.enforce ?? 'restricted',
        'pod-security.kubernetes.io/enforce-version': `v${KUBERNETES_VERSION}`,
        'pod-security.kubernetes.io/audit': podSecurity.audit ?? 'restricted',
        'pod-security.kubernetes.io/audit-version': `v${KUBERNETES_VERSION}`,
        'pod-security.kubernetes.io/warn': podSecurity.warn ?? 'restricted',
        'pod-security.kubernetes.io/warn-version': `v${KUBERNETES_VERSION}`,
      },
    },
  });
  // A Namespace is cluster-scoped: it must not carry the chart's metadata.namespace.
  ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return namespace;
}

/** Props of {@link SparkAirflowPlatform}. */
export interface SparkAirflowPlatformProps extends ChartProps {
  /** The environment to build. */
  readonly config: PlatformConfig;
}

/**
 * The whole platform of one environment, as a cdk8s Chart: the platform namespace and the jobs
 * namespace where application code runs.
 * Validates the entire config first: nothing is built from a bad config.
 */
export class SparkAirflowPlatform extends Chart {
  /** The environment's configuration. */
  public readonly config: PlatformConfig;
  /** The platform namespace. */
  public readonly namespaceName: string;
  /** The jobs namespace: task pods, Spark drivers and executors, KubernetesExecutor workers. */
  public readonly jobsNamespaceName: string;
  /** The Spark standalone cluster. */
  public readonly spark: SparkCluster;
  /** Identities and grants for submitting Spark apps from Airflow. */
  public readonly rbac: SparkSubmitterRbac;
  /** Airflow. */
  public readonly airflow: Airflow;
  /** The Spark history server and the event-log claim, unless `history.enabled` is false. */
  public readonly history?: SparkHistoryServer;
  /** Metrics targets and monitors, when `monitoring` is set. */
  public readonly monitoring?: PlatformMonitoring;
  /** The DAG contract environment given to Airflow. */
  public readonly dagEnvironment: Readonly<Record<string, string>>;

  /** Validates the whole config first (nothing is built from a bad one), then builds every construct. */
  constructor(scope: Construct, id: string, rawProps: SparkAirflowPlatformProps) {
    validatePlatformConfig(rawProps.config);
    const props = { ...rawProps, config: normalized(rawProps.config) };
    const namespaceName = props.config.namespace?.name ?? DEFAULT_NAMESPACE;
    super(scope, id, { ...props, namespace: namespaceName, disableResourceNameHashes: true });
    this.config = rawProps.config;
    this.namespaceName = namespaceName;

    const jobsNamespaceName = props.config.jobsNamespace?.name ?? DEFAULT_JOBS_NAMESPACE;
    this.jobsNamespaceName = jobsNamespaceName;
    const podSecurity = props.config.namespace?.podSecurity ?? {};
    const jobsPodSecurity = props.config.jobsNamespace?.podSecurity ?? {};
    const namespaces = [
      namespaceObject(this, 'Namespace', namespaceName, podSecurity),
      namespaceObject(this, 'JobsNamespace', jobsNamespaceName, jobsPodSecurity),
    ];

    // Deny all traffic in both namespaces, allow DNS; every construct below declares the flows it needs.
    new NetworkFlows(this, { apiServerCidr: props.config.network.apiServerCidr, extraNamespaces: [jobsNamespaceName] });
    this.spark = new SparkCluster(this, 'Spark', { ...props.config.spark, namespace: namespaceName });
    // The standalone submit task pods (jobs namespace) run their drivers against the cluster.
    this.spark.allowClients({ name: 'spark-standalone-tasks', labels: TASK_POD_LABELS.standalone, namespace: jobsNamespaceName });
    if (props.config.history !== undefined && props.config.history.enabled !== false) {
      this.history = new SparkHistoryServer(this, 'SparkHistory', historyProps(props.config, jobsNamespaceName));
      // Drivers that write to an object store reach it: Kubernetes drivers and standalone task pods.
      this.history.allowEventLogWriters({ ...SPARK_K8S_PODS.driver, namespace: jobsNamespaceName });
      this.history.allowEventLogWriters({ name: 'spark-standalone-tasks', labels: TASK_POD_LABELS.standalone, namespace: jobsNamespaceName });
    }
    const sparkAuth = this.spark.config.authentication;
    // Their drivers authenticate with the cluster's secret: a copy in the jobs namespace, so no
    // identity there needs to read the platform namespace.
    if (sparkAuth.enabled && sparkAuth.bootstrap) SecretBootstrap.of(this).copy(sparkAuth.secretName, jobsNamespaceName);
    this.rbac = new SparkSubmitterRbac(this, 'SparkRbac', {
      namespace: jobsNamespaceName,
      submitterServiceAccountName: props.config.serviceAccounts?.submitter,
      driverServiceAccountName: props.config.serviceAccounts?.driver,
      // Kubernetes drivers serve metrics and write their event log to the history server's claim;
      // sizes from the config.
      applicationConf: { ...SPARK_METRICS_CONF, ...this.history?.applicationConf, ...resolveSparkApplications(props.config.sparkApplications).resolved?.conf },
    });
    this.rbac.allowSubmit();
    this.rbac.allowMonitor();
    this.rbac.allowDriverToManageExecutors();

    const dagEnvironment: Record<(typeof DAG_CONTRACT_ENV)[number], string> = {
      SPARK_JOB_IMAGE: props.config.jobImage ?? IMAGES.sparkJob,
      SPARK_NAMESPACE: jobsNamespaceName,
      SPARK_SUBMITTER_SERVICE_ACCOUNT: this.rbac.submitter.name,
      SPARK_DRIVER_SERVICE_ACCOUNT: this.rbac.driver.name,
      SPARK_MASTER_URL: this.spark.masterUrl,
      SPARK_POD_TEMPLATES_CONFIGMAP: this.rbac.podTemplates.name,
      // Empty when the cluster runs without authentication.
      SPARK_AUTH_SECRET_NAME: sparkAuth.enabled ? sparkAuth.secretName : '',
      // One executor per worker gets all the heap the memory arithmetic leaves (the default 1g may not fit).
      SPARK_EXECUTOR_MEMORY: `${this.spark.memoryPlan.workerMemoryMiB}m`,
      // Drivers that run in their task pod (standalone) mount the claim, or get the object store's
      // confs and credentials, and write there; all empty = no event logs.
      SPARK_EVENT_LOG_CLAIM: this.history?.claim?.name ?? '',
      SPARK_EVENT_LOG_DIR: this.history?.eventLogDir ?? '',
      SPARK_EVENT_LOG_CONF: eventLogConf(this.history),
      SPARK_EVENT_LOG_SECRET: this.history?.credentialsSecretName ?? '',
    };
    this.dagEnvironment = dagEnvironment;
    this.airflow = new Airflow(this, 'Airflow', { ...airflowProps(props.config), dagEnvironment, statsd: props.config.monitoring !== undefined });
    if (props.config.monitoring) this.monitoring = this.addMonitoring(props.config.monitoring, jobsNamespaceName);
    // Airflow's scheduler and triggerer launch and follow the submit/monitor pods in the jobs namespace.
    this.rbac.allowLaunchPods('AirflowLaunchPods', this.airflow.serviceAccount);
    if (this.airflow.workerServiceAccount) this.rbac.allowLaunchPods('AirflowWorkerLaunchPods', this.airflow.workerServiceAccount);
    // Checked at synth, so a workload added through any API that breaks them fails the synth.
    const privileged = new Set([[namespaceName, podSecurity], [jobsNamespaceName, jobsPodSecurity]].filter(([, ps]) => ((ps as PodSecurityOptions).enforce ?? 'restricted') === 'privileged').map(([name]) => name as string));
    this.node.addValidation({
      validate: () => this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).flatMap((obj) => podSecurityViolations(obj.toJson(), { allowHostPath: privileged.has(obj.metadata.namespace ?? namespaceName) })),
    });
    // Everything else depends on the namespaces, so they are applied (and listed) first.
    const namespaceObjects = namespaces.map((n) => ApiObject.of(n));
    for (const child of this.node.findAll()) {
      if (child instanceof ApiObject && !namespaceObjects.includes(child)) child.addDependency(...namespaceObjects);
    }
  }

  /** Every metrics endpoint of the platform, open to the scraper (and monitored with the operator). */
  private addMonitoring(options: MonitoringOptions, jobsNamespace: string): PlatformMonitoring {
    const resolved = resolveMonitoring(options).resolved as ResolvedMonitoring;
    const monitoring = new PlatformMonitoring(this, 'Monitoring', resolved);
    const driverPaths = [SPARK_METRICS_PATH, SPARK_EXECUTORS_METRICS_PATH];
    monitoring.add({ pods: this.spark.masterPods, portName: 'http', port: SPARK_PORTS.masterUi, paths: [SPARK_MASTER_METRICS_PATH, SPARK_APPLICATIONS_METRICS_PATH] });
    monitoring.add({ pods: this.spark.workerPods, portName: 'http', port: SPARK_PORTS.workerUi, paths: [SPARK_METRICS_PATH] });
    monitoring.add({ pods: { ...SPARK_K8S_PODS.driver, namespace: jobsNamespace }, portName: 'spark-ui', port: SPARK_DRIVER_UI_PORT, paths: driverPaths });
    monitoring.add({ pods: { name: 'spark-standalone-drivers', labels: TASK_POD_LABELS.standalone, namespace: jobsNamespace }, portName: 'spark-ui', port: SPARK_DRIVER_UI_PORT, paths: driverPaths });
    if (this.airflow.statsdPods) monitoring.add({ pods: this.airflow.statsdPods, portName: 'metrics', port: AIRFLOW_PORTS.statsdMetrics, paths: ['/metrics'], service: this.airflow.statsdPods.name });
    return monitoring;
  }
}

/**
 * The history server's props in the platform: in the jobs namespace; with an object store, on the
 * environment's job image (it carries the S3A connector) unless `history.image` says otherwise.
 */
function historyProps(config: PlatformConfig, jobsNamespace: string): SparkHistoryServerProps {
  const { enabled: _enabled, ...props } = config.history ?? {};
  const image = props.image ?? (props.eventLog?.objectStore !== undefined && config.jobImage !== undefined ? config.jobImage : undefined);
  return { ...props, namespace: jobsNamespace, ...(image !== undefined ? { image } : {}) };
}

/**
 * SPARK_EVENT_LOG_CONF: the S3A settings a driver in its task pod needs besides spark.eventLog.*,
 * as Spark confs (`spark.hadoop.fs.s3a.*`) in a JSON object with sorted keys; empty for a claim.
 */
function eventLogConf(history: SparkHistoryServer | undefined): string {
  const entries = Object.entries(history?.hadoopConf ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => [`spark.hadoop.${key}`, value]);
  return entries.length > 0 ? JSON.stringify(Object.fromEntries(entries)) : '';
}
