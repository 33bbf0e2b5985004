/**
 * Stack configuration of the Pulumi program: which typed environment a stack deploys, the
 * documented overrides a stack may apply to it, and the secrets Pulumi supplies.
 *
 * The typed `PlatformConfig` of stacks/<env>.ts stays the single source of truth; stack config
 * only overrides the few knobs listed in {@link CONFIG_KEYS}. Every other key under the
 * `spark-airflow:` namespace is an error (a typo must not be silently ignored).
 */
import * as pulumi from '@pulumi/pulumi';
import {
  AirflowComponentResources,
  AirflowExecutor,
  ContainerResources,
  ExternalDatabase,
  MIN_ADMIN_PASSWORD_LENGTH,
  PlatformConfig,
  ValidationError,
  ValidationIssue,
  formatIssue,
  validatePlatformConfig,
} from '../../lib';

/** The config namespace of every key the program reads: `spark-airflow:<key>`. */
export const CONFIG_NAMESPACE = 'spark-airflow';

/** What a config key holds. */
export type ConfigKeyType = 'string' | 'boolean' | 'integer' | 'resources' | 'componentResources' | 'secret';

/** One documented stack config key. */
export interface ConfigKeySpec {
  /** The key without namespace. */
  readonly key: string;
  readonly type: ConfigKeyType;
  /** The PlatformConfig field it overrides (for secrets: where the value goes). */
  readonly target: string;
  readonly description: string;
  /** What values are allowed, when more than the type says (named in error messages). */
  readonly allowed?: string;
}

/** Every key the program reads. README's table is generated from the same list in the tests. */
export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  { key: 'kubeContext', type: 'string', target: 'k8s.Provider context', description: 'kubeconfig context to deploy to (default: the current context of the ambient kubeconfig)' },
  { key: 'sparkImage', type: 'string', target: 'spark.image', description: 'Spark image of master and workers (pinned tag or digest)' },
  { key: 'airflowImage', type: 'string', target: 'airflow.image', description: 'Airflow image of every Airflow component (pinned)' },
  { key: 'jobImage', type: 'string', target: 'jobImage', description: 'companion job image run by the DAGs (SPARK_JOB_IMAGE, pinned)' },
  { key: 'sparkMasterResources', type: 'resources', target: 'spark.master.resources', description: 'master container resources, merged over the environment\'s: {"cpu":{"request","limit"},"memory":{"request","limit"}}' },
  { key: 'sparkWorkerResources', type: 'resources', target: 'spark.worker.resources', description: 'worker container resources (bounds the worker and its executors), merged like sparkMasterResources' },
  { key: 'airflowResources', type: 'componentResources', target: 'airflow.resources', description: 'per component (apiServer, scheduler, dagProcessor, triggerer) resources, merged like sparkMasterResources' },
  { key: 'sparkUiExpose', type: 'boolean', target: 'spark.ui.expose', description: 'expose the Spark master UI on a NodePort' },
  { key: 'sparkUiNodePort', type: 'integer', target: 'spark.ui.nodePort', description: 'NodePort of the Spark master UI (30000-32767)', allowed: 'must be an integer in 30000-32767 (the Kubernetes NodePort range)' },
  { key: 'airflowUiExpose', type: 'boolean', target: 'airflow.ui.expose', description: 'expose the Airflow UI on a NodePort' },
  { key: 'airflowUiNodePort', type: 'integer', target: 'airflow.ui.nodePort', description: 'NodePort of the Airflow UI (30000-32767)', allowed: 'must be an integer in 30000-32767 (the Kubernetes NodePort range)' },
  { key: 'airflowExecutor', type: 'string', target: 'airflow.executor', description: '"LocalExecutor" or "KubernetesExecutor"' },
  { key: 'apiServerCidr', type: 'string', target: 'network.apiServerCidr', description: 'CIDR of the API server\'s addresses (kubectl -n default get endpoints kubernetes), for the egress NetworkPolicies' },
  { key: 'airflowFernetKey', type: 'secret', target: 'Secret airflow-secrets, key fernet-key', description: 'Fernet key encrypting connections and variables (32 url-safe base64 bytes); required' },
  { key: 'airflowApiSecretKey', type: 'secret', target: 'Secret airflow-secrets, key api-secret-key', description: 'api-server session secret; required' },
  { key: 'airflowJwtSecret', type: 'secret', target: 'Secret airflow-secrets, key jwt-secret', description: 'secret signing the task execution API tokens; required' },
  { key: 'airflowAdminPassword', type: 'secret', target: 'Secret airflow-secrets, key admin-password', description: 'password of the Airflow admin user (auth.adminUsername, "admin"), at least 12 characters; required' },
  { key: 'sparkAuthSecret', type: 'secret', target: 'Secret <spark.authentication.secretName> (spark-auth), key secret', description: 'shared secret of Spark RPC authentication and encryption; required unless spark.authentication.enabled is false' },
  { key: 'airflowPostgresPassword', type: 'secret', target: 'Secret airflow-secrets, keys postgres-password and sql-alchemy-conn', description: 'password of the in-cluster PostgreSQL; required when the environment uses AirflowDatabase.inCluster() (dev)' },
  { key: 'airflowDatabaseUrl', type: 'secret', target: 'Secret <database.secretName> (airflow-database), key <database.secretKey> (connection)', description: 'SQLAlchemy URL of the external database; required when the environment uses AirflowDatabase.external() (staging, prod)' },
  { key: 'eventLogAccessKeyId', type: 'secret', target: 'Secret <history.eventLog.objectStore.credentialsSecretName> (jobs namespace), key AWS_ACCESS_KEY_ID', description: 'access key of the object store the Spark event logs go to; required when the environment sets history.eventLog.objectStore (staging, prod)' },
  { key: 'eventLogSecretAccessKey', type: 'secret', target: 'Secret <history.eventLog.objectStore.credentialsSecretName> (jobs namespace), key AWS_SECRET_ACCESS_KEY', description: 'secret key of that object store user; required with eventLogAccessKeyId' },
];

