import { Construct } from 'constructs';
import { SecretBootstrap } from '../secret-bootstrap';
import { ExternalDatabase, IN_CLUSTER_DATABASE, InClusterDatabase } from './database';
import type { ResolvedAirflow } from './options';

/** Keys of the Airflow Secret. */
export const AIRFLOW_SECRET_KEYS = {
  /** `[core] fernet_key`: encrypts connections and variables in the database. */
  fernetKey: 'fernet-key',
  /** `[api] secret_key`: signs session cookies and log-fetch tokens. */
  apiSecretKey: 'api-secret-key',
  /** `[api_auth] jwt_secret`: signs API and task execution tokens. */
  jwtSecret: 'jwt-secret',
  /** Password of the Airflow admin user (lib/airflow/auth.ts): FAB's database user, or SimpleAuthManager's file. */
  adminPassword: 'admin-password',
  /** Password of the in-cluster PostgreSQL user `airflow`. */
  postgresPassword: 'postgres-password',
  /** SQLAlchemy URL of the in-cluster database. */
  sqlAlchemyConn: 'sql-alchemy-conn',
} as const;

/** The Secret with Airflow's keys. */
export interface AirflowSecretsOptions {
  /**
   * Name of the Secret with `fernet-key`, `api-secret-key`, `jwt-secret`, `admin-password` (and, for the in-cluster
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

/** One environment variable, as a literal or from a Secret key. */
export interface EnvSpec {
  readonly name: string;
  readonly value?: string;
  readonly secret?: { readonly name: string; readonly key: string };
}

/** Asks the bootstrap Job to generate the Airflow Secret (when the config says so). */
export function requestAirflowSecrets(scope: Construct, c: ResolvedAirflow, dnsSuffix: string): void {
  if (!c.bootstrapSecrets) return;
  const inCluster = c.database instanceof InClusterDatabase;
  SecretBootstrap.of(scope).generate({
    name: c.secretName,
    keys: {
      [AIRFLOW_SECRET_KEYS.fernetKey]: { generate: 'fernet' },
      [AIRFLOW_SECRET_KEYS.apiSecretKey]: { generate: 'token' },
      [AIRFLOW_SECRET_KEYS.jwtSecret]: { generate: 'token' },
      [AIRFLOW_SECRET_KEYS.adminPassword]: { generate: 'token' },
      ...(inCluster ? {
        [AIRFLOW_SECRET_KEYS.postgresPassword]: { generate: 'token' },
        [AIRFLOW_SECRET_KEYS.sqlAlchemyConn]: {
          generate: 'postgres-url', passwordKey: AIRFLOW_SECRET_KEYS.postgresPassword,
          user: IN_CLUSTER_DATABASE.user, host: `${IN_CLUSTER_DATABASE.service}.${dnsSuffix}`, port: IN_CLUSTER_DATABASE.port, database: IN_CLUSTER_DATABASE.database,
        },
      } : {}),
    },
  });
}

/** Who reads the Airflow Secret. */
export type SecretConsumer = 'api-server' | 'scheduler' | 'dag-processor' | 'triggerer' | 'db-migrate' | 'worker';

/**
 * Which process gets which secret, as the Airflow chart does it for Airflow 3:
 *
 * - the database URL: every process that uses the metadata database (not the workers: Airflow 3
 *   workers talk only to the execution API);
 * - the fernet key: the processes that read or write connections and variables;
 * - `[api] secret_key`: the api-server signs log-fetch requests with it; the log servers of the
 *   scheduler, triggerer and workers verify them;
 * - `[api_auth] jwt_secret`: the api-server (validates) and the scheduler (issues task tokens) only.
 */
export const SECRET_CONSUMERS: Readonly<Record<'databaseUrl' | 'fernetKey' | 'apiSecretKey' | 'jwtSecret', readonly SecretConsumer[]>> = {
  databaseUrl: ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'db-migrate'],
  fernetKey: ['api-server', 'scheduler', 'dag-processor', 'triggerer'],
  apiSecretKey: ['api-server', 'scheduler', 'triggerer', 'worker'],
  jwtSecret: ['api-server', 'scheduler'],
};

/** The Secret key and Secret of the database URL. */
export function databaseUrlRef(c: ResolvedAirflow): { readonly name: string; readonly key: string } {
  return c.database instanceof ExternalDatabase
    ? { name: c.database.options.secretName, key: c.database.options.secretKey ?? 'connection' }
    : { name: c.secretName, key: AIRFLOW_SECRET_KEYS.sqlAlchemyConn };
}

/** The environment of one consumer: the secrets it needs by reference (never by value), and no other. */
export function airflowSecretEnv(c: ResolvedAirflow, consumer: SecretConsumer): EnvSpec[] {
  const gets = (what: keyof typeof SECRET_CONSUMERS) => SECRET_CONSUMERS[what].includes(consumer);
  const env: EnvSpec[] = [];
  if (gets('fernetKey')) env.push({ name: 'AIRFLOW__CORE__FERNET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.fernetKey } });
  if (gets('apiSecretKey')) env.push({ name: 'AIRFLOW__API__SECRET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.apiSecretKey } });
  if (gets('jwtSecret')) env.push({ name: 'AIRFLOW__API_AUTH__JWT_SECRET', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.jwtSecret } });
  if (gets('databaseUrl')) env.push({ name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', secret: databaseUrlRef(c) });
  // The entrypoint's own database wait is replaced by explicit init containers (workers have no database).
  env.push({ name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' });
  return env;
}
