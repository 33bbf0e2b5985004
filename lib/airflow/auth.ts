import type { ScratchDir } from './pods';

/**
 * How users log in to Airflow: the auth manager and its settings in airflow.cfg, and what the
 * api-server needs for it.
 */
export interface AirflowAuthentication {
  /** `[core]` settings of the auth manager. */
  readonly coreSettings: Readonly<Record<string, string>>;
  /** Writable directories the api-server needs for it. */
  readonly apiServerScratch: readonly ScratchDir[];
}

/**
 * SimpleAuthManager with one user `admin`; the api-server generates its password at start and
 * writes it to a file in an emptyDir.
 */
export function simpleAuthentication(): AirflowAuthentication {
  return {
    coreSettings: {
      auth_manager: 'airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager',
      simple_auth_manager_users: 'admin:admin',
      simple_auth_manager_passwords_file: '/opt/airflow/auth/simple_auth_manager_passwords.json.generated',
    },
    apiServerScratch: [{ name: 'auth', path: '/opt/airflow/auth' }],
  };
}
