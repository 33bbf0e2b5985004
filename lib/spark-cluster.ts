import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { objectLabels, selectorLabels, selectPods } from './labels';
import { checkMemoryMiB, ContainerResources, ParsedResources, toKplusResources, validateResources } from './resources';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from './security';
import { planWorkerMemory, WorkerMemoryPlan, jvmOverheadMiB } from './spark-memory';
import { checkClaimSizeGiB, checkDns1123Label, checkNodePort, checkPinnedImage, checkStorageClassName, IssueCollector, ValidationError, ValidationIssue } from './validation';
import { IMAGES, SPARK_UID, SPARK_VERSION } from './versions';
import { toMiB } from './quantity';
import { renderProperties } from './config-files';
import { FlowPeer, NetworkFlows, PodGroup } from './network';
import { SecretBootstrap } from './secret-bootstrap';
import { imageSuppressions, suppress, SUPPRESSIONS } from './scanners';
import { SPARK_METRICS_CONF } from './monitoring';
import { addUiIngress, ResolvedUiIngress, resolveUiIngress, UiIngressOptions } from './ingress';

/** Well-known ports of the Spark standalone daemons. */
export const SPARK_PORTS = {
  /** Master RPC: workers register here, drivers submit applications here. */
  masterRpc: 7077,
  /** Master web UI. */
  masterUi: 8080,
  /** Worker RPC (fixed, so network policies can name it). */
  workerRpc: 7078,
  /** Worker web UI. */
  workerUi: 8081,
} as const;

/**
 * Fixed ports of Spark applications that use the standalone cluster, so NetworkPolicies can name
 * them. Clients set them (dags/spark_tasks.py does): `spark.driver.port`,
 * `spark.driver.blockManager.port` and `spark.blockManager.port` (executors take the next free
 * port up to `spark.port.maxRetries`, 16 by default, when several share a worker).
 */
export const SPARK_APP_PORTS = {
  /** `spark.driver.port`. */
  driver: 7078,
  /** `spark.driver.blockManager.port`. */
  driverBlockManager: 7079,
  /** `spark.blockManager.port` of the executors. */
  executorBlockManagerFirst: 7080,
  /** The last port an executor may take (first + spark.port.maxRetries). */
  executorBlockManagerLast: 7096,
} as const;

/** Key of the shared secret in the Spark authentication Secret. */
export const SPARK_AUTH_SECRET_KEY = 'secret';

/** Where Spark lives in the apache/spark image. */
export const SPARK_HOME = '/opt/spark';
/** Where the platform mounts spark-defaults.conf. */
export const SPARK_CONF_DIR = '/etc/spark';
/** Where the master keeps its FILESYSTEM recovery state (the recovery claim's mount). */
export const SPARK_RECOVERY_DIR = '/var/lib/spark-master/recovery';
/** The worker's scratch directory (executor working dirs), an emptyDir. */
export const SPARK_WORKER_DIR = '/opt/spark/work';

/** Options of the Spark master. */
export interface SparkMasterOptions {
  /**
   * CPU and memory of the master container.
   * @default - cpu 250m/1, memory 1Gi/1Gi
   */
  readonly resources?: ContainerResources;
  /**
   * Heap of the master JVM (SPARK_DAEMON_MEMORY). Heap plus JVM overhead must fit the memory limit.
   * @default "512Mi"
   */
  readonly daemonMemory?: string;
  /**
   * How a restarted master gets its workers and running applications back.
   * @default - FILESYSTEM recovery on a 1Gi ReadWriteOnce claim
   */
  readonly recovery?: SparkMasterRecoveryOptions;
}

/**
 * Recovery of the standalone master (`spark.deploy.recoveryMode`). With `filesystem` the master
 * writes every registered worker, application and driver to a PersistentVolumeClaim; a master pod
 * that replaces it (a crash, a node drain, a rollout) reads them back, tells workers and drivers
 * it is the master now, and running applications go on. With `none` a new master starts empty:
 * workers register again, but the applications that were running lose their master.
 */