/** The full `spark-airflow:<key>` name of a key. */
export function fullKey(key: string): string {
  return `${CONFIG_NAMESPACE}:${key}`;
}

/**
 * Thrown for a stack config that cannot be used; the message names each offending key.
 * A `pulumi.RunError`, so the CLI prints the message alone, without a stack trace.
 */
export class StackConfigError extends pulumi.RunError {
  constructor(stack: string, problems: readonly string[]) {
    super(`Invalid Pulumi config for stack "${stack}":\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StackConfigError';
  }
}

/** Reads raw config values; a thin seam over `pulumi.Config` so the parsing is testable. */
export interface ConfigSource {
  /** The raw (string) value of `spark-airflow:<key>`, or undefined. */
  get(key: string): string | undefined;
  /** Every key set under the `spark-airflow:` namespace (without the namespace). */
  keys(): readonly string[];
}

/** Non-secret overrides read from stack config, in PlatformConfig terms. */
export interface StackOverrides {
  kubeContext?: string;
  sparkImage?: string;
  airflowImage?: string;
  jobImage?: string;
  sparkMasterResources?: PartialResources;
  sparkWorkerResources?: PartialResources;
  airflowResources?: Partial<Record<keyof AirflowComponentResources, PartialResources>>;
  sparkUiExpose?: boolean;
  sparkUiNodePort?: number;
  airflowUiExpose?: boolean;
  airflowUiNodePort?: number;
  airflowExecutor?: AirflowExecutor;
  apiServerCidr?: string;
}

/** A resources override: any subset of cpu/memory request/limit. */
export interface PartialResources {
  cpu?: { request?: string; limit?: string };
  memory?: { request?: string; limit?: string };
}

const AIRFLOW_COMPONENTS = ['apiServer', 'scheduler', 'dagProcessor', 'triggerer'] as const;

/** Parses and type-checks every `spark-airflow:` key; collects every problem before throwing. */
export function readOverrides(stack: string, source: ConfigSource): StackOverrides {
  const problems: string[] = [];
  const known = new Map(CONFIG_KEYS.map((k) => [k.key, k]));
  for (const key of source.keys()) {
    if (!known.has(key)) {
      problems.push(`${fullKey(key)} is not a known key; known keys: ${CONFIG_KEYS.map((k) => k.key).join(', ')}`);
    }
  }
  const out: StackOverrides = {};
  // Each key's type is checked by the switch below; CONFIG_KEYS ties key names to those types.
  const put = (key: string, value: unknown) => {
    (out as Record<string, unknown>)[key] = value;
  };
  for (const spec of CONFIG_KEYS) {
    const raw = source.get(spec.key);
    if (raw === undefined || spec.type === 'secret') continue;
    const bad = (allowed: string) => problems.push(`${fullKey(spec.key)} = ${JSON.stringify(raw)}: ${allowed}`);
    switch (spec.type) {
      case 'string':
        if (raw.trim() === '') bad('must not be empty');
        else put(spec.key, raw);
        break;
      case 'boolean':
        if (raw !== 'true' && raw !== 'false') bad('must be true or false');
        else put(spec.key, raw === 'true');
        break;
      case 'integer':
        if (!/^-?\d+$/.test(raw.trim())) bad(spec.allowed ?? 'must be an integer');
        else put(spec.key, Number(raw));
        break;
      case 'resources': {
        const parsed = parseResources(spec.key, raw, problems);
        if (parsed) put(spec.key, parsed);
        break;
      }
      case 'componentResources': {
        const obj = parseJsonObject(spec.key, raw, problems);
        if (!obj) break;
        const result: NonNullable<StackOverrides['airflowResources']> = {};
        for (const [component, value] of Object.entries(obj)) {
          if (!(AIRFLOW_COMPONENTS as readonly string[]).includes(component)) {
            problems.push(`${fullKey(spec.key)}.${component}: unknown component; allowed: ${AIRFLOW_COMPONENTS.join(', ')}`);
            continue;
          }
          const parsed = parseResources(`${spec.key}.${component}`, value, problems);
          if (parsed) result[component as (typeof AIRFLOW_COMPONENTS)[number]] = parsed;
        }
        put(spec.key, result);
        break;
      }
    }
  }
  if (out.airflowExecutor !== undefined && !['LocalExecutor', 'KubernetesExecutor'].includes(out.airflowExecutor)) {
    problems.push(`${fullKey('airflowExecutor')} = ${JSON.stringify(out.airflowExecutor)}: must be "LocalExecutor" or "KubernetesExecutor"`);
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);
  return out;
}

function parseJsonObject(key: string, raw: unknown, problems: string[]): Record<string, unknown> | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push(`${fullKey(key)} = ${JSON.stringify(raw)}: must be a JSON object`);
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${fullKey(key)} = ${JSON.stringify(raw)}: must be an object`);
    return undefined;
  }
  return value as Record<string, unknown>;
}

