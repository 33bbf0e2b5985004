/**
 * The Pulumi program under `pulumi.runtime.setMocks`.
 *
 * Each stack run loads the program (stacks/pulumi/index.ts) in a fresh module registry
 * (jest.isolateModules), with its own mocks and config, exactly as `pulumi up -s <stack>` would
 * load it. A wrapper around the mock monitor records every RegisterResource request as the
 * engine would receive it: type, parent, dependencies and the serialized inputs (where secrets
 * are still marked), so the tests check what would land in the state.
 */
import * as pulumiTypes from '@pulumi/pulumi';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { ExternalDatabase, PlatformConfig } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { CONFIG_KEYS, StackOverrides, applyOverrides, fullKey, readOverrides, requiredSecretKeys } from '../stacks/pulumi/config';
import { buildApp } from '../stacks/synth';
import { find, K8sObject } from './support/synth';

const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** Distinct, recognisable secret values: none may appear in plain text anywhere. */
const SECRETS = {
  airflowFernetKey: 'c2VjcmV0LWZlcm5ldC1rZXktMzItYnl0ZXMtbG9uZyE=', // 32 bytes, url-safe base64
  airflowApiSecretKey: 'plain-api-secret-key-value',
  airflowJwtSecret: 'plain-jwt-secret-value',
  airflowAdminPassword: 'plain-admin-password-value',
  sparkAuthSecret: 'plain-spark-auth-secret-value',
  airflowPostgresPassword: 'pl@in pg/password',
  airflowDatabaseUrl: 'postgresql+psycopg2://airflow:plain-db-password@db.example.internal:5432/airflow',
  eventLogAccessKeyId: 'PLAINEVENTLOGACCESSKEY',
  eventLogSecretAccessKey: 'plain-event-log-secret-access-key',
} as const;

/** The secret config a stack needs (its database kind decides which database key; an object store adds its keys). */
function secretConfig(stack: string): Record<string, string> {
  const external = ENVIRONMENTS[stack].airflow?.database instanceof ExternalDatabase;
  const { airflowPostgresPassword, airflowDatabaseUrl, eventLogAccessKeyId, eventLogSecretAccessKey, ...common } = SECRETS;
  const store: Record<string, string> = ENVIRONMENTS[stack].history?.eventLog?.objectStore ? { eventLogAccessKeyId, eventLogSecretAccessKey } : {};
  return { ...common, ...(external ? { airflowDatabaseUrl } : { airflowPostgresPassword }), ...store };
}

interface Registration {
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** Provider reference (`<urn>::<id>`), empty for the default provider. */
  provider: string;
  dependencies: string[];
  /** Serialized inputs as the engine receives them (secrets still wrapped). */
  raw: Record<string, unknown>;
  /** Inputs as the mock sees them (secrets unwrapped). */
  inputs: Record<string, unknown>;
  urn?: string;
}

interface StackRun {
  error?: Error;
  registrations: Registration[];
  componentOutputs: Map<string, Record<string, unknown>>;
  outputs: Record<string, unknown>;
  /** Every export of the program module (each one is a stack output). */
  exportNames: string[];
  /** Whether each stack output is secret. */
  outputSecrecy: Record<string, boolean>;
}

function isSecretValue(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The value inside a secret wrapper (the mock sees secrets still wrapped). */
function revealed(v: unknown): unknown {
  return isSecretValue(v) ? (v as { value: unknown }).value : v;
}

/** The serialized value with every secret subtree replaced by a marker. */
function withoutSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return '[secret]';
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
  return v;
}

/** What the mock monitor saw. */
interface Recorder {
  registrations: Registration[];
  componentOutputs: Map<string, Record<string, unknown>>;
  /** Resolves once no RegisterResource / RegisterResourceOutputs call has been in flight for a while. */
  settle(): Promise<void>;
}

