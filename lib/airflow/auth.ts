import type { ResolvedAirflow } from './options';
import type { ScratchDir } from './pods';
import { AIRFLOW_SECRET_KEYS, type EnvSpec } from './secrets';

/** The auth managers the platform configures. */
export type AirflowAuthManager = 'fab' | 'simple';
export const AUTH_MANAGERS: readonly AirflowAuthManager[] = ['fab', 'simple'];

/** How users log in to the Airflow UI and REST API. */
export interface AirflowAuthOptions {
  /**
   * `fab`: the FAB auth manager (apache-airflow-providers-fab), for staging and production:
   * users, roles and hashed passwords in the metadata database. The migration Job creates the
   * admin user, or resets its password and Admin role, from the Airflow Secret's `admin-password`
   * on every deploy that runs it; further users are managed in the UI (Security > Users) or with
   * `airflow users create`.
   *
   * `simple`: Airflow's SimpleAuthManager, for development only (its own code says so). One user,
   * `adminUsername`, with the Admin role; its password also comes from `admin-password`, copied
   * into the manager's password file by an init container, so it is never generated, never
   * printed to the log, and stays the same across api-server restarts.
   * @default "fab"
   */
  readonly manager?: AirflowAuthManager;
  /** Name of the admin user. @default "admin" */
  readonly adminUsername?: string;
  /** E-mail of the admin user (FAB requires one). @default "<adminUsername>@localhost" */
  readonly adminEmail?: string;
}

/** The validated view of {@link AirflowAuthOptions}. */
export interface ResolvedAirflowAuth {
  readonly manager: AirflowAuthManager;
  readonly adminUsername: string;
  readonly adminEmail: string;
}

/** One extra container that sets up the admin: its name, command and the secrets it gets. */
export interface AdminStep {
  readonly name: string;
  readonly args: string[];
  readonly env: readonly EnvSpec[];
}

/**
 * How users log in: the auth manager's settings in airflow.cfg, and where the admin user comes
 * from (an init container of the api-server, or a step of the migration Job).
 */
export interface AirflowAuthentication {
  /** `[core]` settings of the auth manager. */
  readonly coreSettings: Readonly<Record<string, string>>;
  /** Writable directories the api-server needs for it. */
  readonly apiServerScratch: readonly ScratchDir[];
  /** simple: writes the password file before the api-server starts. */
  readonly apiServerInit?: AdminStep;
  /** fab: creates or updates the admin user after the schema migration. */
  readonly migrationStep?: AdminStep;
}

const SIMPLE_AUTH_DIR = '/opt/airflow/auth';
/** SimpleAuthManager's password file (JSON `{"<user>": "<password>"}`), in an emptyDir of the api-server. */
export const SIMPLE_PASSWORDS_FILE = `${SIMPLE_AUTH_DIR}/simple_auth_manager_passwords.json`;

/** Environment variables of the admin step (the password by Secret reference only). */
const ADMIN_ENV = { username: 'AIRFLOW_ADMIN_USERNAME', email: 'AIRFLOW_ADMIN_EMAIL', password: 'AIRFLOW_ADMIN_PASSWORD' } as const;

/** Shortest admin password the steps accept (the bootstrap Job generates 43 characters). */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;

/**
 * Writes SimpleAuthManager's password file from the Secret (mode 0600, in the api-server's
 * emptyDir), so that the manager finds the user's password and neither generates nor prints one.
 */
const SIMPLE_PASSWORDS_SCRIPT = `import json, os, sys
password = os.environ.get("${ADMIN_ENV.password}", "")
if len(password) < ${MIN_ADMIN_PASSWORD_LENGTH}:
    sys.exit("the admin password (Secret key ${AIRFLOW_SECRET_KEYS.adminPassword}) is missing or shorter than ${MIN_ADMIN_PASSWORD_LENGTH} characters")
path = "${SIMPLE_PASSWORDS_FILE}"
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write(json.dumps({os.environ["${ADMIN_ENV.username}"]: password}) + "\\n")
print("wrote the password file of user " + os.environ["${ADMIN_ENV.username}"] + " from the Secret")
`;

/**
 * Creates the FAB admin user, or makes an existing one an active Admin with the Secret's password
 * (so that rotating the Secret and re-running the migration Job rotates the password).
 */
