/**
 * The `spark-airflow:index:Platform` component: deploys the objects of the same cdk8s chart that
 * `npm run synth` writes to dist/<env>, plus the Secrets that only Pulumi can supply.
 *
 * Nothing here describes a Kubernetes object of the platform by hand: the chart's `toJson()` is
 * handed to `k8s.yaml.ConfigGroup` (v1). v1 registers every object as a child resource from the
 * program itself, so `pulumi preview` lists each object and unit tests with mocks see them all;
 * v2 (`k8s.yaml.v2.ConfigGroup`) expands the objects inside the provider, where mocks see only
 * the group.
 *
 * Order: the two Namespaces first (platform and jobs); then the Secrets (the platform's, and the
 * copy of the Spark secret in the jobs namespace); then every other object, each depending on the
 * Namespaces and the Secrets, so pods never start without their secrets.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as path from 'path';
import { AIRFLOW_SECRET_KEYS, ExternalDatabase, IN_CLUSTER_DATABASE, PART_OF, PlatformConfig, SECRET_BOOTSTRAP_NAME, SPARK_AUTH_SECRET_KEY, SparkAirflowPlatform } from '../../lib';
import { REPO_ROOT } from '../paths';
import { buildApp } from '../synth';

/** The component's Pulumi type token. */
export const PLATFORM_TYPE = 'spark-airflow:index:Platform';

/** Kinds Pulumi waits on until their pods are Ready (or done): registered after everything else. */
const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

/** Secret values from Pulumi secret config. */
export interface PlatformSecrets {
  readonly airflowFernetKey: pulumi.Input<string>;
  readonly airflowApiSecretKey: pulumi.Input<string>;
  readonly airflowJwtSecret: pulumi.Input<string>;
  /** Password of the Airflow admin user. */
  readonly airflowAdminPassword: pulumi.Input<string>;
  /** For a Spark cluster with RPC authentication (the default). */
  readonly sparkAuthSecret?: pulumi.Input<string>;
  /** For an environment with an external database. */
  readonly airflowDatabaseUrl?: pulumi.Input<string>;
  /** For an environment with the in-cluster PostgreSQL. */
  readonly airflowPostgresPassword?: pulumi.Input<string>;
  /** Access key of the event logs' object store (`history.eventLog.objectStore`). */
  readonly eventLogAccessKeyId?: pulumi.Input<string>;
  /** Secret key of the event logs' object store. */
  readonly eventLogSecretAccessKey?: pulumi.Input<string>;
}

/** Arguments of {@link Platform}. */
export interface PlatformArgs {
  /** The environment, overrides applied, with the secrets bootstrap switched off (`airflow.secrets.bootstrap`, `spark.authentication.bootstrap`). */
  readonly config: PlatformConfig;
  readonly secrets: PlatformSecrets;
}

