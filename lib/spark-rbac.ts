import { Chart, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { objectLabels, selectorLabels } from './labels';
import { containerSecurityContextJson, podSecurityContextJson, RunAs } from './security';
import { NetworkFlows, PodGroup } from './network';
import { checkDns1123Label, IssueCollector, ValidationError } from './validation';
import { SPARK_UID } from './versions';
import { renderSparkDefaults } from './spark-cluster';

/** Props of {@link SparkSubmitterRbac}. */
export interface SparkSubmitterRbacProps {
  /**
   * Namespace of the task pods, drivers and executors, and of every object this construct makes:
   * the jobs namespace, apart from the platform's, so that no token in a pod that runs
   * application code has any grant where the platform's Secrets are.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * ServiceAccount of the pods that run `spark-job submit` and `spark-job monitor`.
   * @default "spark-submitter"
   */
  readonly submitterServiceAccountName?: string;
  /**
   * ServiceAccount of Spark driver pods (they create and delete their executors).
   * @default "spark-driver"
   */
  readonly driverServiceAccountName?: string;
  /**
   * Name of the ConfigMap with the driver and executor pod templates.
   * @default "spark-pod-templates"
   */
  readonly podTemplatesConfigMapName?: string;
  /**
   * Labels of the pods that run `spark-job submit --target k8s` and `spark-job monitor`
   * (dags/spark_tasks.py sets them), for their NetworkPolicy to the API server.
   * @default TASK_POD_LABELS.k8s
   */
  readonly taskPodLabels?: Readonly<Record<string, string>>;
  /**
   * `spark-defaults.conf` of the applications submitted with the pod templates (driver and
   * executor sizes, ...): the `spark-defaults.conf` key of the ConfigMap, which submit pods use as
   * their SPARK_CONF_DIR. Keys must start with `spark.`; values are single lines.
   * @default - an empty file (Spark's defaults)
   */
  readonly applicationConf?: Readonly<Record<string, string>>;
}

/** Labels the DAG helper (dags/spark_tasks.py) puts on its task pods, per submit target. */
export const TASK_POD_LABELS: Readonly<Record<'k8s' | 'standalone', Readonly<Record<string, string>>>> = {
  k8s: { 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': 'k8s' },
  standalone: { 'app.kubernetes.io/name': 'spark-job', 'spark-airflow-k8s/target': 'standalone' },
};

const SPARK_RUN_AS: RunAs = { user: SPARK_UID, group: SPARK_UID, fsGroup: SPARK_UID };

/** Key of the applications' spark-defaults.conf in the pod templates ConfigMap (dags/spark_tasks.py mounts it). */
export const SPARK_APPLICATION_DEFAULTS_KEY = 'spark-defaults.conf';

/** Ports Spark uses on Kubernetes by default (driver RPC and block managers). */
export const SPARK_K8S_PORTS = {
  /** `spark.driver.port` default on Kubernetes. */
  driver: 7078,
  /** `spark.blockManager.port` default on Kubernetes (driver and executors). */
  blockManager: 7079,
} as const;

/** Spark drivers and executors on Kubernetes, by the `spark-role` label Spark sets (in the chart's namespace; see {@link SparkSubmitterRbac.driverPods}). */
export const SPARK_K8S_PODS: Readonly<Record<'driver' | 'executor', PodGroup>> = {
  driver: { name: 'spark-driver', labels: { 'spark-role': 'driver' } },
  executor: { name: 'spark-executor', labels: { 'spark-role': 'executor' } },
};

const core = (resourceType: string): kplus.IApiResource => kplus.ApiResource.custom({ apiGroup: '', resourceType });

/** The core-group resources our grants name. Never `*`. */
export const RESOURCES: Readonly<Record<'pods' | 'podsLog' | 'podsExec' | 'services' | 'configMaps' | 'persistentVolumeClaims' | 'events' | 'secrets', kplus.IApiResource>> = {
  pods: core('pods'),
  podsLog: core('pods/log'),
  podsExec: core('pods/exec'),
  services: core('services'),
  configMaps: core('configmaps'),
  persistentVolumeClaims: core('persistentvolumeclaims'),
  events: core('events'),
  secrets: core('secrets'),
};

/**
 * The pod template of Spark driver and executor pods: the Pod Security `restricted` context of
 * our own pods, a read-only root filesystem with emptyDirs where Spark writes (the image's
 * entrypoint writes /tmp, the working directory is /opt/spark/work-dir), and an API token only
 * for the driver, which manages its executors.
 */
export function sparkPodTemplate(containerName: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { 'app.kubernetes.io/part-of': 'spark-airflow-k8s' } },
    spec: {
      automountServiceAccountToken: containerName === 'spark-kubernetes-driver',
      // No Docker-link variables of the namespace's Services (SPARK_MASTER_PORT=tcp://... and the like).
      enableServiceLinks: false,
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'work-dir', emptyDir: {} },
      ],
      securityContext: podSecurityContextJson(SPARK_RUN_AS),
      containers: [
        {
          name: containerName,
          securityContext: containerSecurityContextJson(SPARK_RUN_AS),
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'work-dir', mountPath: '/opt/spark/work-dir' },
          ],
        },
      ],
    },
  };
}