/**
 * Sets mocks on this module registry's @pulumi/pulumi and wraps the mock monitor to record every
 * request. Tests settle() before the next one sets new mocks: the monitor lives in Pulumi's global
 * store, so a late RPC would otherwise reach the next test's monitor.
 */
function installMocks(pulumi: typeof pulumiTypes, stack: string): Recorder {
  const registrations: Registration[] = [];
  const componentOutputs = new Map<string, Record<string, unknown>>();
  const byName = new Map<string, Registration>();
  let pending = 0;
  void pulumi.runtime.setMocks({
    newResource: (args) => {
      const reg = byName.get(`${args.type}::${args.name}`);
      if (reg) reg.inputs = args.inputs;
      return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
    },
    call: (args) => args.inputs,
  }, 'spark-airflow-k8s', stack, false);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
    const reg: Registration = {
      type: req.getType(), name: req.getName(), custom: req.getCustom(), parent: req.getParent(), provider: req.getProvider(),
      dependencies: req.getDependenciesList(), raw: req.getObject()?.toJavaScript() ?? {}, inputs: {},
    };
    registrations.push(reg);
    byName.set(`${reg.type}::${reg.name}`, reg);
    pending++;
    return register(req, (err: unknown, resp: { getUrn(): string } | undefined) => {
      if (resp) reg.urn = resp.getUrn();
      pending--;
      callback(err, resp);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResourceOutputs = (req: any, callback: (err: unknown, resp: unknown) => void) => {
    componentOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    pending++;
    return registerOutputs(req, (err: unknown, resp: unknown) => {
      pending--;
      callback(err, resp);
    });
  };
  const settle = async () => {
    // Every registration is a chain of promises: wait until none is in flight for a while.
    for (let idle = 0; idle < 10;) {
      await new Promise((r) => setTimeout(r, 5));
      idle = pending === 0 ? idle + 1 : 0;
    }
  };
  return { registrations, componentOutputs, settle };
}

/** Loads and runs the program for `stack` with `config` (keys without the namespace). */
async function runStack(stack: string, config: Record<string, string>, extraConfig: Record<string, string> = {}): Promise<StackRun> {
  let exports: Record<string, unknown> = {};
  let error: Error | undefined;
  let pulumi!: typeof pulumiTypes;
  let recorder!: Recorder;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pulumi = require('@pulumi/pulumi');
    recorder = installMocks(pulumi, stack);
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) all[fullKey(k)] = v;
    Object.assign(all, extraConfig);
    pulumi.runtime.setAllConfig(all, Object.keys(SECRETS).filter((k) => k in config).map(fullKey));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exports = require('../stacks/pulumi');
    } catch (err) {
      error = err as Error;
    }
  });
  const outputs: Record<string, unknown> = {};
  const outputSecrecy: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (!pulumi.Output.isInstance(value)) continue;
    outputs[name] = await new Promise((resolve) => value.apply(resolve));
    outputSecrecy[name] = await pulumi.isSecret(value);
  }
  await recorder.settle();
  return { error, registrations: recorder.registrations, componentOutputs: recorder.componentOutputs, outputs, outputSecrecy, exportNames: Object.keys(exports) };
}

/** Kubernetes objects registered (no providers, no components). */
function kubernetesObjects(run: StackRun): Registration[] {
  return run.registrations.filter((r) => r.custom && r.type.startsWith('kubernetes:') && !r.type.startsWith('pulumi:providers:'));
}

function identity(o: { apiVersion?: unknown; kind?: unknown; metadata?: unknown }): string {
  const m = (o.metadata ?? {}) as { namespace?: string; name?: string };
  return `${o.apiVersion}|${o.kind}|${m.namespace ?? ''}|${m.name}`;
}

/** The chart the program must deploy for a stack with these overrides. */
function expectedChart(stack: string, overrides: StackOverrides = {}): K8sObject[] {
  const config = applyOverrides(ENVIRONMENTS[stack], overrides);
  return buildApp(config, `/nonexistent/${stack}`).chart.toJson() as K8sObject[];
}

