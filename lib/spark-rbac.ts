import { Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { objectLabels, selectorLabels } from './labels';
import { checkDns1123Label, IssueCollector, ValidationError } from './validation';
import { SPARK_UID } from './versions';

/** Props of {@link SparkSubmitterRbac}. */
export interface SparkSubmitterRbacProps {
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
}

const core = (resourceType: string): kplus.IApiResource => kplus.ApiResource.custom({ apiGroup: '', resourceType });

/** The core-group resources our grants name. Never `*`. */
export const RESOURCES = {
  pods: core('pods'),
  podsLog: core('pods/log'),
  podsExec: core('pods/exec'),
  services: core('services'),
  configMaps: core('configmaps'),
  persistentVolumeClaims: core('persistentvolumeclaims'),
  events: core('events'),
  secrets: core('secrets'),
} as const;

/** The pod security context Spark driver and executor pods get through pod templates. */
export function sparkPodTemplate(containerName: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { 'app.kubernetes.io/part-of': 'spark-airflow-k8s' } },
    spec: {
      automountServiceAccountToken: containerName === 'spark-kubernetes-driver',
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SPARK_UID,
        runAsGroup: SPARK_UID,
        fsGroup: SPARK_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: containerName,
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            privileged: false,
            runAsNonRoot: true,
            runAsUser: SPARK_UID,
            runAsGroup: SPARK_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
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

  constructor(scope: Construct, id: string, props: SparkSubmitterRbacProps = {}) {
    super(scope, id);
    const issues = new IssueCollector();
    const submitterName = props.submitterServiceAccountName ?? 'spark-submitter';
    const driverName = props.driverServiceAccountName ?? 'spark-driver';
    const templatesName = props.podTemplatesConfigMapName ?? 'spark-pod-templates';
    checkDns1123Label(issues, 'submitterServiceAccountName', submitterName);
    checkDns1123Label(issues, 'driverServiceAccountName', driverName);
    checkDns1123Label(issues, 'podTemplatesConfigMapName', templatesName);
    if (submitterName === driverName) issues.add('driverServiceAccountName', driverName, 'must differ from submitterServiceAccountName');
    ValidationError.throwIfAny(issues.issues);

    const labels = objectLabels(selectorLabels('spark', 'rbac', submitterName));
    this.submitter = new kplus.ServiceAccount(this, 'Submitter', { metadata: { name: submitterName, labels }, automountToken: true });
    this.driver = new kplus.ServiceAccount(this, 'Driver', { metadata: { name: driverName, labels }, automountToken: true });
    this.podTemplates = new kplus.ConfigMap(this, 'PodTemplates', {
      metadata: { name: templatesName, labels },
      data: {
        'driver.yaml': Yaml.stringify(sparkPodTemplate('spark-kubernetes-driver')),
        'executor.yaml': Yaml.stringify(sparkPodTemplate('spark-kubernetes-executor')),
      },
    });
  }

  /**
   * Lets the submitter run spark-submit in cluster mode: create the driver pod, then
   * server-side apply (PATCH) the driver's ConfigMap and Service, as Spark 4's fabric8 client
   * does, and create its PVCs; find, adopt or replace a driver pod on retry (get/list/watch/delete pods).
   */
  public allowSubmit(): kplus.Role {
    return this.grant('Submit', `${this.submitter.name}-submit`, this.submitter, [
      [['create', 'get', 'list', 'watch', 'delete'], RESOURCES.pods],
      [['create', 'get', 'list', 'patch', 'delete'], RESOURCES.configMaps, RESOURCES.services],
      [['create', 'get', 'list', 'delete'], RESOURCES.persistentVolumeClaims],
    ]);
  }

  /** Lets the submitter follow a driver pod to its end and stream its log (`spark-job monitor`). */
  public allowMonitor(): kplus.Role {
    return this.grant('Monitor', `${this.submitter.name}-monitor`, this.submitter, [
      [['get', 'list', 'watch'], RESOURCES.pods],
      [['get'], RESOURCES.podsLog],
    ]);
  }

  /** Lets drivers create, watch and delete their executor pods and the objects Spark makes for them. */
  public allowDriverToManageExecutors(): kplus.Role {
    return this.grant('Executors', `${this.driver.name}-executors`, this.driver, [
      [['create', 'get', 'list', 'watch', 'delete', 'deletecollection'], RESOURCES.pods],
      [['create', 'get', 'list', 'patch', 'delete', 'deletecollection'], RESOURCES.configMaps],
      [['create', 'get', 'list', 'delete', 'deletecollection'], RESOURCES.persistentVolumeClaims],
      [['create', 'get', 'list', 'patch', 'delete'], RESOURCES.services],
    ]);
  }

  /**
   * Lets `serviceAccount` launch and follow KubernetesPodOperator pods: create/get/list/watch/patch/delete
   * pods, read their logs, exec into them (the XCom sidecar is read through exec) and list events.
   */
  public allowLaunchPods(id: string, serviceAccount: kplus.ServiceAccount): kplus.Role {
    return this.grant(id, `${serviceAccount.name}-launch-pods`, serviceAccount, [
      [['create', 'get', 'list', 'watch', 'patch', 'delete'], RESOURCES.pods],
      [['get'], RESOURCES.podsLog],
      [['create', 'get'], RESOURCES.podsExec],
      [['list'], RESOURCES.events],
    ]);
  }

  private grant(id: string, name: string, subject: kplus.ServiceAccount, rules: [string[], ...kplus.IApiResource[]][]): kplus.Role {
    const role = new kplus.Role(this, `${id}Role`, { metadata: { name, labels: objectLabels(selectorLabels('spark', 'rbac', name)) } });
    for (const [verbs, ...resources] of rules) role.allow(verbs, ...resources);
    const binding = new kplus.RoleBinding(this, `${id}Binding`, { metadata: { name, labels: objectLabels(selectorLabels('spark', 'rbac', name)) }, role });
    binding.addSubjects(subject);
    return role;
  }
}