/**
 * Least-privilege identities for running Spark applications on Kubernetes from Airflow:
 *
 * - `spark-submitter`: the pods that run `spark-job submit` (spark-submit in cluster mode creates
 *   the driver pod, its ConfigMap and Service) and `spark-job monitor` (watch the driver, read its log);
 * - `spark-driver`: the driver pods, which create and delete their executors;
 * - any ServiceAccount that launches KubernetesPodOperator pods (Airflow's), via {@link allowLaunchPods}.
 *
 * Grants are expressed as intents, each a namespaced Role + RoleBinding. No ClusterRole, no wildcard.
 * Spark driver and executor pods get a Pod Security `restricted` security context through the pod
 * templates in {@link podTemplates}; the submit pod mounts it.
 */
export class SparkSubmitterRbac extends Construct {
  /** The ServiceAccount of submit/monitor pods. */
  public readonly submitter: kplus.ServiceAccount;
  /** The ServiceAccount of Spark driver pods. */
  public readonly driver: kplus.ServiceAccount;
  /** ConfigMap with `driver.yaml` and `executor.yaml` Spark pod templates. */
  public readonly podTemplates: kplus.ConfigMap;
  /** The submit/monitor task pods (target k8s). */
  public readonly taskPods: PodGroup;
  /** Spark driver pods. */
  public readonly driverPods: PodGroup;
  /** Spark executor pods. */
  public readonly executorPods: PodGroup;
  /** Namespace of the pods and of every object of this construct (undefined: the chart has none). */
  public readonly namespace?: string;

  /** Creates the ServiceAccounts and pod templates; grants come from the intent methods. */
  constructor(scope: Construct, id: string, props: SparkSubmitterRbacProps = {}) {
    super(scope, id);
    const issues = new IssueCollector();
    const submitterName = props.submitterServiceAccountName ?? 'spark-submitter';
    const driverName = props.driverServiceAccountName ?? 'spark-driver';
    const templatesName = props.podTemplatesConfigMapName ?? 'spark-pod-templates';
    const namespace = props.namespace ?? Chart.of(this).namespace;
    if (namespace !== undefined) checkDns1123Label(issues, 'namespace', namespace);
    checkDns1123Label(issues, 'submitterServiceAccountName', submitterName);
    checkDns1123Label(issues, 'driverServiceAccountName', driverName);
    checkDns1123Label(issues, 'podTemplatesConfigMapName', templatesName);
    for (const [key, value] of Object.entries(props.applicationConf ?? {})) {
      if (!/^spark\.[A-Za-z0-9._*-]+$/.test(key)) issues.add(`applicationConf.${key}`, key, 'must be a Spark property name starting with "spark."');
      else if (typeof value !== 'string') issues.add(`applicationConf.${key}`, value, 'must be a string');
    }
    if (submitterName === driverName) issues.add('driverServiceAccountName', driverName, 'must differ from submitterServiceAccountName');
    ValidationError.throwIfAny(issues.issues);
    this.namespace = namespace;
    const inNamespace = namespace === undefined ? {} : { namespace };
    this.taskPods = { name: 'spark-tasks', labels: props.taskPodLabels ?? TASK_POD_LABELS.k8s, ...inNamespace };
    this.driverPods = { ...SPARK_K8S_PODS.driver, ...inNamespace };
    this.executorPods = { ...SPARK_K8S_PODS.executor, ...inNamespace };

    const labels = objectLabels(selectorLabels('spark', 'rbac', submitterName));
    // The tokens are mounted only where the API is called: the submit and monitor container
    // (dags/spark_tasks.py projects it into that container alone) and the driver (pod template).
    this.submitter = new kplus.ServiceAccount(this, 'Submitter', { metadata: { name: submitterName, namespace: this.namespace, labels }, automountToken: false });
    this.driver = new kplus.ServiceAccount(this, 'Driver', { metadata: { name: driverName, namespace: this.namespace, labels }, automountToken: false });
    this.podTemplates = new kplus.ConfigMap(this, 'PodTemplates', {
      metadata: { name: templatesName, namespace: this.namespace, labels },
      data: {
        'driver.yaml': Yaml.stringify(sparkPodTemplate('spark-kubernetes-driver')),
        'executor.yaml': Yaml.stringify(sparkPodTemplate('spark-kubernetes-executor')),
        [SPARK_APPLICATION_DEFAULTS_KEY]: renderSparkDefaults(props.applicationConf ?? {}),
      },
    });
  }

