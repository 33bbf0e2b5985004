import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { renderHadoopSite, renderProperties } from './config-files';
import { objectLabels, selectorLabels, selectPods } from './labels';
import { NetworkFlows, PodGroup } from './network';
import { addUiIngress, ResolvedUiIngress, resolveUiIngress, UiIngressOptions } from './ingress';
import { toMiB } from './quantity';
import { checkMemoryMiB, ContainerResources, ParsedResources, toKplusResources, validateResources } from './resources';
import { imageSuppressions, suppress, SUPPRESSIONS } from './scanners';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from './security';
import { jvmOverheadMiB } from './spark-memory';
import { SPARK_CONF_DIR, SPARK_HOME } from './spark-cluster';
import { checkClaimSizeGiB, checkDns1123Label, checkNodePort, checkPinnedImage, checkStorageClassName, isDns1123Subdomain, isIpv4Cidr, IssueCollector, ValidationError, ValidationIssue } from './validation';
import { IMAGES, SPARK_UID, SPARK_VERSION } from './versions';

/** Port of the history server's web UI and REST API (`spark.history.ui.port`). */
export const SPARK_HISTORY_PORT = 18080;

/** Where the event-log claim is mounted, in the history server and in every driver. */
export const SPARK_EVENT_LOG_MOUNT_PATH = '/var/spark-events';

/** `spark.eventLog.dir` of the applications and `spark.history.fs.logDirectory` of the server. */
export const SPARK_EVENT_LOG_DIR = `file:${SPARK_EVENT_LOG_MOUNT_PATH}`;

/** Default NodePort of the history server UI when exposed. */
export const DEFAULT_SPARK_HISTORY_NODE_PORT = 30002;

/** Access mode of the event-log claim. */
export type EventLogAccessMode = 'ReadWriteMany' | 'ReadWriteOnce';

/**
 * An S3-compatible object store (AWS S3, Ceph RGW, MinIO...) the drivers write their event logs to
 * and the history server reads them from, through Hadoop's S3A connector (in the job image, see
 * job/connectors). Credentials come from a Secret; the platform never creates it.
 */
export interface EventLogObjectStoreOptions {
  /**
   * Where the event logs go: `s3a://<bucket>` or `s3a://<bucket>/<prefix>`. The bucket must exist;
   * the history server creates the prefix when it starts (Spark refuses a missing directory).
   */
  readonly url: string;
  /**
   * The Secret, in the jobs namespace, with the keys `AWS_ACCESS_KEY_ID` and
   * `AWS_SECRET_ACCESS_KEY` of a user that may list, read, write and delete under `url`. Drivers
   * and the history server get them as environment variables (S3A's environment credentials).
   */
  readonly credentialsSecretName: string;
  /** Endpoint of a store that is not AWS S3, `http(s)://host[:port]`. @default - AWS S3 of `region` */
  readonly endpoint?: string;
  /** Region of the bucket (`fs.s3a.endpoint.region`). @default "us-east-1" */
  readonly region?: string;
  /** Path-style requests (`<endpoint>/<bucket>/<key>`), as most S3-compatible stores need. @default false */
  readonly pathStyleAccess?: boolean;
  /**
   * Addresses of the store, as an IPv4 CIDR: the egress policies of the drivers and the history
   * server allow these addresses on the endpoint's port (443, 80, or the one the endpoint names).
   * @default "0.0.0.0/0"
   */
  readonly cidr?: string;
}

/**
 * Where every Spark driver writes its event log: a PersistentVolumeClaim (the default) or an
 * object store (`objectStore`).
 */
export interface SparkEventLogOptions {
  /**
   * Write the event logs to an object store instead of a claim: then none of the claim's fields
   * below may be set.
   * @default - a claim
   */
  readonly objectStore?: EventLogObjectStoreOptions;
  /** Name of the claim (in the jobs namespace, where the drivers run). @default "spark-events" */
  readonly claimName?: string;
  /** Size of the claim. @default "10Gi" */
  readonly size?: string;
  /** StorageClass of the claim. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /**
   * `ReadWriteMany` lets drivers on any node and the history server share it (NFS, CephFS, EFS,
   * Filestore...): then name its `storageClassName`. `ReadWriteOnce` works where everything runs on
   * one node (a dev cluster).
   * @default "ReadWriteMany"
   */
  readonly accessMode?: EventLogAccessMode;
}

