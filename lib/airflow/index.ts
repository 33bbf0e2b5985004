/**
 * Apache Airflow on Kubernetes, one room per responsibility:
 *
 * - `options.ts`: the props, their defaults and validation;
 * - `components.ts`: api-server, scheduler, dag-processor and triggerer;
 * - `database.ts`: the metadata database (in-cluster PostgreSQL or external) and the migration;
 * - `configuration.ts`: airflow.cfg;
 * - `auth.ts`: how users log in;
 * - `secrets.ts`: the Airflow Secret and which process gets which key;
 * - `kubernetes-executor.ts`: worker pods of the KubernetesExecutor;
 * - `network.ts`: the flows the NetworkPolicies open;
 * - `pods.ts`: the plumbing every Airflow pod shares.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ConfigMapDagSource } from '../dag-source';
import { selectorLabels, selectPods } from '../labels';
import { ValidationError } from '../validation';
import { authentication } from './auth';
import { addComponents } from './components';
import { renderAirflowConfig } from './configuration';
import { addInClusterPostgres, addMigration, InClusterDatabase } from './database';
import { addKubernetesExecutor } from './kubernetes-executor';
import { addStatsdExporter } from './metrics';
import { addUiIngress } from '../ingress';
import { airflowPods, declareAirflowFlows } from './network';
import type { PodGroup } from '../network';
import { AIRFLOW_PORTS, AirflowProps, ResolvedAirflow, resolveAirflow } from './options';
import { AirflowPods, airflowLabels } from './pods';
import { AIRFLOW_SECRET_KEYS, airflowSecretEnv, EnvSpec, requestAirflowSecrets, SecretConsumer } from './secrets';

export { AIRFLOW_PORTS, AirflowComponentResources, AirflowReplicas, AirflowExecutor, AirflowLogPersistence, AirflowLogsOptions, AirflowProps, AirflowUiOptions, DAG_COMPONENTS, DEFAULT_AIRFLOW_UI_NODE_PORT, ResolvedAirflow, resolveAirflow } from './options';
export { AirflowDatabase, ExternalDatabase, ExternalDatabaseOptions, IN_CLUSTER_DATABASE, InClusterDatabase, InClusterDatabaseOptions } from './database';
export { AirflowAuthManager, AirflowAuthOptions, AUTH_MANAGER_CLASSES, MIN_ADMIN_PASSWORD_LENGTH } from './auth';
export { AIRFLOW_SECRET_KEYS, AirflowSecretsOptions, SECRET_CONSUMERS, SecretConsumer } from './secrets';

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
  /** The Ingress of the UI, when `ui.ingress` is set. */
  public readonly ingress?: kplus.k8s.KubeIngress;
  /** The statsd-exporter's pods (metrics on port 9102), when `statsd` is on. */
  public readonly statsdPods?: PodGroup;
  /** ServiceAccount of the KubernetesExecutor's worker pods (jobs namespace); undefined with LocalExecutor. */
  public readonly workerServiceAccount?: kplus.ServiceAccount;

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
      metadata: { name: c.serviceAccountName, labels: airflowLabels('service-account') },
      automountToken: true,
    });

    const env = (consumer: SecretConsumer) => airflowSecretEnv(c, consumer);
    const auth = authentication(c, env('db-migrate'));
    const configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: 'airflow-config', labels: airflowLabels('config') },
      data: { 'airflow.cfg': renderAirflowConfig(c, auth, this.dnsSuffix) },
    });
    let dagsConfigMap: kplus.ConfigMap | undefined;
    if (c.dags instanceof ConfigMapDagSource) {
      const data: Record<string, string> = {};
      const binaryData: Record<string, string> = {};
      for (const f of c.dags.files()) {
        if (f.text !== undefined) data[f.key] = f.text;
        else binaryData[f.key] = f.base64 as string;
      }
      dagsConfigMap = new kplus.ConfigMap(this, 'Dags', { metadata: { name: c.dags.name, labels: airflowLabels('dags') }, data, binaryData });
    }
    const pods = new AirflowPods(this, c, configMap, dagsConfigMap);

    if (c.database instanceof InClusterDatabase) {
      addInClusterPostgres(this, { database: c.database, resources: c.resources.postgres, passwordSecret: pods.secretRef(c.secretName), passwordKey: AIRFLOW_SECRET_KEYS.postgresPassword });
    }
    requestAirflowSecrets(this, c, this.dnsSuffix);
    this.migration = addMigration(this, pods, c, env('db-migrate'), auth.migrationStep);

    const dagEnv: EnvSpec[] = Object.keys(c.dagEnvironment).sort().map((name) => ({ name, value: c.dagEnvironment[name] }));
    this.components = addComponents({ scope: this, config: c, pods, serviceAccount: this.serviceAccount, env, dagEnv, apiServerScratch: auth.apiServerScratch, apiServerInit: auth.apiServerInit });

    const apiSelector = selectorLabels('airflow', 'api-server', 'airflow');
    this.apiService = new kplus.Service(this, 'ApiService', {
      metadata: { name: 'airflow-api-server', labels: airflowLabels('api-server') },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: AIRFLOW_PORTS.apiServer, targetPort: AIRFLOW_PORTS.apiServer }],
    });
    selectPods(this.apiService, apiSelector);
    this.uiService = new kplus.Service(this, 'UiService', {
      metadata: { name: 'airflow-ui', labels: airflowLabels('api-server') },
      type: c.ui.expose ? kplus.ServiceType.NODE_PORT : kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: AIRFLOW_PORTS.apiServer, targetPort: AIRFLOW_PORTS.apiServer, ...(c.ui.expose ? { nodePort: c.ui.nodePort } : {}) }],
    });
    selectPods(this.uiService, apiSelector);
    if (c.ui.ingress) {
      this.ingress = addUiIngress(this, 'UiIngress', { name: 'airflow-ui', labels: airflowLabels('api-server'), service: this.uiService, port: AIRFLOW_PORTS.apiServer, pods: airflowPods('api-server'), ingress: c.ui.ingress });
    }

    if (c.executor === 'KubernetesExecutor') {
      this.workerServiceAccount = addKubernetesExecutor({
        scope: this, config: c, pods, serviceAccount: this.serviceAccount, scheduler: this.components.scheduler,
        env: [...env('worker'), ...dagEnv], configMap, dagsConfigMap,
      });
    }
    declareAirflowFlows(this, c);
    if (c.statsd) {
      const senders = [{ name: 'airflow', labels: { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'airflow' } }, ...(c.executor === 'KubernetesExecutor' ? [airflowPods('worker', c.jobsNamespace)] : [])];
      this.statsdPods = addStatsdExporter(this, c, senders);
    }
  }

  /** The URL of the api-server inside the cluster. */
  public get apiServerUrl(): string {
    return `http://airflow-api-server.${this.dnsSuffix}:${AIRFLOW_PORTS.apiServer}`;
  }
}