/** The Secrets Pulumi adds, as (apiVersion, kind, namespace, name). */
function pulumiSecretIdentities(config: PlatformConfig): string[] {
  const ns = config.namespace?.name ?? 'spark-clu';
  const names = ['airflow-secrets', 'spark-auth'];
  if (config.airflow?.database instanceof ExternalDatabase) names.push(config.airflow.database.options.secretName);
  const jobs = config.jobsNamespace?.name ?? 'spark-clu-jobs';
  // the standalone task pods of the jobs namespace mount their own copy of the Spark secret; the
  // event logs' object store credentials are read there too
  const store = config.history?.eventLog?.objectStore;
  return [...names.map((n) => `v1|Secret|${ns}|${n}`), `v1|Secret|${jobs}|spark-auth`, ...(store ? [`v1|Secret|${jobs}|${store.credentialsSecretName}`] : [])];
}

/** Every (Secret, key) the objects reference: env secretKeyRef and secret volumes' items. */
function secretReferences(objects: K8sObject[]): { name: string; key: string }[] {
  const refs: { name: string; key: string }[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(visit); return; }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (o.secretKeyRef) refs.push({ name: o.secretKeyRef.name, key: o.secretKeyRef.key });
    if (o.secret?.secretName) for (const item of o.secret.items ?? []) refs.push({ name: o.secret.secretName, key: item.key });
    Object.values(o).forEach(visit);
  };
  visit(objects);
  return refs;
}

const runs = new Map<string, StackRun>();
async function stackRun(stack: string): Promise<StackRun> {
  let run = runs.get(stack);
  if (!run) {
    run = await runStack(stack, secretConfig(stack));
    runs.set(stack, run);
  }
  return run;
}