const FAB_ADMIN_SCRIPT = `import os, sys
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
username = os.environ["${ADMIN_ENV.username}"]
password = os.environ.get("${ADMIN_ENV.password}", "")
if len(password) < ${MIN_ADMIN_PASSWORD_LENGTH}:
    sys.exit("the admin password (Secret key ${AIRFLOW_SECRET_KEYS.adminPassword}) is missing or shorter than ${MIN_ADMIN_PASSWORD_LENGTH} characters")
with get_application_builder() as appbuilder:
    sm = appbuilder.sm
    role = sm.find_role("Admin")
    if role is None:
        sys.exit("the FAB role Admin does not exist: did airflow db migrate run with the FAB auth manager?")
    user = sm.find_user(username=username)
    if user is None:
        if not sm.add_user(username, "Airflow", "Admin", os.environ["${ADMIN_ENV.email}"], role, password):
            sys.exit("could not create the admin user " + username)
        print("created the admin user " + username + " (role Admin) with the password from the Secret")
    else:
        if role not in user.roles:
            user.roles.append(role)
        user.active = True
        sm.update_user(user)
        if not sm.reset_password(user.id, password):
            sys.exit("could not set the password of " + username)
        print("admin user " + username + " exists: active, role Admin, password set from the Secret")
`;

/** The auth manager's class, by name. */
export const AUTH_MANAGER_CLASSES: Readonly<Record<AirflowAuthManager, string>> = {
  fab: 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager',
  simple: 'airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager',
};

/** What the configured auth manager needs; `databaseEnv` is the migration's database access. */
export function authentication(c: ResolvedAirflow, databaseEnv: readonly EnvSpec[]): AirflowAuthentication {
  const { manager, adminUsername, adminEmail } = c.auth;
  const adminEnv: EnvSpec[] = [
    { name: ADMIN_ENV.username, value: adminUsername },
    { name: ADMIN_ENV.password, secret: { name: c.secretName, key: AIRFLOW_SECRET_KEYS.adminPassword } },
  ];
  if (manager === 'simple') {
    return {
      coreSettings: {
        auth_manager: AUTH_MANAGER_CLASSES.simple,
        simple_auth_manager_users: `${adminUsername}:admin`,
        simple_auth_manager_passwords_file: SIMPLE_PASSWORDS_FILE,
      },
      apiServerScratch: [{ name: 'auth', path: SIMPLE_AUTH_DIR }],
      apiServerInit: { name: 'auth-password-file', args: ['python', '-c', SIMPLE_PASSWORDS_SCRIPT], env: adminEnv },
    };
  }
  return {
    coreSettings: { auth_manager: AUTH_MANAGER_CLASSES.fab },
    apiServerScratch: [],
    migrationStep: {
      name: 'admin-user',
      args: ['python', '-c', FAB_ADMIN_SCRIPT],
      env: [...databaseEnv, ...adminEnv, { name: ADMIN_ENV.email, value: adminEmail }],
    },
  };
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const EMAIL = /^[^\s@:,]+@[^\s@:,]+$/;

/** Validates {@link AirflowAuthOptions}; field paths are relative to the Airflow props. */
export function resolveAuth(options: AirflowAuthOptions | undefined, add: (field: string, value: unknown, allowed: string) => void): ResolvedAirflowAuth {
  const manager = options?.manager ?? 'fab';
  if (!AUTH_MANAGERS.includes(manager)) add('auth.manager', manager, `must be one of ${AUTH_MANAGERS.map((m) => `"${m}"`).join(', ')}`);
  const adminUsername = options?.adminUsername ?? 'admin';
  if (typeof adminUsername !== 'string' || !USERNAME.test(adminUsername)) {
    add('auth.adminUsername', adminUsername, 'must be 1-64 characters of letters, digits, "_", ".", "@" and "-", starting with a letter or digit');
  }
  const adminEmail = options?.adminEmail ?? `${adminUsername}@localhost`;
  if (typeof adminEmail !== 'string' || !EMAIL.test(adminEmail)) add('auth.adminEmail', adminEmail, 'must be an e-mail address, e.g. "airflow-admin@example.com"');
  return { manager, adminUsername, adminEmail };
}