export interface SparkMasterRecoveryOptions {
  /** `filesystem` (FILESYSTEM recovery on a claim) or `none`. @default "filesystem" */
  readonly mode?: 'filesystem' | 'none';
  /** Size of the recovery claim: it holds a small file per worker and application. @default "1Gi" */
  readonly size?: string;
  /** StorageClass of the recovery claim. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** A toleration of a node taint. */
export interface SparkToleration {
  /** Taint key; omit with operator Exists to tolerate every taint. @default - any key */
  readonly key?: string;
  /** `Equal` matches key and value, `Exists` matches the key alone. @default "Equal" */
  readonly operator?: 'Equal' | 'Exists';
  /** Taint value for operator Equal. @default - none */
  readonly value?: string;
  /** Taint effect to tolerate. @default - every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Options of the worker DaemonSet (one worker per matching node). */
export interface SparkWorkerOptions {
  /**
   * CPU and memory of the worker container. The executors run inside it, so the memory limit
   * bounds the worker daemon and all its executors together (see {@link SparkCluster.memoryPlan}).
   * @default - cpu 1/2, memory 2Gi/2Gi
   */
  readonly resources?: ContainerResources;
  /**
   * SPARK_WORKER_CORES: cores the worker offers to executors. More than the CPU limit only with
   * {@link oversubscribeCores}: the executors' threads would be throttled to the limit.
   * @default - the CPU limit rounded down, at least 1
   */
  readonly cores?: number;
  /**
   * Allow `cores` above the CPU limit (executors that mostly wait on I/O).
   * @default false
   */
  readonly oversubscribeCores?: boolean;
  /**
   * SPARK_WORKER_MEMORY: total executor heap the worker offers.
   * @default - the largest value that fits the memory limit with JVM overheads
   */
  readonly memory?: string;
  /**
   * SPARK_DAEMON_MEMORY: heap of the worker daemon JVM itself.
   * @default "512Mi"
   */
  readonly daemonMemory?: string;
  /**
   * Run workers only on nodes with these labels.
   * @default - every schedulable node
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Taints the workers tolerate (e.g. dedicated Spark nodes).
   * @default - none
   */
  readonly tolerations?: readonly SparkToleration[];
}

/** How the master web UI is reached. */
export interface SparkUiOptions {
  /**
   * Expose the master UI on every node's port `nodePort` (Service type NodePort).
   * When false the UI Service is ClusterIP (reach it with `kubectl port-forward`).
   * @default false
   */
  readonly expose?: boolean;
  /**
   * The NodePort of the master UI when exposed.
   * @default 30000
   */
  readonly nodePort?: number;
  /** An Ingress for the master UI (host, class, TLS Secret). @default - none */
  readonly ingress?: UiIngressOptions;
}

/** RPC authentication and encryption of the standalone cluster. */
export interface SparkAuthenticationOptions {
  /**
   * `spark.authenticate` and `spark.network.crypto.enabled` on master, workers and executors;
   * clients need the same secret. Spark standalone trusts anyone who reaches its ports otherwise.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Secret holding the shared secret under the key `secret`.
   * @default "spark-auth"
   */
  readonly secretName?: string;
  /**
   * Generate the Secret in-cluster when it does not exist (see SecretBootstrap). Set false when
   * you supply it (Pulumi secret config, a secret manager).
   * @default true
   */
  readonly bootstrap?: boolean;
}

/** Props of {@link SparkCluster}. */
export interface SparkClusterProps {
  /**
   * Namespace the cluster runs in; it is part of the master URL the workers use.
   * @default - the namespace of the enclosing Chart
   */
  readonly namespace?: string;
  /**
   * The Spark image (pinned tag or digest) used by master and workers.
   * @default IMAGES.spark
   */
  readonly image?: string;
  /**
   * Name of the master Deployment and Service.
   * @default "spark-master"
   */
  readonly masterName?: string;
  /**
   * Name of the worker DaemonSet.
   * @default "spark-worker"
   */
  readonly workerName?: string;
  /** @default - see SparkMasterOptions */
  readonly master?: SparkMasterOptions;
  /** @default - see SparkWorkerOptions */
  readonly worker?: SparkWorkerOptions;
  /** @default - not exposed */
  readonly ui?: SparkUiOptions;
  /**
   * Extra `spark-defaults.conf` entries for master and workers. Must not re-enable the
   * REST submission gateway, weaken authentication or hold a secret.
   * @default - none
   */
  readonly sparkConf?: Readonly<Record<string, string>>;
  /** @default - enabled, Secret "spark-auth" generated in-cluster */
  readonly authentication?: SparkAuthenticationOptions;
}

const DEFAULT_MASTER_RESOURCES: ContainerResources = { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } };
const DEFAULT_WORKER_RESOURCES: ContainerResources = { cpu: { request: '1', limit: '2' }, memory: { request: '2Gi', limit: '2Gi' } };
const DEFAULT_DAEMON_MEMORY = '512Mi';
/** Default NodePort of the Spark master UI (from the original single-file setup). */
export const DEFAULT_SPARK_UI_NODE_PORT = 30000;

const SPARK_RUN_AS: RunAs = { user: SPARK_UID, group: SPARK_UID, fsGroup: SPARK_UID };
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const SPARK_CONF_KEY = /^spark\.[A-Za-z0-9_.*-]+$/;

/**
 * The validated, defaulted view of {@link SparkClusterProps}.
 * @internal
 */
export interface ResolvedSparkCluster {
  readonly namespace: string;
  readonly image: string;
  readonly masterName: string;
  readonly workerName: string;
  readonly master: {
    readonly resources: ParsedResources;
    readonly daemonMemoryMiB: number;
    readonly recovery?: { readonly sizeGiB: number; readonly storageClassName?: string };
  };
  readonly worker: {
    readonly resources: ParsedResources;
    readonly cores: number;
    readonly memoryPlan: WorkerMemoryPlan;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly SparkToleration[];
  };
  readonly ui: { readonly expose: boolean; readonly nodePort: number; readonly ingress?: ResolvedUiIngress };
  readonly sparkConf: Readonly<Record<string, string>>;
  readonly authentication: { readonly enabled: boolean; readonly secretName: string; readonly bootstrap: boolean };
}

/**
 * Validates {@link SparkClusterProps} and applies defaults. Returns every problem found,
 * with field paths relative to the props.
 * @internal
 */
export function resolveSparkCluster(props: SparkClusterProps, chartNamespace?: string): { resolved?: ResolvedSparkCluster; issues: readonly ValidationIssue[] } {
  const issues = new IssueCollector();
  const namespace = props.namespace ?? chartNamespace;
  checkDns1123Label(issues, 'namespace', namespace);
  const image = props.image ?? IMAGES.spark;
  checkPinnedImage(issues, 'image', image);
  const masterName = props.masterName ?? 'spark-master';
  const workerName = props.workerName ?? 'spark-worker';
  // The UI Service is named `<masterName>-ui`, so leave room for the suffix.
  if (checkDns1123Label(issues, 'masterName', masterName) && masterName.length > 60) {
    issues.add('masterName', masterName, 'must be at most 60 characters (the UI Service appends "-ui")');
  }
  checkDns1123Label(issues, 'workerName', workerName);
  if (masterName === workerName) issues.add('workerName', workerName, 'must differ from masterName');

  const masterResources = validateResources(issues, 'master.resources', props.master?.resources ?? DEFAULT_MASTER_RESOURCES);
  const masterHeap = checkMemoryMiB(issues, 'master.daemonMemory', props.master?.daemonMemory ?? DEFAULT_DAEMON_MEMORY);
  if (masterResources && masterHeap !== undefined) {
    const limitMiB = toMiB(masterResources.memoryLimitBytes);
    const total = masterHeap + jvmOverheadMiB(masterHeap);
    if (total > limitMiB) {
      issues.add('master.resources.memory.limit', props.master?.resources?.memory.limit ?? DEFAULT_MASTER_RESOURCES.memory.limit,
        `too small for the master JVM: SPARK_DAEMON_MEMORY ${masterHeap}Mi + JVM overhead ${jvmOverheadMiB(masterHeap)}Mi = ${total}Mi > limit ${limitMiB}Mi; raise the limit to at least ${total}Mi`);
    }
  }

  const recoveryMode = props.master?.recovery?.mode ?? 'filesystem';
  let recovery: ResolvedSparkCluster['master']['recovery'];
  if (recoveryMode !== 'filesystem' && recoveryMode !== 'none') {
    issues.add('master.recovery.mode', recoveryMode, 'must be "filesystem" or "none"');
  } else if (recoveryMode === 'filesystem') {
    const sizeGiB = checkClaimSizeGiB(issues, 'master.recovery.size', props.master?.recovery?.size ?? '1Gi');
    const storageClassName = checkStorageClassName(issues, 'master.recovery.storageClassName', props.master?.recovery?.storageClassName);
    if (sizeGiB !== undefined) recovery = { sizeGiB, ...(storageClassName ? { storageClassName } : {}) };
  } else {
    for (const field of ['size', 'storageClassName'] as const) {
      if (props.master?.recovery?.[field] !== undefined) issues.add(`master.recovery.${field}`, props.master.recovery[field], 'must be unset with recovery mode "none"');
    }
  }

  const worker = props.worker ?? {};
  const workerResourcesInput = worker.resources ?? DEFAULT_WORKER_RESOURCES;
  const workerResources = validateResources(issues, 'worker.resources', workerResourcesInput);
  const daemonHeap = checkMemoryMiB(issues, 'worker.daemonMemory', worker.daemonMemory ?? DEFAULT_DAEMON_MEMORY);
  const explicitWorkerMemory = worker.memory === undefined ? undefined : checkMemoryMiB(issues, 'worker.memory', worker.memory);
  let memoryPlan: WorkerMemoryPlan | undefined;
  if (workerResources && daemonHeap !== undefined && (worker.memory === undefined || explicitWorkerMemory !== undefined)) {
    const result = planWorkerMemory(toMiB(workerResources.memoryLimitBytes), daemonHeap, explicitWorkerMemory);
    if (result.ok) memoryPlan = result.plan;
    else if (worker.memory === undefined) issues.add('worker.resources.memory.limit', workerResourcesInput.memory.limit, result.reason);
    else issues.add('worker.memory', worker.memory, result.reason);
  }
  let cores: number | undefined;
  if (worker.cores !== undefined) {
    if (!Number.isInteger(worker.cores) || worker.cores < 1) issues.add('worker.cores', worker.cores, 'must be a positive integer');
    else if (workerResources && worker.cores * 1000 > workerResources.cpuLimitMillis && worker.oversubscribeCores !== true) {
      issues.add('worker.cores', worker.cores, `must not exceed the worker's CPU limit (${workerResources.cpuLimitMillis / 1000}): executors would be throttled; raise spark.worker.resources.cpu.limit or set spark.worker.oversubscribeCores`);
    } else cores = worker.cores;
  } else if (workerResources) {
    cores = Math.max(1, Math.floor(workerResources.cpuLimitMillis / 1000));
  }
  const nodeSelector = worker.nodeSelector ?? {};
  for (const [key, value] of Object.entries(nodeSelector)) {
    if (!LABEL_KEY.test(key) || key.length > 317) issues.add(`worker.nodeSelector.${key}`, key, 'must be a valid label key, e.g. "node-role/spark" or "kubernetes.io/arch"');
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) issues.add(`worker.nodeSelector.${key}`, value, 'must be a valid label value: at most 63 characters of A-Z, a-z, 0-9, "-", "_", "."');
  }
  const tolerations = worker.tolerations ?? [];
  tolerations.forEach((t, i) => {
    const field = `worker.tolerations[${i}]`;
    if (t.operator !== undefined && t.operator !== 'Equal' && t.operator !== 'Exists') issues.add(`${field}.operator`, t.operator, 'must be "Equal" or "Exists"');
    if (t.effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) issues.add(`${field}.effect`, t.effect, 'must be "NoSchedule", "PreferNoSchedule" or "NoExecute"');
    if ((t.operator ?? 'Equal') === 'Equal' && (t.key === undefined || t.value === undefined)) issues.add(field, t, 'operator Equal needs both key and value');
    if (t.operator === 'Exists' && t.value !== undefined) issues.add(`${field}.value`, t.value, 'must be empty with operator Exists');
  });

