import { ApiObject, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { objectLabels, selectorLabels, selectPods } from '../labels';
import { parseMemoryBytes } from '../quantity';
import { ContainerResources, ParsedResources, toKplusResources } from '../resources';
import { imageSuppressions, suppress, SUPPRESSIONS } from '../scanners';
import { containerSecurityContext, hardenPodSpec, podSecurityContext, RunAs } from '../security';
import { checkPinnedImage, isDns1123Subdomain, isIpv4Cidr, IssueCollector } from '../validation';
import { IMAGES, POSTGRES_UID } from '../versions';
import { nameJobAfterTemplate } from '../jobs';
import type { AdminStep } from './auth';
import type { ResolvedAirflow } from './options';
import { AIRFLOW_RUN_AS, AirflowPods, airflowLabels, BASE_SCRATCH } from './pods';
import type { EnvSpec } from './secrets';

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
  /**
   * Where the database is, for the egress NetworkPolicy (IPv4 CIDR): narrow it to the database's
   * addresses so that Airflow can reach nothing else on that port.
   * @default "0.0.0.0/0" (any address)
   */
  readonly cidr?: string;
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

/** Reports every problem of a database choice under `database.*`. */
export function validateDatabase(issues: IssueCollector, database: AirflowDatabase): void {
  if (database instanceof ExternalDatabase) {
    const name = database.options.secretName;
    if (!isDns1123Subdomain(name)) {
      issues.add('database.secretName', name, 'must name the Secret holding the database URL (a DNS-1123 subdomain); an external database needs it');
    }
    const key = database.options.secretKey ?? 'connection';
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) issues.add('database.secretKey', key, 'must be a Secret key: a-z, A-Z, 0-9, "-", "_", "."');
    const port = database.options.port ?? 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) issues.add('database.port', port, 'must be a port number in 1-65535');
    const cidr = database.options.cidr ?? '0.0.0.0/0';
    if (!isIpv4Cidr(cidr)) issues.add('database.cidr', cidr, 'must be an IPv4 CIDR of the database\'s addresses, e.g. "10.0.64.0/20"');
  } else if (database instanceof InClusterDatabase) {
    const o = database.options;
    const storage = o.storage ?? '8Gi';
    const bytes = parseMemoryBytes(storage);
    if (bytes === undefined || bytes % 2 ** 30 !== 0) issues.add('database.storage', storage, 'must be a whole number of gibibytes, e.g. "8Gi"');
    if (o.storageClassName !== undefined && !isDns1123Subdomain(o.storageClassName)) issues.add('database.storageClassName', o.storageClassName, 'must be a StorageClass name (DNS-1123 subdomain)');
    checkPinnedImage(issues, 'database.image', o.image ?? IMAGES.postgres);
  }
}

const POSTGRES_RUN_AS: RunAs = { user: POSTGRES_UID, group: POSTGRES_UID, fsGroup: POSTGRES_UID };

/** What the in-cluster PostgreSQL needs from the rest of Airflow. */
export interface PostgresProps {
  readonly database: InClusterDatabase;
  readonly resources: ParsedResources;
  /** The Secret holding the password, and the key of the password in it. */
  readonly passwordSecret: kplus.ISecret;
  readonly passwordKey: string;
}

/**
 * The in-cluster PostgreSQL: a one-replica StatefulSet with its Service and data claim. The
 * objects are created in `scope` (the Airflow construct), so their construct paths stay put.
 */
export function addInClusterPostgres(scope: Construct, props: PostgresProps): void {
  const db = props.database;
  const name = IN_CLUSTER_DATABASE.service;
  const selector = selectorLabels('postgresql', 'database', name);
  const labels = objectLabels(selector);
  const service = new kplus.Service(scope, 'PostgresService', {
    metadata: { name, labels },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'postgresql', port: IN_CLUSTER_DATABASE.port, targetPort: IN_CLUSTER_DATABASE.port }],
  });
  selectPods(service, selector);
  const sts = new kplus.StatefulSet(scope, 'Postgres', {
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
        ports: [{ name: 'postgresql', number: IN_CLUSTER_DATABASE.port }],
        readiness: kplus.Probe.fromCommand(['pg_isready', '-h', '127.0.0.1', '-p', String(IN_CLUSTER_DATABASE.port), '-U', IN_CLUSTER_DATABASE.user, '-d', IN_CLUSTER_DATABASE.database], { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 3 }),
        liveness: kplus.Probe.fromTcpSocket({ port: IN_CLUSTER_DATABASE.port, initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(20), failureThreshold: 6 }),
        resources: toKplusResources(props.resources),
        securityContext: containerSecurityContext(POSTGRES_RUN_AS),
      },
    ],
  });
  const [container] = sts.containers;
  // One replica: a plain PVC (cdk8s-plus has no volumeClaimTemplates, and raw patches would
  // bypass the typed serializer). It outlives the StatefulSet, as a claim template's would.
  const claim = new kplus.PersistentVolumeClaim(scope, 'PostgresData', {
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
  container.mount('/run/secrets/postgres', kplus.Volume.fromSecret(sts, 'password-volume', props.passwordSecret, {
    name: 'password',
    items: { [props.passwordKey]: { path: 'password' } },
    defaultMode: 0o440,
  }), { readOnly: true });
  suppress(sts, ...imageSuppressions([db.options.image ?? IMAGES.postgres]), SUPPRESSIONS.imageUser);
  for (const [key, value] of Object.entries(labels)) sts.podMetadata.addLabel(key, value);
  sts.select(kplus.LabelSelector.of({ labels: selector }));
  hardenPodSpec(ApiObject.of(sts), '/spec/template/spec');
}

/**
 * The schema migration Job. It is named after its pod template (image, database, configuration),
 * so a deploy that changes any of them runs a new Job once, and re-applying the same manifests is
 * a no-op. The components wait for it with `airflow db check-migrations`.
 */
export function addMigration(scope: Construct, pods: AirflowPods, c: ResolvedAirflow, env: readonly EnvSpec[], adminStep?: AdminStep): kplus.Job {
  const waitForDb = pods.container('wait-for-db', ['airflow', 'db', 'check', '--retry', '60', '--retry-delay', '5'], c.resources.task, env);
  const migrate = pods.container('migrate', ['airflow', 'db', 'migrate'], c.resources.task, env);
  // With an admin step (the FAB admin user), it runs once the schema is there: migrate becomes an init container.
  const job = new kplus.Job(scope, 'Migrate', {
    metadata: { name: 'airflow-db-migrate', labels: airflowLabels('db-migrate') },
    backoffLimit: 6,
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(AIRFLOW_RUN_AS),
    containers: [adminStep ? pods.container(adminStep.name, adminStep.args, c.resources.task, adminStep.env) : migrate],
    initContainers: adminStep ? [waitForDb, migrate] : [waitForDb],
  });
  for (const container of [...job.initContainers, ...job.containers]) pods.mountFiles(job, container, BASE_SCRATCH, false);
  pods.finish(job, selectorLabels('airflow', 'db-migrate', 'airflow'));
  nameJobAfterTemplate(job, 'airflow-db-migrate');
  suppress(job, ...imageSuppressions([c.image]), SUPPRESSIONS.secretEnv);
  return job;
}