describe.each(['dev', 'staging', 'prod'])('stack %s', (stack) => {
  test('deploys exactly the chart\'s objects plus the Secrets Pulumi supplies', async () => {
    const run = await stackRun(stack);
    expect(run.error).toBeUndefined();
    const chart = expectedChart(stack);
    const registered = kubernetesObjects(run).map((r) => identity(r.inputs)).sort();
    const expected = [...chart.map(identity), ...pulumiSecretIdentities(ENVIRONMENTS[stack])].sort();
    expect(registered).toEqual(expected);
    expect(new Set(registered).size).toBe(registered.length);
  });

  test('hands Pulumi the objects of chart.toJson() unchanged', async () => {
    const run = await stackRun(stack);
    const chart = expectedChart(stack);
    const handed = new Map(kubernetesObjects(run).map((r) => [identity(r.inputs), r.inputs]));
    for (const obj of chart) expect(handed.get(identity(obj))).toEqual(obj);
  });

  test('deploys no secrets bootstrap Job: Pulumi supplies the Secrets', async () => {
    const run = await stackRun(stack);
    const names = kubernetesObjects(run).map((r) => `${(r.inputs as K8sObject).kind}/${(r.inputs as K8sObject).metadata.name}`);
    expect(names.filter((n) => n.includes('bootstrap'))).toEqual([]);
  });

  test('creates the Namespaces first; every other object depends on them, and the chart\'s objects on the Secrets', async () => {
    const run = await stackRun(stack);
    const objects = kubernetesObjects(run);
    const namespaces = objects.filter((r) => (r.inputs as K8sObject).kind === 'Namespace');
    expect(namespaces.map((r) => (r.inputs as K8sObject).metadata.name)).toEqual(['spark-clu', 'spark-clu-jobs']);
    expect(namespaces.map((r) => objects.indexOf(r))).toEqual([0, 1]);
    const secrets = objects.filter((r) => (r.inputs as K8sObject).kind === 'Secret');
    expect(secrets).toHaveLength(pulumiSecretIdentities(ENVIRONMENTS[stack]).length);
    for (const r of objects) {
      if (namespaces.includes(r)) continue;
      for (const n of namespaces) expect(r.dependencies).toContain(n.urn);
      if (secrets.includes(r)) continue;
      for (const s of secrets) expect(r.dependencies).toContain(s.urn);
    }
    // Registration order follows: the Secrets only register once the Namespaces have.
    const firstOther = objects.findIndex((r) => !namespaces.includes(r) && !secrets.includes(r));
    for (const s of secrets) expect(objects.indexOf(s)).toBeLessThan(firstOther);
  });

  test('every object is a child of the spark-airflow:index:Platform component', async () => {
    const run = await stackRun(stack);
    const byUrn = new Map(run.registrations.map((r) => [r.urn, r]));
    const platforms = run.registrations.filter((r) => r.type === 'spark-airflow:index:Platform');
    expect(platforms).toHaveLength(1);
    for (const r of kubernetesObjects(run)) {
      let parent = byUrn.get(r.parent);
      while (parent && parent.type !== 'spark-airflow:index:Platform') parent = byUrn.get(parent.parent);
      expect(parent).toBe(platforms[0]);
    }
    // The chart's objects come from v1 ConfigGroups (client-side children), not a provider-side v2 group.
    expect(run.registrations.filter((r) => r.type === 'kubernetes:yaml:ConfigGroup')).toHaveLength(2);
    expect(run.registrations.filter((r) => r.type.startsWith('kubernetes:yaml/v2'))).toHaveLength(0);
    // Without spark-airflow:kubeContext the ambient default provider (current kubeconfig context) is used.
    expect(run.registrations.filter((r) => r.type === 'pulumi:providers:kubernetes')).toEqual([]);
  });

  test('Secret data is secret in the state and no secret value appears in plain text', async () => {
    const run = await stackRun(stack);
    const secrets = kubernetesObjects(run).filter((r) => (r.inputs as K8sObject).kind === 'Secret');
    for (const s of secrets) {
      expect(isSecretValue(s.raw.stringData)).toBe(true);
      expect(s.raw.data).toBeUndefined();
    }
    const plain = JSON.stringify([
      run.registrations.map((r) => withoutSecrets(r.raw)),
      [...run.componentOutputs.values()].map(withoutSecrets),
      run.outputs,
    ]);
    for (const value of Object.values(SECRETS)) expect(plain).not.toContain(value);
  });

  test('the Secrets carry the keys the chart\'s workloads reference', async () => {
    const run = await stackRun(stack);
    const data = new Map(kubernetesObjects(run)
      .filter((r) => (r.inputs as K8sObject).kind === 'Secret')
      .map((r) => [(r.inputs as K8sObject).metadata.name, revealed((r.inputs as K8sObject).stringData) as Record<string, string>]));
    // Every Secret key the chart's pods reference (env secretKeyRef, secret volume items) is one Pulumi creates.
    const refs = secretReferences(expectedChart(stack));
    expect(refs.length).toBeGreaterThan(0);
    for (const { name, key } of refs) expect(Object.keys(data.get(name) ?? {})).toContain(key);
    expect([...data.keys()].sort()).toEqual([...new Set(refs.map((r) => r.name))].sort());
    const airflow = data.get('airflow-secrets') as Record<string, string>;
    expect(airflow['fernet-key']).toBe(SECRETS.airflowFernetKey);
    expect(airflow['api-secret-key']).toBe(SECRETS.airflowApiSecretKey);
    expect(airflow['jwt-secret']).toBe(SECRETS.airflowJwtSecret);
    expect(data.get('spark-auth')).toEqual({ secret: SECRETS.sparkAuthSecret });
    if (ENVIRONMENTS[stack].history?.eventLog?.objectStore) {
      expect(data.get('spark-event-log-s3')).toEqual({ AWS_ACCESS_KEY_ID: SECRETS.eventLogAccessKeyId, AWS_SECRET_ACCESS_KEY: SECRETS.eventLogSecretAccessKey });
    } else {
      expect(data.has('spark-event-log-s3')).toBe(false);
    }
    if (ENVIRONMENTS[stack].airflow?.database instanceof ExternalDatabase) {
      expect(data.get('airflow-database')).toEqual({ connection: SECRETS.airflowDatabaseUrl });
      expect(Object.keys(airflow).sort()).toEqual(['admin-password', 'api-secret-key', 'fernet-key', 'jwt-secret']);
    } else {
      expect(airflow['postgres-password']).toBe(SECRETS.airflowPostgresPassword);
      expect(airflow['sql-alchemy-conn']).toBe(
        `postgresql+psycopg2://airflow:${encodeURIComponent(SECRETS.airflowPostgresPassword)}@airflow-postgresql.spark-clu.svc:5432/airflow`);
    }
  });

  test('outputs: namespaces, UI endpoints and job image, none of them secret', async () => {
    const run = await stackRun(stack);
    const { chart } = buildApp(applyOverrides(ENVIRONMENTS[stack], {}), '/nonexistent');
    // Every export of the program is a stack output: nothing but these five.
    expect(run.exportNames.sort()).toEqual(['airflowUi', 'jobImage', 'jobsNamespace', 'namespace', 'sparkUi']);
    expect(Object.keys(run.outputs).sort()).toEqual(['airflowUi', 'jobImage', 'jobsNamespace', 'namespace', 'sparkUi']);
    expect(run.outputs.namespace).toBe('spark-clu');
    expect(run.outputs.jobsNamespace).toBe('spark-clu-jobs');
    expect(run.outputs.jobImage).toBe(chart.dagEnvironment.SPARK_JOB_IMAGE);
    if (stack === 'dev') {
      expect(run.outputs.sparkUi).toBe('http://<node>:30000');
      expect(run.outputs.airflowUi).toBe('http://<node>:30001');
    } else {
      expect(run.outputs.sparkUi).toBe('kubectl -n spark-clu port-forward svc/spark-master-ui 8080:8080 (then http://localhost:8080)');
      expect(run.outputs.airflowUi).toBe('kubectl -n spark-clu port-forward svc/airflow-ui 8080:8080 (then http://localhost:8080)');
    }
    expect(Object.values(run.outputSecrecy)).toEqual([false, false, false, false, false]);
    const [platformOutputs] = [...run.componentOutputs.entries()].filter(([urn]) => urn.includes('spark-airflow:index:Platform')).map(([, o]) => o);
    expect(platformOutputs).toEqual(run.outputs);
  });
});