  const expose = props.ui?.expose ?? false;
  const nodePort = props.ui?.nodePort ?? DEFAULT_SPARK_UI_NODE_PORT;
  checkNodePort(issues, 'ui.nodePort', nodePort);
  const ingress = resolveUiIngress(issues, 'ui.ingress', props.ui?.ingress);

  const sparkConf = props.sparkConf ?? {};
  for (const [key, value] of Object.entries(sparkConf)) {
    if (!SPARK_CONF_KEY.test(key)) issues.add(`sparkConf.${key}`, key, 'must be a Spark property name starting with "spark."');
    else if (typeof value !== 'string') issues.add(`sparkConf.${key}`, value, 'must be a string');
    else if (key === 'spark.master.rest.enabled' && value.trim().toLowerCase() !== 'false') {
      issues.add(`sparkConf.${key}`, value, 'must stay "false": the standalone REST submission gateway accepts unauthenticated submissions (CVE-2018-11770)');
    } else if (/^spark\.authenticate\.secret/.test(key)) {
      issues.add(`sparkConf.${key}`, '<redacted>', 'must not be set: secrets never go into a ConfigMap; the shared secret comes from the Secret named by authentication.secretName');
    } else if (['spark.authenticate', 'spark.network.crypto.enabled'].includes(key)) {
      issues.add(`sparkConf.${key}`, value, 'is managed by the construct; use authentication.enabled');
    } else if (key.startsWith('spark.deploy.recovery')) {
      issues.add(`sparkConf.${key}`, value, 'is managed by the construct; use master.recovery');
    }
  }
  const authentication = {
    enabled: props.authentication?.enabled ?? true,
    secretName: props.authentication?.secretName ?? 'spark-auth',
    bootstrap: props.authentication?.bootstrap ?? true,
  };
  checkDns1123Label(issues, 'authentication.secretName', authentication.secretName);

