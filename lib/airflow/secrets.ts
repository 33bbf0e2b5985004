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
  /** Password of the in-cluster PostgreSQL user `airflow`. */
  postgresPassword: 'postgres-password',
  /** SQLAlchemy URL of the in-cluster database. */
  sqlAlchemyConn: 'sql-alchemy-conn',
} as const;

/** The Secret with Airflow's keys. */
export interface AirflowSecretsOptions {
  /**
   * Name of the Secret with `fernet-key`, `api-secret-key`, `jwt-secret` (and, for the in-cluster
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

/** Environment every Airflow container gets: secrets by reference, never by value. */
export function airflowSecretEnv(c: ResolvedAirflow): EnvSpec[] {
  const db = c.database instanceof ExternalDatabase
    ? { name: c.database.options.secretName, key: c.database.options.secretKey ?? 'connection' }
    : { name: c.secretName, key: AIRFLOW_SECRET_KEYS.sqlAlchemyConn };
  return [
    { name: 'AIRFLOW__CORE__FERNET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.fernetKey } },
    { name: 'AIRFLOW__API__SECRET_KEY', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.apiSecretKey } },
    { name: 'AIRFLOW__API_AUTH__JWT_SECRET', secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.jwtSecret } },
    { name: 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', secret: db },
    // The entrypoint's own database wait is replaced by explicit init containers.
    { name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' },
  ];
}