describe('Platform component', () => {
  test('Secret outputs are secret (pulumi.isSecret) and every chart object becomes a resource', async () => {
    let pulumi!: typeof pulumiTypes;
    let platform!: import('../stacks/pulumi/platform').Platform;
    let recorder!: Recorder;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      pulumi = require('@pulumi/pulumi');
      recorder = installMocks(pulumi, 'dev');
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { Platform } = require('../stacks/pulumi/platform') as typeof import('../stacks/pulumi/platform');
      const { applyOverrides: apply } = require('../stacks/pulumi/config') as typeof import('../stacks/pulumi/config');
      const { ENVIRONMENTS: envs } = require('../stacks/environments') as typeof import('../stacks/environments');
      /* eslint-enable @typescript-eslint/no-require-imports */
      platform = new Platform('test', {
        config: apply(envs.dev, {}),
        secrets: { ...SECRETS, airflowDatabaseUrl: undefined },
      });
    });
    try {
      expect(platform.secrets).toHaveLength(3); // airflow-secrets, spark-auth and its copy in the jobs namespace
      for (const secret of platform.secrets) expect(await pulumi.isSecret(secret.stringData)).toBe(true);
      expect(await pulumi.isSecret(platform.namespace)).toBe(false);
      const resources = await new Promise<unknown[]>((resolve) => platform.allResources().apply(resolve));
      expect(resources).toHaveLength(platform.manifests.length + platform.secrets.length);
    } finally {
      await recorder.settle();
    }
  });

  test('refuses a config whose chart still bootstraps Secrets in-cluster', async () => {
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      installMocks(require('@pulumi/pulumi') as typeof pulumiTypes, 'dev');
      const { Platform } = require('../stacks/pulumi/platform') as typeof import('../stacks/pulumi/platform');
      const { ENVIRONMENTS: envs } = require('../stacks/environments') as typeof import('../stacks/environments');
      /* eslint-enable @typescript-eslint/no-require-imports */
      expect(() => new Platform('refused', { config: envs.dev, secrets: SECRETS }))
        .toThrow('still contains the in-cluster secrets bootstrap Job "secrets-bootstrap"');
    });
    // The component itself registered before the check threw: let that RPC finish here.
    await new Promise((r) => setTimeout(r, 100));
  });
});