/** How the history server UI is reached. */
export interface SparkHistoryUiOptions {
  /** Expose the UI on every node's `nodePort` (Service type NodePort); ClusterIP otherwise. @default false */
  readonly expose?: boolean;
  /** The NodePort when exposed. @default 30002 */
  readonly nodePort?: number;
  /** An Ingress for the UI (host, class, TLS Secret). @default - none */
  readonly ingress?: UiIngressOptions;
}

/** Props of {@link SparkHistoryServer}. */
export interface SparkHistoryServerProps {
  /** Namespace of the server and its claim: where the drivers run. @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /**
   * The Spark image (pinned). With `eventLog.objectStore` it must carry the S3A connector, as the
   * job image does.
   * @default IMAGES.spark (IMAGES.sparkJob with `eventLog.objectStore`)
   */
  readonly image?: string;
  /** Name of the Deployment and Services. @default "spark-history" */
  readonly name?: string;
  /** Where the event logs are. @default - a 10Gi ReadWriteMany claim "spark-events" */
  readonly eventLog?: SparkEventLogOptions;
  /** CPU and memory of the server. @default - cpu 100m/1, memory 1Gi/1Gi */
  readonly resources?: ContainerResources;
  /** Heap of the server JVM (SPARK_DAEMON_MEMORY). @default "512Mi" */
  readonly daemonMemory?: string;
  /**
   * How long event logs are kept (`spark.history.fs.cleaner.maxAge`): a number and a unit of
   * `m`, `h` or `d`.
   * @default "7d"
   */
  readonly retention?: string;
  /** @default - not exposed */
  readonly ui?: SparkHistoryUiOptions;
}

/**
 * The validated, defaulted view of {@link SparkHistoryServerProps}.
 * @internal
 */
export interface ResolvedSparkHistoryServer {
  readonly namespace: string;
  readonly image: string;
  readonly name: string;
  readonly eventLog: ResolvedEventLog;
  readonly resources: ParsedResources;
  readonly daemonMemoryMiB: number;
  readonly retention: string;
  readonly ui: { readonly expose: boolean; readonly nodePort: number; readonly ingress?: ResolvedUiIngress };
}

/**
 * Where the event logs are, validated.
 * @internal
 */
export type ResolvedEventLog =
  | { readonly kind: 'claim'; readonly claimName: string; readonly sizeGiB: number; readonly storageClassName?: string; readonly accessMode: EventLogAccessMode }
  | {
    readonly kind: 'objectStore'; readonly url: string; readonly credentialsSecretName: string; readonly endpoint?: string;
    readonly region: string; readonly pathStyleAccess: boolean; readonly cidr: string; readonly port: number;
  };

/** Keys of the object store's credentials Secret: the variables S3A's environment credentials read. */
export const OBJECT_STORE_CREDENTIAL_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/** S3A reads the credentials from these variables only: no instance-metadata probes, no surprises. */
const S3A_CREDENTIALS_PROVIDER = 'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider';