  if (issues.issues.length > 0 || !masterResources || !workerResources || !memoryPlan || cores === undefined || masterHeap === undefined || namespace === undefined) {
    return { issues: issues.issues };
  }
  return {
    issues: [],
    resolved: {
      namespace,
      image,
      masterName,
      workerName,
      master: { resources: masterResources, daemonMemoryMiB: masterHeap, ...(recovery ? { recovery } : {}) },
      worker: { resources: workerResources, cores, memoryPlan, nodeSelector, tolerations },
      ui: { expose, nodePort, ...(ingress ? { ingress } : {}) },
      sparkConf,
      authentication,
    },
  };
}

/**
 * A Spark standalone cluster: a master Deployment with its Service, a worker DaemonSet whose
 * workers register themselves with the master at start, and the master UI Service.
 *
 * The standalone REST submission gateway (6066) is disabled and never exposed.
 */
export class SparkCluster extends Construct {
  /**
   * The validated configuration this cluster was built from.
   * @internal
   */
  public readonly config: ResolvedSparkCluster;
  /** `spark://<master>.<namespace>.svc:7077` (resolves in any cluster domain), what workers and clients connect to. */
  public readonly masterUrl: string;
  /** How each worker's memory limit is divided between daemon, executors and JVM overheads. */
  public readonly memoryPlan: WorkerMemoryPlan;
  /** The master Deployment. */
  public readonly master: kplus.Deployment;
  /** The ClusterIP Service for master RPC and UI. */
  public readonly masterService: kplus.Service;
  /** The master UI Service: NodePort when exposed, ClusterIP otherwise. */
  public readonly uiService: kplus.Service;
  /** The worker DaemonSet. */
  public readonly workers: kplus.DaemonSet;
  /** The ConfigMap holding spark-defaults.conf. */
  public readonly confMap: kplus.ConfigMap;
  /** The Ingress of the master UI, when `ui.ingress` is set. */
  public readonly ingress?: kplus.k8s.KubeIngress;
  /** The claim where the master keeps its recovery state (FILESYSTEM recovery), if any. */
  public readonly recoveryClaim?: kplus.PersistentVolumeClaim;