describe('stack config overrides', () => {
  test('jobImage reaches SPARK_JOB_IMAGE of the scheduler; nodePort and executor overrides take effect', async () => {
    const config = {
      ...secretConfig('staging'),
      jobImage: 'registry.example.com/spark-job:9.9.9',
      sparkUiExpose: 'true',
      sparkUiNodePort: '30123',
      airflowExecutor: 'KubernetesExecutor',
      sparkWorkerResources: JSON.stringify({ memory: { request: '6Gi', limit: '6Gi' } }),
    };
    const run = await runStack('staging', config);
    expect(run.error).toBeUndefined();
    const objects = kubernetesObjects(run).map((r) => r.inputs as K8sObject);
    const scheduler = find(objects, 'StatefulSet', 'airflow-scheduler');
    const env = scheduler.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'SPARK_JOB_IMAGE')?.value).toBe('registry.example.com/spark-job:9.9.9');
    const ui = find(objects, 'Service', 'spark-master-ui');
    expect(ui.spec.type).toBe('NodePort');
    expect(ui.spec.ports[0].nodePort).toBe(30123);
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('executor = KubernetesExecutor');
    expect(find(objects, 'DaemonSet', 'spark-worker').spec.template.spec.containers[0].resources.limits.memory).toBe('6144Mi');
    expect(run.outputs.sparkUi).toBe('http://<node>:30123');
    expect(run.outputs.jobImage).toBe('registry.example.com/spark-job:9.9.9');
    // Still exactly the chart of the overridden config.
    const overrides = readOverrides('staging', { get: (k) => (config as Record<string, string>)[k], keys: () => Object.keys(config) });
    expect(kubernetesObjects(run).map((r) => identity(r.inputs)).sort())
      .toEqual([...expectedChart('staging', overrides).map(identity), ...pulumiSecretIdentities(ENVIRONMENTS.staging)].sort());
  });

  test('kubeContext creates a Kubernetes provider with that context for every object', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), kubeContext: 'kind-spark' });
    expect(run.error).toBeUndefined();
    const providers = run.registrations.filter((r) => r.type === 'pulumi:providers:kubernetes');
    expect(providers).toHaveLength(1);
    expect(providers[0].inputs.context).toBe('kind-spark');
    const objects = kubernetesObjects(run);
    expect(objects.length).toBeGreaterThan(30);
    for (const r of objects) expect(r.provider).toBe(`${providers[0].urn}::${providers[0].name}-id`);
  });

  test('fails when sparkUiNodePort is outside 30000-32767, naming the config key', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), sparkUiNodePort: '80' });
    expect(run.error?.message).toContain('Invalid Pulumi config for stack "dev"');
    expect(run.error?.message).toContain('spark-airflow:sparkUiNodePort = 80');
    expect(run.error?.message).toContain('spark.ui.nodePort');
    expect(run.error?.message).toContain('30000-32767');
    expect(kubernetesObjects(run)).toEqual([]);
  });

  test('fails when a nodePort is not a number, naming the config key', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), airflowUiNodePort: 'thirty' });
    expect(run.error?.message).toContain('spark-airflow:airflowUiNodePort = "thirty": must be an integer');
  });

  test('fails when two UIs ask for the same nodePort', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), airflowUiNodePort: '30000' });
    expect(run.error?.message).toContain('spark-airflow:airflowUiNodePort = 30000');
    expect(run.error?.message).toContain('must be unique within the environment');
  });

  test('fails on an unpinned image and an unknown executor, listing both', async () => {
    const run = await runStack('prod', { ...secretConfig('prod'), jobImage: 'spark-job:latest', airflowExecutor: 'CeleryExecutor' });
    expect(run.error?.message).toContain('spark-airflow:airflowExecutor = "CeleryExecutor"');
    const run2 = await runStack('prod', { ...secretConfig('prod'), jobImage: 'spark-job:latest' });
    expect(run2.error?.message).toContain('spark-airflow:jobImage = "spark-job:latest"');
    expect(run2.error?.message).toContain('must be pinned');
  });

  test('fails on an unknown spark-airflow: key (a typo is not ignored)', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), sparkUiNodeport: '30005' });
    expect(run.error?.message).toContain('spark-airflow:sparkUiNodeport is not a known key');
  });

  test('fails on a malformed resources override, naming the key and field', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), airflowResources: JSON.stringify({ schedular: { cpu: { limit: '2' } } }) });
    expect(run.error?.message).toContain('spark-airflow:airflowResources.schedular: unknown component');
    const run2 = await runStack('dev', { ...secretConfig('dev'), sparkMasterResources: JSON.stringify({ memory: { limit: '100Mi' } }) });
    expect(run2.error?.message).toContain('spark-airflow:sparkMasterResources');
  });
});

