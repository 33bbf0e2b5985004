import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { renderProperties } from './config-files';
import { objectLabels, selectorLabels, selectPods } from './labels';
import { NetworkFlows, PodGroup } from './network';
import { addUiIngress, ResolvedUiIngress, resolveUiIngress, UiIngressOptions } from './ingress';
import { toMiB } from './quantity';
import { checkMemoryMiB, ContainerResources, ParsedResources, toKplusResources, validateResources } from './resources';
import { imageSuppressions, suppress, SUPPRESSIONS } from './scanners';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from './security';
import { jvmOverheadMiB } from './spark-memory';
import { SPARK_CONF_DIR, SPARK_HOME } from './spark-cluster';
import { checkClaimSizeGiB, checkDns1123Label, checkNodePort, checkPinnedImage, checkStorageClassName, IssueCollector, ValidationError, ValidationIssue } from './validation';
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

/** The PersistentVolumeClaim every Spark driver writes its event log to. */
export interface SparkEventLogOptions {
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
  /** The Spark image (pinned). @default IMAGES.spark */
  readonly image?: string;
  /** Name of the Deployment and Services. @default "spark-history" */
  readonly name?: string;
  /** @default - a 10Gi ReadWriteMany claim "spark-events" */
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
  readonly eventLog: { readonly claimName: string; readonly sizeGiB: number; readonly storageClassName?: string; readonly accessMode: EventLogAccessMode };
  readonly resources: ParsedResources;
  readonly daemonMemoryMiB: number;
  readonly retention: string;
  readonly ui: { readonly expose: boolean; readonly nodePort: number; readonly ingress?: ResolvedUiIngress };
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
  const image = props.image ?? IMAGES.spark;
  checkPinnedImage(issues, 'image', image);
  const name = props.name ?? 'spark-history';
  if (checkDns1123Label(issues, 'name', name) && name.length > 60) issues.add('name', name, 'must be at most 60 characters (the UI Service appends "-ui")');
  const claimName = props.eventLog?.claimName ?? 'spark-events';
  checkDns1123Label(issues, 'eventLog.claimName', claimName);
  const sizeGiB = checkClaimSizeGiB(issues, 'eventLog.size', props.eventLog?.size ?? '10Gi');
  const storageClassName = checkStorageClassName(issues, 'eventLog.storageClassName', props.eventLog?.storageClassName);
  const accessMode = props.eventLog?.accessMode ?? 'ReadWriteMany';
  if (accessMode !== 'ReadWriteMany' && accessMode !== 'ReadWriteOnce') issues.add('eventLog.accessMode', accessMode, 'must be "ReadWriteMany" or "ReadWriteOnce"');
  else if (accessMode === 'ReadWriteMany' && storageClassName === undefined && props.eventLog?.storageClassName === undefined) {
    // Most clusters' default class (EBS, Persistent Disk, local-path) offers ReadWriteOnce only:
    // the claim would stay Pending, and every driver that mounts it with it.
    issues.add('eventLog.storageClassName', undefined, 'must name a StorageClass that offers ReadWriteMany (NFS, CephFS, EFS, Filestore, Azure Files) with accessMode "ReadWriteMany"; on a single-node cluster set accessMode "ReadWriteOnce" instead');
  }
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
  if (issues.issues.length > 0 || namespace === undefined || !resources || heap === undefined || sizeGiB === undefined) return { issues: issues.issues };
  return {
    issues: [],
    resolved: {
      namespace, image, name, resources, daemonMemoryMiB: heap, retention, ui: { expose, nodePort, ...(ingress ? { ingress } : {}) },
      eventLog: { claimName, sizeGiB, accessMode, ...(storageClassName ? { storageClassName } : {}) },
    },
  };
}

/**
 * The Spark history server: serves the UI of finished (and running) applications from the event
 * logs every driver writes to a shared claim, long after the driver pods are gone. Its REST API is
 * `/api/v1/applications`. The claim lives in the jobs namespace, where the drivers run; the
 * Spark confs that make an application write there are {@link applicationConf} (Kubernetes
 * drivers) and {@link clientConf} (drivers that run in their submit pod, on the standalone cluster).
 */