  /** Validates `props` (throws a ValidationError naming every bad field) and builds the cluster. */
  constructor(scope: Construct, id: string, props: SparkClusterProps = {}) {
    super(scope, id);
    const { resolved, issues } = resolveSparkCluster(props, Chart.of(this).namespace);
    if (!resolved) throw new ValidationError(issues);
    this.config = resolved;
    const c = resolved;
    this.memoryPlan = c.worker.memoryPlan;
    this.masterUrl = `spark://${c.masterName}.${c.namespace}.svc:${SPARK_PORTS.masterRpc}`;

    const auth = c.authentication;
    if (auth.enabled && auth.bootstrap) {
      SecretBootstrap.of(this).generate({ name: auth.secretName, keys: { [SPARK_AUTH_SECRET_KEY]: { generate: 'token' } } });
    }
    // Spark's SecurityManager reads _SPARK_AUTH_SECRET on the daemons; workers pass it on to executors.
    const authEnv: Record<string, kplus.EnvValue> = auth.enabled
      ? { _SPARK_AUTH_SECRET: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(this, 'AuthSecret', auth.secretName), key: SPARK_AUTH_SECRET_KEY }) }
      : {};
    const sparkDefaults = renderSparkDefaults({
      ...(auth.enabled ? { 'spark.authenticate': 'true', 'spark.network.crypto.enabled': 'true' } : {}),
      'spark.master.rest.enabled': 'false',
      // After a master restart its pod IP changes: reconnect through the Service name.
      'spark.worker.preferConfiguredMasterAddress': 'true',
      'spark.worker.cleanup.enabled': 'true',
      // The UIs have no authentication: no kill buttons (POST /app/kill) for whoever reaches them.
      'spark.ui.killEnabled': 'false',
      // Prometheus metrics on the UIs: /metrics/master/prometheus, /metrics/applications/prometheus
      // (master), /metrics/prometheus (workers); NetworkPolicies decide who reaches them.
      ...SPARK_METRICS_CONF,
      ...c.sparkConf,
    });
    this.confMap = new kplus.ConfigMap(this, 'Conf', {
      metadata: { name: `${c.masterName}-conf`, labels: objectLabels(selectorLabels('spark', 'config', c.masterName), SPARK_VERSION) },
      data: { 'spark-defaults.conf': sparkDefaults },
    });
    // A change of spark-defaults.conf rolls the pods.
    const confChecksum = createHash('sha256').update(sparkDefaults).digest('hex');

    const masterSelector = selectorLabels('spark', 'master', c.masterName);
    this.master = new kplus.Deployment(this, 'Master', {
      metadata: { name: c.masterName, labels: objectLabels(masterSelector, SPARK_VERSION) },
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      select: false,
      securityContext: podSecurityContext(SPARK_RUN_AS),
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'master',
          image: c.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [`${SPARK_HOME}/bin/spark-class`],
          args: [
            'org.apache.spark.deploy.master.Master',
            '--host', '$(POD_IP)',
            '--port', String(SPARK_PORTS.masterRpc),
            '--webui-port', String(SPARK_PORTS.masterUi),
            '--properties-file', `${SPARK_CONF_DIR}/spark-defaults.conf`,
          ],
          envVariables: {
            POD_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP),
            SPARK_DAEMON_MEMORY: kplus.EnvValue.fromValue(`${c.master.daemonMemoryMiB}m`),
            // Recovery settings concern the master alone (spark-class passes SPARK_MASTER_OPTS to it).
            ...(c.master.recovery ? { SPARK_MASTER_OPTS: kplus.EnvValue.fromValue(`-Dspark.deploy.recoveryMode=FILESYSTEM -Dspark.deploy.recoveryDirectory=${SPARK_RECOVERY_DIR}`) } : {}),
            ...authEnv,
          },
          ...daemonPorts(SPARK_PORTS.masterRpc, SPARK_PORTS.masterUi),
          resources: toKplusResources(c.master.resources),
          securityContext: containerSecurityContext(SPARK_RUN_AS),
        },
      ],
    });
    this.configurePod(this.master, masterSelector, confChecksum, []);
    if (c.master.recovery) {
      // One master at a time writes the state: the Deployment recreates (never surges) its pod.
      this.recoveryClaim = new kplus.PersistentVolumeClaim(this, 'RecoveryClaim', {
        metadata: { name: `${c.masterName}-recovery`, labels: objectLabels(masterSelector, SPARK_VERSION) },
        accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        storage: Size.gibibytes(c.master.recovery.sizeGiB),
        ...(c.master.recovery.storageClassName ? { storageClassName: c.master.recovery.storageClassName } : {}),
        volumeMode: kplus.PersistentVolumeMode.FILE_SYSTEM,
      });
      this.master.containers[0].mount(SPARK_RECOVERY_DIR, kplus.Volume.fromPersistentVolumeClaim(this.master, 'RecoveryVolume', this.recoveryClaim, { name: 'recovery' }));
    }

    this.masterService = new kplus.Service(this, 'MasterService', {
      metadata: { name: c.masterName, labels: objectLabels(masterSelector, SPARK_VERSION) },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [
        { name: 'rpc', port: SPARK_PORTS.masterRpc, targetPort: SPARK_PORTS.masterRpc },
        { name: 'http', port: SPARK_PORTS.masterUi, targetPort: SPARK_PORTS.masterUi },
      ],
    });
    selectPods(this.masterService, masterSelector);

    this.uiService = new kplus.Service(this, 'UiService', {
      metadata: { name: `${c.masterName}-ui`, labels: objectLabels(masterSelector, SPARK_VERSION) },
      type: c.ui.expose ? kplus.ServiceType.NODE_PORT : kplus.ServiceType.CLUSTER_IP,
      ports: [
        { name: 'http', port: SPARK_PORTS.masterUi, targetPort: SPARK_PORTS.masterUi, ...(c.ui.expose ? { nodePort: c.ui.nodePort } : {}) },
      ],
    });
    selectPods(this.uiService, masterSelector);

    const workerSelector = selectorLabels('spark', 'worker', c.workerName);
    const plan = c.worker.memoryPlan;
    this.workers = new kplus.DaemonSet(this, 'Worker', {
      metadata: { name: c.workerName, labels: objectLabels(workerSelector, SPARK_VERSION) },
      select: false,
      securityContext: podSecurityContext(SPARK_RUN_AS),
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'worker',
          image: c.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: [`${SPARK_HOME}/bin/spark-class`],
          args: [
            'org.apache.spark.deploy.worker.Worker',
            '--host', '$(POD_IP)',
            '--port', String(SPARK_PORTS.workerRpc),
            '--webui-port', String(SPARK_PORTS.workerUi),
            '--cores', String(c.worker.cores),
            '--memory', `${plan.workerMemoryMiB}m`,
            '--work-dir', SPARK_WORKER_DIR,
            '--properties-file', `${SPARK_CONF_DIR}/spark-defaults.conf`,
            this.masterUrl,
          ],
          envVariables: {
            POD_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP),
            SPARK_DAEMON_MEMORY: kplus.EnvValue.fromValue(`${plan.daemonHeapMiB}m`),
            SPARK_LOCAL_DIRS: kplus.EnvValue.fromValue('/tmp'),
            ...authEnv,
          },
          ...daemonPorts(SPARK_PORTS.workerRpc, SPARK_PORTS.workerUi),
          resources: toKplusResources(c.worker.resources),
          securityContext: containerSecurityContext(SPARK_RUN_AS),
        },
      ],
    });
    this.configurePod(this.workers, workerSelector, confChecksum, [{ name: 'work', path: SPARK_WORKER_DIR }]);
    for (const t of c.worker.tolerations) this.workers.scheduling.tolerate(kplus.Node.tainted(taintQuery(t)));
    if (Object.keys(c.worker.nodeSelector).length > 0) {
      ApiObject.of(this.workers).addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', sortKeys(c.worker.nodeSelector)));
    }

    for (const workload of [this.master, this.workers]) {
      suppress(workload, ...imageSuppressions([c.image]), SUPPRESSIONS.imageUser, ...(auth.enabled ? [SUPPRESSIONS.secretEnv] : []));
    }

    this.masterPods = { name: c.masterName, labels: masterSelector };
    this.workerPods = { name: c.workerName, labels: workerSelector };
    const flows = NetworkFlows.of(this);
    const master = pods(this.masterPods);
    const workers = pods(this.workerPods);
    flows.allow({ name: `${c.workerName}-to-master`, from: workers, to: master, ports: [{ port: SPARK_PORTS.masterRpc }], purpose: 'workers register with the master and send heartbeats' });
    flows.allow({ name: `${c.masterName}-to-workers`, from: master, to: workers, ports: [{ port: SPARK_PORTS.workerRpc }], purpose: 'the master launches executors on workers' });
    flows.allow({ name: `${c.workerName}-shuffle`, from: workers, to: workers, ports: [EXECUTOR_PORTS], purpose: 'executors fetch shuffle and broadcast blocks from each other' });
    if (c.ui.expose) {
      flows.allow({ name: `${c.masterName}-ui`, from: { kind: 'anywhere' }, to: master, ports: [{ port: SPARK_PORTS.masterUi }], purpose: `the Spark master UI on NodePort ${c.ui.nodePort}` });
    }
    if (c.ui.ingress) {
      this.ingress = addUiIngress(this, 'UiIngress', { name: `${c.masterName}-ui`, labels: objectLabels(masterSelector, SPARK_VERSION), service: this.uiService, port: SPARK_PORTS.masterUi, pods: this.masterPods, ingress: c.ui.ingress });
    }
  }

  /** Pods of the master. */
  public readonly masterPods: PodGroup;
  /** Pods of the workers (and the executors they run). */
  public readonly workerPods: PodGroup;

  /**
   * Allows Spark applications in `clients` (drivers in client mode, e.g. the standalone submit
   * task pods) to use the cluster: register with the master, receive executors' connections
   * and reach the executors' block managers, on {@link SPARK_APP_PORTS}.
   */
  public allowClients(clients: PodGroup): void {
    const flows = NetworkFlows.of(this);
    const c = this.config;
    const client = pods(clients);
    flows.allow({ name: `${clients.name}-to-master`, from: client, to: pods(this.masterPods), ports: [{ port: SPARK_PORTS.masterRpc }], purpose: 'drivers register applications with the master' });
    flows.allow({ name: `${c.masterName}-to-${clients.name}`, from: pods(this.masterPods), to: client, ports: [{ port: SPARK_APP_PORTS.driver }], purpose: 'the master tells drivers about executors' });
    flows.allow({ name: `${c.workerName}-to-${clients.name}`, from: pods(this.workerPods), to: client, ports: [{ port: SPARK_APP_PORTS.driver, endPort: SPARK_APP_PORTS.driverBlockManager }], purpose: 'executors connect to their driver (RPC, block manager)' });
    flows.allow({ name: `${clients.name}-to-${c.workerName}`, from: client, to: pods(this.workerPods), ports: [EXECUTOR_PORTS], purpose: 'drivers fetch results and blocks from executors' });
  }

  /** Labels, selector, conf volume, scratch volumes and hardening shared by master and workers. */
  private configurePod(workload: kplus.Deployment | kplus.DaemonSet, selector: Record<string, string>, confChecksum: string, scratch: { name: string; path: string }[]): void {
    for (const [key, value] of Object.entries(objectLabels(selector, SPARK_VERSION))) workload.podMetadata.addLabel(key, value);
    workload.podMetadata.addAnnotation('spark-airflow-k8s/spark-conf-sha256', confChecksum);
    workload.select(kplus.LabelSelector.of({ labels: selector }));
    const container = workload.containers[0];
    container.mount(SPARK_CONF_DIR, kplus.Volume.fromConfigMap(workload, 'ConfVolume', this.confMap, { name: 'spark-conf' }), { readOnly: true });
    for (const dir of [{ name: 'tmp', path: '/tmp' }, ...scratch]) {
      container.mount(dir.path, kplus.Volume.fromEmptyDir(workload, `${dir.name}-volume`, dir.name));
    }
    hardenPodSpec(ApiObject.of(workload), '/spec/template/spec');
  }
}