function parseResources(key: string, raw: unknown, problems: string[]): PartialResources | undefined {
  const obj = parseJsonObject(key, raw, problems);
  if (!obj) return undefined;
  const result: PartialResources = {};
  let ok = true;
  for (const [resource, range] of Object.entries(obj)) {
    if (resource !== 'cpu' && resource !== 'memory') {
      problems.push(`${fullKey(key)}.${resource}: unknown resource; allowed: cpu, memory`);
      ok = false;
      continue;
    }
    if (range === null || typeof range !== 'object' || Array.isArray(range)) {
      problems.push(`${fullKey(key)}.${resource} = ${JSON.stringify(range)}: must be an object with request and/or limit`);
      ok = false;
      continue;
    }
    const parsed: { request?: string; limit?: string } = {};
    for (const [bound, quantity] of Object.entries(range as Record<string, unknown>)) {
      if (bound !== 'request' && bound !== 'limit') {
        problems.push(`${fullKey(key)}.${resource}.${bound}: unknown field; allowed: request, limit`);
        ok = false;
      } else if (typeof quantity === 'string' || typeof quantity === 'number') {
        // `pulumi config set --path` stores "2" as the number 2: a quantity either way.
        parsed[bound] = String(quantity);
      } else {
        problems.push(`${fullKey(key)}.${resource}.${bound} = ${JSON.stringify(quantity)}: must be a Kubernetes quantity such as "500m" or "2Gi"`);
        ok = false;
      }
    }
    result[resource] = parsed;
  }
  return ok ? result : undefined;
}