/** A Kubernetes object as the chart renders it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ManifestObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };


/** The whole platform of one environment. */
export class Platform extends pulumi.ComponentResource {
  /** The platform namespace (Spark, Airflow, PostgreSQL and their Secrets). */
  public readonly namespace: pulumi.Output<string>;
  /** The jobs namespace (task pods, Spark drivers and executors). */
  public readonly jobsNamespace: pulumi.Output<string>;
  /** Where the Spark master UI is reached (NodePort URL, or the port-forward command). */
  public readonly sparkUi: pulumi.Output<string>;
  /** Where the Airflow UI is reached. */
  public readonly airflowUi: pulumi.Output<string>;
  /** The companion job image the DAGs run. */
  public readonly jobImage: pulumi.Output<string>;
  /** The cdk8s chart the objects come from. */
  public readonly chart: SparkAirflowPlatform;
  /** `chart.toJson()`: exactly the objects handed to Pulumi. */
  public readonly manifests: readonly ManifestObject[];
  /** The Namespaces (a ConfigGroup of two objects). */
  public readonly namespaceGroup: k8s.yaml.ConfigGroup;
  /** The Secrets Pulumi adds. */
  public readonly secrets: readonly k8s.core.v1.Secret[];
  /** Every other object of the chart. */
  public readonly objects: k8s.yaml.ConfigGroup;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PLATFORM_TYPE, name, {}, opts);
    const config = args.config;
    // The App is only used to build the chart in memory; nothing is written to its outdir.
    const { chart } = buildApp(config, path.join(REPO_ROOT, 'dist', config.environment));
    this.chart = chart;
    this.manifests = chart.toJson() as ManifestObject[];
    // Pulumi supplies every Secret: a chart that still generates one in-cluster has a Secret this
    // component does not know about (or the bootstrap switches were not turned off).
    // by label: the Job's name ends in a hash of its pod template (lib/jobs.ts)
    const bootstrap = this.manifests.filter((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/name'] === SECRET_BOOTSTRAP_NAME);
    if (bootstrap.length > 0) {
      throw new Error(`Platform: the chart of "${config.environment}" still contains the in-cluster secrets bootstrap Job "${SECRET_BOOTSTRAP_NAME}"; `
        + 'under Pulumi set airflow.secrets.bootstrap and spark.authentication.bootstrap to false and supply the Secrets from Pulumi secret config');
    }
    const ns = chart.namespaceName;

    const namespaceObjects = this.manifests.filter((o) => o.apiVersion === 'v1' && o.kind === 'Namespace');
    // Workloads last: Pulumi creates resources a few at a time (--parallel) and waits for each
    // workload to become Ready; registered first, the workloads could hold every slot while the
    // claims, policies and ConfigMaps they need wait behind them. The URNs do not depend on it.
    const rest = [
      ...this.manifests.filter((o) => !namespaceObjects.includes(o) && !WORKLOAD_KINDS.includes(o.kind)),
      ...this.manifests.filter((o) => WORKLOAD_KINDS.includes(o.kind)),
    ];
    const expectedNamespaces = [ns, chart.jobsNamespaceName];
    if (namespaceObjects.map((o) => o.metadata.name).join() !== expectedNamespaces.join()) {
      throw new Error(`Platform: expected the Namespaces ${expectedNamespaces.join(', ')} in the chart, found ${namespaceObjects.map((o) => o.metadata.name).join(', ') || 'none'}`);
    }

    this.namespaceGroup = new k8s.yaml.ConfigGroup(`${name}-namespace`, { objs: namespaceObjects }, { parent: this });
    const namespaceResources = groupResources(this.namespaceGroup);

    this.secrets = this.createSecrets(name, config, chart, args.secrets, namespaceResources);

    const dependencies = pulumi.all([namespaceResources]).apply(([nsResources]) => [...nsResources, ...this.secrets]);
    this.objects = new k8s.yaml.ConfigGroup(`${name}-objects`, {
      objs: rest,
      transformations: [(_obj: unknown, childOpts: pulumi.CustomResourceOptions) => {
        childOpts.dependsOn = dependencies;
      }],
    }, { parent: this, dependsOn: [this.namespaceGroup, ...this.secrets] });

    this.namespace = pulumi.output(ns);
    this.jobsNamespace = pulumi.output(chart.jobsNamespaceName);
    this.jobImage = pulumi.output(chart.dagEnvironment.SPARK_JOB_IMAGE);
    this.sparkUi = pulumi.output(uiEndpoint(this.manifests, ns, chart.spark.uiService.name));
    this.airflowUi = pulumi.output(uiEndpoint(this.manifests, ns, chart.airflow.uiService.name));
    this.registerOutputs({ namespace: this.namespace, jobsNamespace: this.jobsNamespace, sparkUi: this.sparkUi, airflowUi: this.airflowUi, jobImage: this.jobImage });
  }

  /** Every Kubernetes resource of the component, once all are constructed. */
  public allResources(): pulumi.Output<pulumi.CustomResource[]> {
    return pulumi.all([groupResources(this.namespaceGroup), groupResources(this.objects)])
      .apply(([nsResources, others]) => [...nsResources, ...this.secrets, ...others]);
  }

  private createSecrets(name: string, config: PlatformConfig, chart: SparkAirflowPlatform, s: PlatformSecrets, dependsOn: pulumi.Input<pulumi.Resource[]>): k8s.core.v1.Secret[] {
    const ns = chart.namespaceName;
    const labels = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'pulumi' };
    const secret = (id: string, secretName: string, data: Record<string, pulumi.Input<string>>, namespace = ns) => new k8s.core.v1.Secret(`${name}-${id}`, {
      metadata: { name: secretName, namespace, labels },
      type: 'Opaque',
      // pulumi.secret(): the values stay encrypted in the state, whatever the provider marks.
      stringData: pulumi.secret(pulumi.output(data)),
    }, { parent: this, dependsOn });

    const airflowSecretName = chart.airflow.config.secretName;
    const airflowData: Record<string, pulumi.Input<string>> = {
      [AIRFLOW_SECRET_KEYS.fernetKey]: s.airflowFernetKey,
      [AIRFLOW_SECRET_KEYS.apiSecretKey]: s.airflowApiSecretKey,
      [AIRFLOW_SECRET_KEYS.jwtSecret]: s.airflowJwtSecret,
      [AIRFLOW_SECRET_KEYS.adminPassword]: s.airflowAdminPassword,
    };
    const secrets: k8s.core.v1.Secret[] = [];
    const database = config.airflow?.database;
    if (database instanceof ExternalDatabase) {
      if (s.airflowDatabaseUrl === undefined) throw new Error('Platform: an external database needs secrets.airflowDatabaseUrl');
      secrets.push(secret('airflow-secrets', airflowSecretName, airflowData));
      secrets.push(secret('airflow-database', database.options.secretName, { [database.options.secretKey ?? 'connection']: s.airflowDatabaseUrl }));
    } else {
      if (s.airflowPostgresPassword === undefined) throw new Error('Platform: the in-cluster database needs secrets.airflowPostgresPassword');
      const host = `${IN_CLUSTER_DATABASE.service}.${ns}.svc:${IN_CLUSTER_DATABASE.port}`;
      secrets.push(secret('airflow-secrets', airflowSecretName, {
        ...airflowData,
        [AIRFLOW_SECRET_KEYS.postgresPassword]: s.airflowPostgresPassword,
        [AIRFLOW_SECRET_KEYS.sqlAlchemyConn]: pulumi.output(s.airflowPostgresPassword)
          .apply((pw) => `postgresql+psycopg2://${IN_CLUSTER_DATABASE.user}:${encodeURIComponent(pw)}@${host}/${IN_CLUSTER_DATABASE.database}`),
      }));
    }
    const auth = chart.spark.config.authentication;
    if (auth.enabled) {
      if (s.sparkAuthSecret === undefined) throw new Error('Platform: Spark authentication needs secrets.sparkAuthSecret');
      secrets.push(secret('spark-auth', auth.secretName, { [SPARK_AUTH_SECRET_KEY]: s.sparkAuthSecret }));
      // The standalone task pods in the jobs namespace mount the same secret (never read across).
      secrets.push(secret('spark-auth-jobs', auth.secretName, { [SPARK_AUTH_SECRET_KEY]: s.sparkAuthSecret }, chart.jobsNamespaceName));
    }
    const storeSecret = chart.history?.credentialsSecretName;
    if (storeSecret !== undefined) {
      if (s.eventLogAccessKeyId === undefined || s.eventLogSecretAccessKey === undefined) throw new Error('Platform: event logs in an object store need secrets.eventLogAccessKeyId and secrets.eventLogSecretAccessKey');
      // In the jobs namespace: drivers, standalone task pods and the history server read it there.
      secrets.push(secret('event-log-store', storeSecret, { AWS_ACCESS_KEY_ID: s.eventLogAccessKeyId, AWS_SECRET_ACCESS_KEY: s.eventLogSecretAccessKey }, chart.jobsNamespaceName));
    }
    return secrets;
  }
}

/** The resources of a v1 ConfigGroup, resolved once every child is constructed. */
function groupResources(group: k8s.yaml.ConfigGroup): pulumi.Output<pulumi.CustomResource[]> {
  return group.resources.apply((byName) => Object.values(byName) as pulumi.CustomResource[]);
}

/**
 * How a UI is reached, read from its Service in the chart: `http://<node>:<nodePort>` for a
 * NodePort Service, otherwise the `kubectl port-forward` command.
 */
export function uiEndpoint(manifests: readonly ManifestObject[], namespace: string, serviceName: string): string {
  const service = manifests.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
  if (!service) throw new Error(`Platform: no Service ${serviceName} in the chart`);
  const port = service.spec?.ports?.[0];
  if (service.spec?.type === 'NodePort' && port?.nodePort !== undefined) return `http://<node>:${port.nodePort}`;
  return `kubectl -n ${namespace} port-forward svc/${serviceName} ${port.port}:${port.port} (then http://localhost:${port.port})`;
}