export class SparkHistoryServer extends Construct {
  /**
   * The validated configuration.
   * @internal
   */
  public readonly config: ResolvedSparkHistoryServer;
  /** The claim holding the event logs. */
  public readonly claim: kplus.PersistentVolumeClaim;
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

    this.claim = new kplus.PersistentVolumeClaim(this, 'EventLogClaim', {
      metadata: meta(c.eventLog.claimName),
      accessModes: [c.eventLog.accessMode === 'ReadWriteMany' ? kplus.PersistentVolumeAccessMode.READ_WRITE_MANY : kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(c.eventLog.sizeGiB),
      ...(c.eventLog.storageClassName ? { storageClassName: c.eventLog.storageClassName } : {}),
      volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
    });

    const conf = renderProperties({
      'spark.history.fs.logDirectory': SPARK_EVENT_LOG_DIR,
      'spark.history.ui.port': String(SPARK_HISTORY_PORT),
      'spark.history.fs.update.interval': '10s',
      'spark.history.fs.cleaner.enabled': 'true',
      'spark.history.fs.cleaner.maxAge': c.retention,
    });
    const confMap = new kplus.ConfigMap(this, 'Conf', { metadata: meta(`${c.name}-conf`), data: { 'spark-defaults.conf': conf } });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: meta(c.name),
      replicas: 1,
      // The server scans the claim at start; two at once would only double the work.
      strategy: kplus.DeploymentStrategy.recreate(),
      select: false,
      securityContext: podSecurityContext(RUN_AS),
      automountServiceAccountToken: false,
      containers: [{
        name: 'history-server',
        image: c.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: [`${SPARK_HOME}/bin/spark-class`],
        args: ['org.apache.spark.deploy.history.HistoryServer', '--properties-file', `${SPARK_CONF_DIR}/spark-defaults.conf`],
        envVariables: { SPARK_DAEMON_MEMORY: kplus.EnvValue.fromValue(`${c.daemonMemoryMiB}m`) },
        ports: [{ name: 'http', number: SPARK_HISTORY_PORT }],
        readiness: kplus.Probe.fromHttpGet('/api/v1/version', { port: SPARK_HISTORY_PORT, initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        liveness: kplus.Probe.fromHttpGet('/api/v1/version', { port: SPARK_HISTORY_PORT, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
        resources: toKplusResources(c.resources),
        securityContext: containerSecurityContext(RUN_AS),
      }],
    });
    const container = this.deployment.containers[0];
    for (const [key, value] of Object.entries(labels)) this.deployment.podMetadata.addLabel(key, value);
    this.deployment.podMetadata.addAnnotation('spark-airflow-k8s/spark-conf-sha256', createHash('sha256').update(conf).digest('hex'));
    this.deployment.select(kplus.LabelSelector.of({ labels: selector }));
    container.mount(SPARK_CONF_DIR, kplus.Volume.fromConfigMap(this, 'ConfVolume', confMap, { name: 'spark-conf' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp'));
    // Read-write: the cleaner deletes logs older than the retention.
    container.mount(SPARK_EVENT_LOG_MOUNT_PATH, kplus.Volume.fromPersistentVolumeClaim(this, 'EventLogVolume', this.claim, { name: 'event-logs' }));
    hardenPodSpec(ApiObject.of(this.deployment), '/spec/template/spec');
    suppress(this.deployment, ...imageSuppressions([c.image]), SUPPRESSIONS.imageUser);

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
  }

  /**
   * Confs that make a Spark driver on Kubernetes write its event log to the claim (spark-submit
   * mounts the claim into the driver pod).
   */
  public get applicationConf(): Readonly<Record<string, string>> {
    const volume = 'spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-events';
    return {
      ...this.clientConf,
      [`${volume}.mount.path`]: SPARK_EVENT_LOG_MOUNT_PATH,
      [`${volume}.mount.readOnly`]: 'false',
      [`${volume}.options.claimName`]: this.config.eventLog.claimName,
    };
  }

  /** Confs of a driver that has the claim mounted at {@link SPARK_EVENT_LOG_MOUNT_PATH} already. */
  public get clientConf(): Readonly<Record<string, string>> {
    return { 'spark.eventLog.enabled': 'true', 'spark.eventLog.dir': SPARK_EVENT_LOG_DIR };
  }
}