const EXECUTOR_PORTS = { port: SPARK_APP_PORTS.executorBlockManagerFirst, endPort: SPARK_APP_PORTS.executorBlockManagerLast };

function pods(group: PodGroup): FlowPeer {
  return { kind: 'pods', group };
}

/** RPC and UI ports of a Spark daemon, with readiness and liveness probes on the UI. */
function daemonPorts(rpc: number, ui: number): Pick<kplus.ContainerProps, 'ports' | 'readiness' | 'liveness'> {
  return {
    ports: [{ name: 'rpc', number: rpc }, { name: 'http', number: ui }],
    readiness: kplus.Probe.fromHttpGet('/', { port: ui, initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
    liveness: kplus.Probe.fromHttpGet('/', { port: ui, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
  };
}

function taintQuery(t: SparkToleration): kplus.NodeTaintQuery {
  const options = t.effect === undefined ? undefined : { effect: kplus.TaintEffect[effectName(t.effect)] };
  if (t.operator === 'Exists') return t.key === undefined ? kplus.NodeTaintQuery.any() : kplus.NodeTaintQuery.exists(t.key, options);
  return kplus.NodeTaintQuery.is(t.key as string, t.value as string, options);
}

function effectName(effect: NonNullable<SparkToleration['effect']>): keyof typeof kplus.TaintEffect {
  switch (effect) {
    case 'NoSchedule': return 'NO_SCHEDULE';
    case 'PreferNoSchedule': return 'PREFER_NO_SCHEDULE';
    case 'NoExecute': return 'NO_EXECUTE';
  }
}

function sortKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Renders spark-defaults.conf with keys in sorted order (deterministic output), every key and
 * value escaped for `java.util.Properties` (see {@link renderProperties}).
 */
export function renderSparkDefaults(conf: Readonly<Record<string, string>>): string {
  return renderProperties(conf);
}