describe('secrets', () => {
  test.each([
    ['dev', 'airflowPostgresPassword'],
    ['staging', 'airflowDatabaseUrl'],
    ['prod', 'airflowFernetKey'],
    ['prod', 'sparkAuthSecret'],
    ['staging', 'eventLogSecretAccessKey'],
  ])('stack %s fails without %s, naming the key and the command that sets it', async (stack, key) => {
    const config = secretConfig(stack);
    delete config[key];
    const run = await runStack(stack, config);
    expect(run.error?.message).toContain(`spark-airflow:${key} is required and not set`);
    expect(run.error?.message).toContain(`pulumi config set --secret spark-airflow:${key} <value> -s ${stack}`);
    expect(kubernetesObjects(run)).toEqual([]);
  });

  test('reports every missing secret at once', async () => {
    const run = await runStack('staging', {});
    for (const key of ['airflowFernetKey', 'airflowApiSecretKey', 'airflowJwtSecret', 'airflowAdminPassword', 'sparkAuthSecret', 'airflowDatabaseUrl', 'eventLogAccessKeyId', 'eventLogSecretAccessKey']) {
      expect(run.error?.message).toContain(`spark-airflow:${key} is required`);
    }
  });

  test('a malformed Fernet key is rejected without printing it', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), airflowFernetKey: 'not-a-fernet-key' });
    expect(run.error?.message).toContain('spark-airflow:airflowFernetKey (value not shown) must be a Fernet key');
    expect(run.error?.message).not.toContain('not-a-fernet-key');
  });

  test('a database secret of the other kind is reported as unused', async () => {
    const run = await runStack('prod', { ...secretConfig('prod'), airflowPostgresPassword: 'x' });
    expect(run.error?.message).toContain('spark-airflow:airflowPostgresPassword is set but unused');
  });

  test('object-store keys where the event logs are on a claim (dev) are reported as unused', async () => {
    const run = await runStack('dev', { ...secretConfig('dev'), eventLogAccessKeyId: 'x', eventLogSecretAccessKey: 'y' });
    expect(run.error?.message).toContain('spark-airflow:eventLogAccessKeyId is set but unused: environment "dev" writes no event logs to an object store');
    expect(run.error?.message).toContain('spark-airflow:eventLogSecretAccessKey is set but unused');
  });
});