const S3A_URL = /^s3a:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[A-Za-z0-9!_.*'()=-]+)*$/;
const ENDPOINT = /^(https?):\/\/([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:([0-9]{1,5}))?$/;
const REGION = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

function resolveObjectStore(issues: IssueCollector, eventLog: SparkEventLogOptions, store: EventLogObjectStoreOptions): ResolvedEventLog | undefined {
  const before = issues.issues.length;
  for (const field of ['claimName', 'size', 'storageClassName', 'accessMode'] as const) {
    if (eventLog[field] !== undefined) issues.add(`eventLog.${field}`, eventLog[field], 'must not be set with eventLog.objectStore (the event logs go to the object store, there is no claim)');
  }
  const url = store.url;
  if (typeof url !== 'string' || !S3A_URL.test(url) || url.includes('..')) {
    issues.add('eventLog.objectStore.url', url, typeof url === 'string' && /^s3n?:\/\//.test(url)
      ? 'must use the s3a:// scheme (Hadoop\'s S3A connector), e.g. "s3a://my-bucket/spark-events"'
      : 'must be s3a://<bucket> or s3a://<bucket>/<prefix>: a bucket name of 3-63 lower-case letters, digits, "." and "-", then path segments without a trailing "/"');
  }
  if (!isDns1123Subdomain(store.credentialsSecretName)) {
    issues.add('eventLog.objectStore.credentialsSecretName', store.credentialsSecretName, `must name the Secret with the keys ${OBJECT_STORE_CREDENTIAL_KEYS.join(' and ')} (a DNS-1123 subdomain)`);
  }
  let port = 443;
  if (store.endpoint !== undefined) {
    const m = typeof store.endpoint === 'string' ? ENDPOINT.exec(store.endpoint) : null;
    const explicit = m?.[7] === undefined ? undefined : Number(m[7]);
    if (!m || (explicit !== undefined && (explicit < 1 || explicit > 65535))) {
      issues.add('eventLog.objectStore.endpoint', store.endpoint, 'must be http(s)://<host>[:<port>] with no path, e.g. "https://s3.eu-west-1.amazonaws.com" or "http://minio.storage:9000"');
    } else {
      port = explicit ?? (m[1] === 'https' ? 443 : 80);
    }
  }
  const region = store.region ?? 'us-east-1';
  if (typeof region !== 'string' || !REGION.test(region)) issues.add('eventLog.objectStore.region', region, 'must be a region name of lower-case letters, digits and "-", e.g. "eu-west-1"');
  const pathStyleAccess = store.pathStyleAccess ?? false;
  if (typeof pathStyleAccess !== 'boolean') issues.add('eventLog.objectStore.pathStyleAccess', pathStyleAccess, 'must be true or false');
  const cidr = store.cidr ?? '0.0.0.0/0';
  if (!isIpv4Cidr(cidr)) issues.add('eventLog.objectStore.cidr', cidr, 'must be an IPv4 CIDR of the store\'s addresses, e.g. "10.0.80.0/24" ("0.0.0.0/0" for any)');
  if (issues.issues.length > before) return undefined;
  return {
    kind: 'objectStore', url, credentialsSecretName: store.credentialsSecretName, region, pathStyleAccess, cidr, port,
    ...(store.endpoint !== undefined ? { endpoint: store.endpoint } : {}),
  };
}

const DEFAULT_RESOURCES: ContainerResources = { cpu: { request: '100m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } };
const RETENTION = /^[1-9][0-9]{0,5}[mhd]$/;
const RUN_AS: RunAs = { user: SPARK_UID, group: SPARK_UID, fsGroup: SPARK_UID };

/**
 * Validates {@link SparkHistoryServerProps} and applies defaults; field paths relative to the props.
 * @internal
 */
export function resolveSparkHistoryServer(props: SparkHistoryServerProps, chartNamespace?: string): { resolved?: ResolvedSparkHistoryServer; issues: readonly ValidationIssue[] } {
  const issues = new IssueCollector();
  const namespace = props.namespace ?? chartNamespace;
  checkDns1123Label(issues, 'namespace', namespace);
  const image = props.image ?? (props.eventLog?.objectStore !== undefined ? IMAGES.sparkJob : IMAGES.spark);
  checkPinnedImage(issues, 'image', image);
  const name = props.name ?? 'spark-history';
  if (checkDns1123Label(issues, 'name', name) && name.length > 60) issues.add('name', name, 'must be at most 60 characters (the UI Service appends "-ui")');
  const store = props.eventLog?.objectStore;
  const eventLog = store !== undefined ? resolveObjectStore(issues, props.eventLog ?? {}, store) : resolveClaim(issues, props.eventLog ?? {});
  const resources = validateResources(issues, 'resources', props.resources ?? DEFAULT_RESOURCES);
  const heap = checkMemoryMiB(issues, 'daemonMemory', props.daemonMemory ?? '512Mi');
  if (resources && heap !== undefined && heap + jvmOverheadMiB(heap) > toMiB(resources.memoryLimitBytes)) {
    issues.add('resources.memory.limit', (props.resources ?? DEFAULT_RESOURCES).memory.limit,
      `too small for the history server JVM: daemonMemory ${heap}Mi + JVM overhead ${jvmOverheadMiB(heap)}Mi = ${heap + jvmOverheadMiB(heap)}Mi`);
  }
  const retention = props.retention ?? '7d';
  if (typeof retention !== 'string' || !RETENTION.test(retention)) issues.add('retention', retention, 'must be a whole number followed by m, h or d, e.g. "7d" or "36h"');
  const expose = props.ui?.expose ?? false;
  const nodePort = props.ui?.nodePort ?? DEFAULT_SPARK_HISTORY_NODE_PORT;
  checkNodePort(issues, 'ui.nodePort', nodePort);
  const ingress = resolveUiIngress(issues, 'ui.ingress', props.ui?.ingress);
  if (issues.issues.length > 0 || namespace === undefined || !resources || heap === undefined || eventLog === undefined) return { issues: issues.issues };
  return {
    issues: [],
    resolved: { namespace, image, name, resources, daemonMemoryMiB: heap, retention, ui: { expose, nodePort, ...(ingress ? { ingress } : {}) }, eventLog },
  };
}

function resolveClaim(issues: IssueCollector, eventLog: SparkEventLogOptions): ResolvedEventLog | undefined {
  const before = issues.issues.length;
  const claimName = eventLog.claimName ?? 'spark-events';
  checkDns1123Label(issues, 'eventLog.claimName', claimName);
  const sizeGiB = checkClaimSizeGiB(issues, 'eventLog.size', eventLog.size ?? '10Gi');
  const storageClassName = checkStorageClassName(issues, 'eventLog.storageClassName', eventLog.storageClassName);
  const accessMode = eventLog.accessMode ?? 'ReadWriteMany';
  if (accessMode !== 'ReadWriteMany' && accessMode !== 'ReadWriteOnce') issues.add('eventLog.accessMode', accessMode, 'must be "ReadWriteMany" or "ReadWriteOnce"');
  else if (accessMode === 'ReadWriteMany' && storageClassName === undefined && eventLog.storageClassName === undefined) {
    // Most clusters' default class (EBS, Persistent Disk, local-path) offers ReadWriteOnce only:
    // the claim would stay Pending, and every driver that mounts it with it.
    issues.add('eventLog.storageClassName', undefined, 'must name a StorageClass that offers ReadWriteMany (NFS, CephFS, EFS, Filestore, Azure Files) with accessMode "ReadWriteMany"; on a single-node cluster set accessMode "ReadWriteOnce" instead, or use eventLog.objectStore');
  }
  if (issues.issues.length > before || sizeGiB === undefined) return undefined;
  return { kind: 'claim', claimName, sizeGiB, accessMode, ...(storageClassName ? { storageClassName } : {}) };
}

/**
 * The Spark history server: serves the UI of finished (and running) applications from the event
 * logs every driver writes, long after the driver pods are gone. Its REST API is
 * `/api/v1/applications`. The event logs are on a claim in the jobs namespace, where the drivers
 * run, or in an object store (`eventLog.objectStore`). The Spark confs that make an application
 * write there are {@link applicationConf} (Kubernetes drivers) and {@link clientConf} (drivers that
 * run in their submit pod, on the standalone cluster); {@link allowEventLogWriters} opens the way to
 * an object store for them.
 */
export class SparkHistoryServer extends Construct {
  /**
   * The validated configuration.
   * @internal
   */
  public readonly config: ResolvedSparkHistoryServer;
  /** The claim holding the event logs; none with `eventLog.objectStore`. */
  public readonly claim?: kplus.PersistentVolumeClaim;
  /** The server Deployment. */
  public readonly deployment: kplus.Deployment;
  /** The UI Service: NodePort when exposed, ClusterIP otherwise. */
  public readonly service: kplus.Service;
  /** The server's pods. */
  public readonly pods: PodGroup;
  /** The Ingress of the UI, when `ui.ingress` is set. */
  public readonly ingress?: kplus.k8s.KubeIngress;

  /** Validates `props` (throws a ValidationError naming every bad field) and builds the server and its claim. */
  constructor(scope: Construct, id: string, props: SparkHistoryServerProps = {}) {
    super(scope, id);
    const { resolved, issues } = resolveSparkHistoryServer(props, Chart.of(this).namespace);
    if (!resolved) throw new ValidationError(issues);
    const c = resolved;
    this.config = c;
    const selector = selectorLabels('spark', 'history-server', c.name);
    const labels = objectLabels(selector, SPARK_VERSION);
    const meta = (name: string) => ({ name, namespace: c.namespace, labels });
    const log = c.eventLog;

    if (log.kind === 'claim') {
      this.claim = new kplus.PersistentVolumeClaim(this, 'EventLogClaim', {
        metadata: meta(log.claimName),
        accessModes: [log.accessMode === 'ReadWriteMany' ? kplus.PersistentVolumeAccessMode.READ_WRITE_MANY : kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        storage: Size.gibibytes(log.sizeGiB),
        ...(log.storageClassName ? { storageClassName: log.storageClassName } : {}),
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });
    }

    const conf = renderProperties({
      'spark.history.fs.logDirectory': this.eventLogDir,
      'spark.history.ui.port': String(SPARK_HISTORY_PORT),
      'spark.history.fs.update.interval': '10s',
      'spark.history.fs.cleaner.enabled': 'true',
      'spark.history.fs.cleaner.maxAge': c.retention,
    });
    // The S3A settings as core-site.xml (read from SPARK_CONF_DIR, on the classpath) serve the
    // server and the Hadoop shell that creates the prefix alike.
    const files: Record<string, string> = { 'spark-defaults.conf': conf, ...(log.kind === 'objectStore' ? { 'core-site.xml': renderHadoopSite(this.hadoopConf) } : {}) };
    const confMap = new kplus.ConfigMap(this, 'Conf', { metadata: meta(`${c.name}-conf`), data: files });
    // With an object store: its keys from the Secret, and SPARK_CONF_DIR, which spark-class puts on
    // the classpath, so that Hadoop finds core-site.xml (the Hadoop shell fails without it).
    const storeEnv: Record<string, kplus.EnvValue> = {};
    if (log.kind === 'objectStore') {
      const secret = kplus.Secret.fromSecretName(this, 'ObjectStoreCredentials', log.credentialsSecretName);
      storeEnv.SPARK_CONF_DIR = kplus.EnvValue.fromValue(SPARK_CONF_DIR);
      for (const key of OBJECT_STORE_CREDENTIAL_KEYS) storeEnv[key] = kplus.EnvValue.fromSecretValue({ secret, key });
    }

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: meta(c.name),
      replicas: 1,
      // The server scans the event logs at start; two at once would only double the work.
      strategy: kplus.DeploymentStrategy.recreate(),
      select: false,
      securityContext: podSecurityContext(RUN_AS),
      automountServiceAccountToken: false,
      // Spark refuses an event-log directory that does not exist, and an object store has none
      // until something is written under the prefix: create it (idempotent) before the server starts.
      initContainers: log.kind === 'objectStore' ? [{
        name: 'create-log-directory',
        image: c.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: [`${SPARK_HOME}/bin/spark-class`],
        args: ['org.apache.hadoop.fs.FsShell', '-mkdir', '-p', log.url],
        // spark-class sizes the heap of a non-Spark class by SPARK_DRIVER_MEMORY
        envVariables: { SPARK_DRIVER_MEMORY: kplus.EnvValue.fromValue(`${c.daemonMemoryMiB}m`), ...storeEnv },
        resources: toKplusResources(c.resources),
        securityContext: containerSecurityContext(RUN_AS),
      }] : [],
      containers: [{
        name: 'history-server',
        image: c.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: [`${SPARK_HOME}/bin/spark-class`],
        args: ['org.apache.spark.deploy.history.HistoryServer', '--properties-file', `${SPARK_CONF_DIR}/spark-defaults.conf`],
        envVariables: { SPARK_DAEMON_MEMORY: kplus.EnvValue.fromValue(`${c.daemonMemoryMiB}m`), ...storeEnv },
        ports: [{ name: 'http', number: SPARK_HISTORY_PORT }],
        readiness: kplus.Probe.fromHttpGet('/api/v1/version', { port: SPARK_HISTORY_PORT, initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        liveness: kplus.Probe.fromHttpGet('/api/v1/version', { port: SPARK_HISTORY_PORT, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
        resources: toKplusResources(c.resources),
        securityContext: containerSecurityContext(RUN_AS),
      }],
    });
    const container = this.deployment.containers[0];
    for (const [key, value] of Object.entries(labels)) this.deployment.podMetadata.addLabel(key, value);
    this.deployment.podMetadata.addAnnotation('spark-airflow-k8s/spark-conf-sha256', createHash('sha256').update(Object.keys(files).sort().map((k) => files[k]).join('')).digest('hex'));
    this.deployment.select(kplus.LabelSelector.of({ labels: selector }));
    const confVolume = kplus.Volume.fromConfigMap(this, 'ConfVolume', confMap, { name: 'spark-conf' });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp');
    for (const ctr of [container, ...this.deployment.initContainers]) {
      ctr.mount(SPARK_CONF_DIR, confVolume, { readOnly: true });
      ctr.mount('/tmp', tmpVolume);
    }
    // Read-write: the cleaner deletes logs older than the retention.
    if (this.claim) container.mount(SPARK_EVENT_LOG_MOUNT_PATH, kplus.Volume.fromPersistentVolumeClaim(this, 'EventLogVolume', this.claim, { name: 'event-logs' }));
    hardenPodSpec(ApiObject.of(this.deployment), '/spec/template/spec');
    suppress(this.deployment, ...imageSuppressions([c.image]), SUPPRESSIONS.imageUser, ...(log.kind === 'objectStore' ? [SUPPRESSIONS.secretEnv] : []));

    this.service = new kplus.Service(this, 'Service', {
      metadata: meta(`${c.name}-ui`),
      type: c.ui.expose ? kplus.ServiceType.NODE_PORT : kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: SPARK_HISTORY_PORT, targetPort: SPARK_HISTORY_PORT, ...(c.ui.expose ? { nodePort: c.ui.nodePort } : {}) }],
    });
    selectPods(this.service, selector);

    this.pods = { name: c.name, labels: selector, namespace: c.namespace };
    if (c.ui.ingress) {
      this.ingress = addUiIngress(this, 'Ingress', { name: `${c.name}-ui`, namespace: c.namespace, labels, service: this.service, port: SPARK_HISTORY_PORT, pods: this.pods, ingress: c.ui.ingress });
    }
    if (c.ui.expose) {
      NetworkFlows.of(this).allow({ name: `${c.name}-ui`, from: { kind: 'anywhere' }, to: { kind: 'pods', group: this.pods }, ports: [{ port: SPARK_HISTORY_PORT }], purpose: `the Spark history server UI on NodePort ${c.ui.nodePort}` });
    }
    this.allowEventLogWriters(this.pods, 'the Spark history server reads and cleans the event logs');
  }

  /** `spark.eventLog.dir` of the applications and `spark.history.fs.logDirectory` of the server. */
  public get eventLogDir(): string {
    return this.config.eventLog.kind === 'objectStore' ? this.config.eventLog.url : SPARK_EVENT_LOG_DIR;
  }

  /** The Secret with the object store's credentials; undefined for a claim. */
  public get credentialsSecretName(): string | undefined {
    return this.config.eventLog.kind === 'objectStore' ? this.config.eventLog.credentialsSecretName : undefined;
  }

  /** Hadoop settings of the S3A connector (`fs.s3a.*`); empty for a claim. */
  public get hadoopConf(): Readonly<Record<string, string>> {
    const log = this.config.eventLog;
    if (log.kind !== 'objectStore') return {};
    return {
      'fs.s3a.aws.credentials.provider': S3A_CREDENTIALS_PROVIDER,
      'fs.s3a.endpoint.region': log.region,
      'fs.s3a.path.style.access': String(log.pathStyleAccess),
      ...(log.endpoint !== undefined ? { 'fs.s3a.endpoint': log.endpoint } : {}),
    };
  }

  /**
   * Confs that make a Spark driver on Kubernetes write its event log: spark-submit mounts the
   * claim into the driver pod, or gives it the object store's credentials from their Secret.
   */
  public get applicationConf(): Readonly<Record<string, string>> {
    const log = this.config.eventLog;
    if (log.kind === 'objectStore') {
      const secretRefs = Object.fromEntries(OBJECT_STORE_CREDENTIAL_KEYS.map((key) => [`spark.kubernetes.driver.secretKeyRef.${key}`, `${log.credentialsSecretName}:${key}`]));
      return { ...this.clientConf, ...secretRefs };
    }
    const volume = 'spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-events';
    return {
      ...this.clientConf,
      [`${volume}.mount.path`]: SPARK_EVENT_LOG_MOUNT_PATH,
      [`${volume}.mount.readOnly`]: 'false',
      [`${volume}.options.claimName`]: log.claimName,
    };
  }

  /**
   * Confs of a driver that has the claim mounted at {@link SPARK_EVENT_LOG_MOUNT_PATH} already, or
   * the object store's credentials in its environment.
   */
  public get clientConf(): Readonly<Record<string, string>> {
    const hadoop = Object.fromEntries(Object.entries(this.hadoopConf).map(([key, value]) => [`spark.hadoop.${key}`, value]));
    return { 'spark.eventLog.enabled': 'true', 'spark.eventLog.dir': this.eventLogDir, ...hadoop };
  }

  /** Lets `pods` reach the object store (an egress policy to its CIDR and port); nothing for a claim. */
  public allowEventLogWriters(pods: PodGroup, purpose = 'Spark drivers write their event logs'): void {
    const log = this.config.eventLog;
    if (log.kind !== 'objectStore') return;
    NetworkFlows.of(this).allow({ name: `${pods.name}-to-event-log-store`, from: { kind: 'pods', group: pods }, to: { kind: 'cidr', cidr: log.cidr }, ports: [{ port: log.port }], purpose: `${purpose} in the object store ${log.url}` });
  }
}