  /**
   * Lets the submitter run spark-submit in cluster mode: create the driver pod, then
   * server-side apply (PATCH) the driver's ConfigMap and Service, as Spark 4's fabric8 client
   * does, and create its PVCs; find, adopt or replace a driver pod on retry (get/list/watch/delete pods);
   * create each app's authentication Secret (create only: the submitter never reads a Secret).
   */
  public allowSubmit(): kplus.Role {
    this.taskPodsToApiServer();
    return this.grant('Submit', `${this.submitter.name}-submit`, this.submitter, [
      [['create', 'get', 'list', 'watch', 'delete'], RESOURCES.pods],
      [['create', 'get', 'list', 'patch', 'delete'], RESOURCES.configMaps, RESOURCES.services],
      [['create', 'get', 'list', 'delete'], RESOURCES.persistentVolumeClaims],
      [['create'], RESOURCES.secrets],
    ]);
  }

  /** Lets the submitter follow a driver pod to its end and stream its log (`spark-job monitor`). */
  public allowMonitor(): kplus.Role {
    this.taskPodsToApiServer();
    return this.grant('Monitor', `${this.submitter.name}-monitor`, this.submitter, [
      [['get', 'list', 'watch'], RESOURCES.pods],
      [['get'], RESOURCES.podsLog],
    ]);
  }

  /** Lets drivers create, watch and delete their executor pods and the objects Spark makes for them. */
  public allowDriverToManageExecutors(): kplus.Role {
    const flows = NetworkFlows.of(this);
    const driver = { kind: 'pods' as const, group: this.driverPods };
    const executor = { kind: 'pods' as const, group: this.executorPods };
    flows.allowApiServer('spark-driver-kube-api', this.driverPods, 'drivers create, watch and delete their executor pods');
    flows.allow({ name: 'spark-executor-to-driver', from: executor, to: driver, ports: [{ port: SPARK_K8S_PORTS.driver, endPort: SPARK_K8S_PORTS.blockManager }], purpose: 'executors register with their driver and fetch blocks from it' });
    flows.allow({ name: 'spark-driver-to-executor', from: driver, to: executor, ports: [{ port: SPARK_K8S_PORTS.blockManager }], purpose: 'drivers fetch results and blocks from executors' });
    flows.allow({ name: 'spark-executor-shuffle', from: executor, to: executor, ports: [{ port: SPARK_K8S_PORTS.blockManager }], purpose: 'executors fetch shuffle blocks from each other' });
    return this.grant('Executors', `${this.driver.name}-executors`, this.driver, [
      [['create', 'get', 'list', 'watch', 'delete', 'deletecollection'], RESOURCES.pods],
      [['create', 'get', 'list', 'patch', 'delete', 'deletecollection'], RESOURCES.configMaps],
      [['create', 'get', 'list', 'delete', 'deletecollection'], RESOURCES.persistentVolumeClaims],
      // Spark 4 deletes the app's Services by label when the driver stops (KubernetesClusterSchedulerBackend.stop)
      [['create', 'get', 'list', 'patch', 'delete', 'deletecollection'], RESOURCES.services],
    ]);
  }

  /**
   * Lets `serviceAccount` (of any namespace) launch and follow KubernetesPodOperator pods in this
   * construct's namespace: create/get/list/watch/patch/delete pods, read their logs, exec into them
   * (the XCom sidecar is read through exec) and list events.
   */
  public allowLaunchPods(id: string, serviceAccount: kplus.ServiceAccount): kplus.Role {
    return this.grant(id, `${serviceAccount.name}-launch-pods`, serviceAccount, [
      [['create', 'get', 'list', 'watch', 'patch', 'delete'], RESOURCES.pods],
      [['get'], RESOURCES.podsLog],
      [['create', 'get'], RESOURCES.podsExec],
      [['list'], RESOURCES.events],
    ]);
  }

  /** The task pods (submit and monitor) call the API server; declared once for both intents. */
  private taskPodsToApiServer(): void {
    const flows = NetworkFlows.of(this);
    if (!flows.flows.some((f) => f.name === 'spark-tasks-kube-api')) {
      flows.allowApiServer('spark-tasks-kube-api', this.taskPods, 'spark-job submit creates driver pods, spark-job monitor watches them');
    }
  }

  private grant(id: string, name: string, subject: kplus.ServiceAccount, rules: [string[], ...kplus.IApiResource[]][]): kplus.Role {
    const metadata = { name, namespace: this.namespace, labels: objectLabels(selectorLabels('spark', 'rbac', name)) };
    const role = new kplus.Role(this, `${id}Role`, { metadata });
    for (const [verbs, ...resources] of rules) role.allow(verbs, ...resources);
    const binding = new kplus.RoleBinding(this, `${id}Binding`, { metadata, role });
    binding.addSubjects(subject);
    return role;
  }
}