test('an unknown stack fails, listing dev, staging and prod', async () => {
  const run = await runStack('qa', secretConfig('dev'));
  expect(run.error?.message).toBe('Unknown Pulumi stack "qa": the stack name selects the environment, one of dev, staging, prod (e.g. `pulumi stack init dev`)');
});

test('the config keys are a contract: their names never change silently', () => {
  expect(CONFIG_KEYS.map((k) => k.key)).toEqual([
    'kubeContext', 'sparkImage', 'airflowImage', 'jobImage', 'sparkMasterResources', 'sparkWorkerResources', 'airflowResources',
    'sparkUiExpose', 'sparkUiNodePort', 'airflowUiExpose', 'airflowUiNodePort', 'airflowExecutor', 'apiServerCidr',
    'airflowFernetKey', 'airflowApiSecretKey', 'airflowJwtSecret', 'airflowAdminPassword', 'sparkAuthSecret', 'airflowPostgresPassword', 'airflowDatabaseUrl',
    'eventLogAccessKeyId', 'eventLogSecretAccessKey',
  ]);
});

test('the README\'s table of stack config keys names every key', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Stack config keys'));
  for (const { key } of CONFIG_KEYS) expect([key, table.includes(`\`${key}\``)]).toEqual([key, true]);
});

describe('Pulumi project and stack files', () => {
  const root = path.join(__dirname, '..');
  test('Pulumi.yaml runs the compiled program without ts-node', () => {
    const project = YAML.parse(fs.readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8'));
    expect(project.name).toBe('spark-airflow-k8s');
    expect(project.runtime).toEqual({ name: 'nodejs', options: { typescript: false, packagemanager: 'npm' } });
    expect(project.main).toBe('build/stacks/pulumi/index.js');
    // tsc -b compiles stacks/pulumi/index.ts to exactly that file.
    expect(fs.existsSync(path.join(root, 'stacks', 'pulumi', 'index.ts'))).toBe(true);
  });

  test.each(['dev', 'staging', 'prod'])('Pulumi.%s.yaml sets only known keys and no plain-text secret', (stack) => {
    const file = YAML.parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), 'utf8'));
    const config: Record<string, unknown> = file.config ?? {};
    for (const [key, value] of Object.entries(config)) {
      if (!key.startsWith('spark-airflow:')) continue;
      const spec = CONFIG_KEYS.find((k) => fullKey(k.key) === key);
      expect(spec).toBeDefined();
      if (spec?.type === 'secret') expect(value).toEqual({ secure: expect.any(String) });
    }
  });
});

test('sparkAuthSecret is required only while Spark authenticates', () => {
  expect(requiredSecretKeys(ENVIRONMENTS.prod)).toContain('sparkAuthSecret');
  const noAuth: PlatformConfig = { ...ENVIRONMENTS.prod, spark: { ...ENVIRONMENTS.prod.spark, authentication: { enabled: false } } };
  expect(requiredSecretKeys(noAuth)).toEqual(['airflowFernetKey', 'airflowApiSecretKey', 'airflowJwtSecret', 'airflowAdminPassword', 'airflowDatabaseUrl', 'eventLogAccessKeyId', 'eventLogSecretAccessKey']);
});

test('applyOverrides switches the secrets bootstrap off and leaves the typed config untouched', () => {
  const before = JSON.stringify(ENVIRONMENTS.dev);
  const config = applyOverrides(ENVIRONMENTS.dev, { sparkUiNodePort: 30100 });
  expect(config.airflow?.secrets?.bootstrap).toBe(false);
  expect(config.spark?.authentication?.bootstrap).toBe(false);
  expect(config.spark?.ui).toEqual({ expose: true, nodePort: 30100 });
  expect(config.airflow?.database).toBe(ENVIRONMENTS.dev.airflow?.database);
  expect(JSON.stringify(ENVIRONMENTS.dev)).toBe(before);
});