function mergeResources(base: ContainerResources | undefined, override: PartialResources | undefined): ContainerResources | undefined {
  if (override === undefined) return base;
  // An incomplete result (no base and a partial override) is reported by the lib's validation.
  return {
    cpu: { ...base?.cpu, ...override.cpu },
    memory: { ...base?.memory, ...override.memory },
  } as ContainerResources;
}

/** Where each override lands in PlatformConfig: a validation issue under that field names the key. */
const FIELD_TO_KEY: readonly [string, keyof StackOverrides][] = [
  ['spark.image', 'sparkImage'],
  ['airflow.image', 'airflowImage'],
  ['jobImage', 'jobImage'],
  ['spark.master.resources', 'sparkMasterResources'],
  ['spark.worker.resources', 'sparkWorkerResources'],
  ['airflow.resources', 'airflowResources'],
  ['spark.ui.expose', 'sparkUiExpose'],
  ['spark.ui.nodePort', 'sparkUiNodePort'],
  ['airflow.ui.expose', 'airflowUiExpose'],
  ['airflow.ui.nodePort', 'airflowUiNodePort'],
  ['airflow.executor', 'airflowExecutor'],
  ['network.apiServerCidr', 'apiServerCidr'],
];

/**
 * Applies the overrides to an environment's typed config. Under Pulumi every Secret comes from
 * Pulumi secret config, so the in-cluster secrets bootstrap (Airflow's and Spark's) is switched off.
 */
export function applyOverrides(base: PlatformConfig, o: StackOverrides): PlatformConfig {
  const spark = base.spark ?? {};
  const airflow = base.airflow ?? {};
  const airflowResources: AirflowComponentResources | undefined = o.airflowResources === undefined
    ? airflow.resources
    : Object.fromEntries(AIRFLOW_COMPONENTS.map((c) => [c, mergeResources(airflow.resources?.[c], o.airflowResources?.[c])]).filter(([, r]) => r !== undefined));
  return {
    ...base,
    ...(o.jobImage !== undefined ? { jobImage: o.jobImage } : {}),
    ...(o.apiServerCidr !== undefined ? { network: { ...base.network, apiServerCidr: o.apiServerCidr } } : {}),
    spark: {
      ...spark,
      authentication: { ...spark.authentication, bootstrap: false },
      ...(o.sparkImage !== undefined ? { image: o.sparkImage } : {}),
      ...(o.sparkMasterResources !== undefined ? { master: { ...spark.master, resources: mergeResources(spark.master?.resources, o.sparkMasterResources) } } : {}),
      ...(o.sparkWorkerResources !== undefined ? { worker: { ...spark.worker, resources: mergeResources(spark.worker?.resources, o.sparkWorkerResources) } } : {}),
      ...(o.sparkUiExpose !== undefined || o.sparkUiNodePort !== undefined ? {
        ui: { ...spark.ui, ...(o.sparkUiExpose !== undefined ? { expose: o.sparkUiExpose } : {}), ...(o.sparkUiNodePort !== undefined ? { nodePort: o.sparkUiNodePort } : {}) },
      } : {}),
    },
    airflow: {
      ...airflow,
      ...(o.airflowImage !== undefined ? { image: o.airflowImage } : {}),
      ...(o.airflowExecutor !== undefined ? { executor: o.airflowExecutor } : {}),
      ...(airflowResources !== undefined ? { resources: airflowResources } : {}),
      ...(o.airflowUiExpose !== undefined || o.airflowUiNodePort !== undefined ? {
        ui: { ...airflow.ui, ...(o.airflowUiExpose !== undefined ? { expose: o.airflowUiExpose } : {}), ...(o.airflowUiNodePort !== undefined ? { nodePort: o.airflowUiNodePort } : {}) },
      } : {}),
      secrets: { ...airflow.secrets, bootstrap: false },
    },
  };
}

/**
 * Validates the overridden config with the lib's own validation. A problem in a field that a
 * stack key set is reported under that key (`spark-airflow:sparkUiNodePort = 80 (spark.ui.nodePort): ...`).
 */
export function validateWithOverrides(stack: string, config: PlatformConfig, o: StackOverrides): void {
  try {
    validatePlatformConfig(config);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new StackConfigError(stack, err.issues.map((issue) => describeIssue(issue, o)));
  }
}

function describeIssue(issue: ValidationIssue, o: StackOverrides): string {
  const match = FIELD_TO_KEY.find(([field, key]) => o[key] !== undefined && (issue.field === field || issue.field.startsWith(`${field}.`)));
  if (!match) return `${formatIssue(issue)} (set in stacks/<env>.ts, not by stack config)`;
  const [, key] = match;
  return `${fullKey(key)} = ${JSON.stringify(o[key])}: ${issue.field} = ${JSON.stringify(issue.value)}: ${issue.problem}`;
}

/** Whether the config runs Spark with RPC authentication (the default). */
export function sparkAuthenticationEnabled(config: PlatformConfig): boolean {
  return config.spark?.authentication?.enabled ?? true;
}

/** Whether the config's Spark event logs go to an object store (whose credentials Pulumi supplies). */
export function eventLogObjectStore(config: PlatformConfig): boolean {
  return config.history !== undefined && config.history.enabled !== false && config.history.eventLog?.objectStore !== undefined;
}

/**
 * The secret config keys a config needs: the database one depends on where Airflow's database
 * lives, the Spark one on whether Spark authenticates, the event-log ones on an object store.
 */
export function requiredSecretKeys(config: PlatformConfig): string[] {
  const external = config.airflow?.database instanceof ExternalDatabase;
  return [
    'airflowFernetKey', 'airflowApiSecretKey', 'airflowJwtSecret', 'airflowAdminPassword',
    ...(sparkAuthenticationEnabled(config) ? ['sparkAuthSecret'] : []),
    external ? 'airflowDatabaseUrl' : 'airflowPostgresPassword',
    ...(eventLogObjectStore(config) ? ['eventLogAccessKeyId', 'eventLogSecretAccessKey'] : []),
  ];
}

/** The command that sets a secret key, for error messages and docs. */
export function setSecretCommand(stack: string, key: string): string {
  return `pulumi config set --secret ${fullKey(key)} <value> -s ${stack}`;
}

/**
 * Checks that every secret the config needs is set (and that no secret of the other database
 * kind is left over), without ever printing a value.
 */
export function checkSecrets(stack: string, config: PlatformConfig, source: ConfigSource): void {
  const required = requiredSecretKeys(config);
  const problems: string[] = [];
  for (const key of required) {
    const value = source.get(key);
    if (value === undefined || value === '') problems.push(`${fullKey(key)} is required and not set: ${setSecretCommand(stack, key)}`);
  }
  const fernet = source.get('airflowFernetKey');
  if (fernet !== undefined && fernet !== '' && !isFernetKey(fernet)) {
    problems.push(`${fullKey('airflowFernetKey')} (value not shown) must be a Fernet key: 32 bytes in url-safe base64, 44 characters, e.g. from \`python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"\``);
  }
  const admin = source.get('airflowAdminPassword');
  if (admin !== undefined && admin !== '' && admin.length < MIN_ADMIN_PASSWORD_LENGTH) {
    problems.push(`${fullKey('airflowAdminPassword')} (value not shown) must be at least ${MIN_ADMIN_PASSWORD_LENGTH} characters, e.g. from \`openssl rand -base64 24\``);
  }
  const unused = ['airflowDatabaseUrl', 'airflowPostgresPassword', 'sparkAuthSecret', 'eventLogAccessKeyId', 'eventLogSecretAccessKey'].filter((k) => !required.includes(k) && source.get(k) !== undefined);
  for (const key of unused) {
    const why = key === 'sparkAuthSecret'
      ? 'Spark authentication is disabled (spark.authentication.enabled false)'
      : key.startsWith('eventLog')
        ? 'writes no event logs to an object store (history.eventLog.objectStore is not set)'
        : `uses ${config.airflow?.database instanceof ExternalDatabase ? 'an external' : 'the in-cluster'} database`;
    problems.push(`${fullKey(key)} is set but unused: environment "${config.environment}" ${why}; remove it with \`pulumi config rm ${fullKey(key)} -s ${stack}\``);
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);
}

function isFernetKey(value: string): boolean {
  if (!/^[A-Za-z0-9_-]{43}=$/.test(value)) return false;
  return Buffer.from(value, 'base64url').length === 32;
}
