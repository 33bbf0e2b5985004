/**
 * `npm run test:pulumi`'s checks (run.sh runs them on the real node of test/cluster): the real
 * Pulumi CLI and Kubernetes provider (test/pulumi-cli/build.sh) driving the project's own program
 * through the entry point users run (stacks/pulumi/deploy.ts, Automation API, inline program).
 *
 * preview of every stack equals dist/<env> plus Pulumi's Secrets; up of dev deploys what
 * dist/dev describes, Ready; a second up changes nothing; refresh sees drift and up repairs it;
 * a config change previews as updates of exactly the objects it changes; the state holds no
 * plaintext secret; destroy leaves nothing, PVC and Namespace included.
 *
 * Environment: KUBECONFIG (the node), PATH with pulumi and pulumi-resource-kubernetes.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineEvent, OpType, Stack } from '@pulumi/pulumi/automation';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENTS } from '../../stacks/environments';
import { REPO_ROOT } from '../../stacks/paths';
import { buildApp } from '../../stacks/synth';
import { parseQuantity } from '../../lib';
import { applyOverrides, readOverrides, requiredSecretKeys } from '../../stacks/pulumi/config';
import { environmentForStack } from '../../stacks/pulumi/program';
import { runAction, selectStack } from '../../stacks/pulumi/deploy';
import { CheckFailure, Checks, expect, waitFor } from '../cluster/src/checks';

const MINUTE = 60_000;

/** A Kubernetes object, loosely typed for comparisons. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: any }; [key: string]: any };

const id = (o: { kind: string; metadata: { name: string; namespace?: string } }) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function loadDist(env: string): K8sObject[] {
  const dir = path.join(REPO_ROOT, 'dist', env);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
}

/** The in-cluster secrets bootstrap of cdk8s deploys: Pulumi supplies the Secrets instead. */
const isBootstrap = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/name'] === 'secrets-bootstrap' || o.metadata.name.startsWith('secrets-bootstrap');

function kubectl(args: readonly string[], timeoutMs = MINUTE): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new CheckFailure(`kubectl ${args.join(' ')} did not finish in ${timeoutMs / 1000}s`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** A resource quantity as a number ("1Gi" and "1024Mi" alike; the API server canonicalizes them). */
function quantities(r: Record<string, Record<string, string>> | undefined): unknown {
  return r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Object.fromEntries(Object.entries(v ?? {}).map(([n, q]) => [n, parseQuantity(String(q))]))]));
}

/** What must be equal between dist/<env> and what is live: the spec a user wrote, not server defaults. */
function essence(o: K8sObject): unknown {
  // labels the Job controller adds to its pods
  const added = ['batch.kubernetes.io/controller-uid', 'batch.kubernetes.io/job-name', 'controller-uid', 'job-name'];
  const pod = (t: K8sObject | undefined) => t && {
    labels: Object.fromEntries(Object.entries(t.metadata?.labels ?? {}).filter(([k]) => !added.includes(k))),
    serviceAccountName: t.spec?.serviceAccountName ?? 'default',
    containers: (t.spec?.containers ?? []).map((c: K8sObject) => ({ name: c.name, image: c.image, command: c.command, args: c.args, env: (c.env ?? []).map((e: K8sObject) => e.name), ports: (c.ports ?? []).map((p: K8sObject) => p.containerPort), resources: quantities(c.resources) })),
    initContainers: (t.spec?.initContainers ?? []).map((c: K8sObject) => ({ name: c.name, image: c.image, args: c.args })),
    volumes: (t.spec?.volumes ?? []).map((v: K8sObject) => v.name),
  };
  switch (o.kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet':
      return { replicas: o.spec?.replicas, selector: o.spec?.selector, pod: pod(o.spec?.template) };
    case 'Job': return { pod: pod(o.spec?.template) };
    case 'Service': return { type: o.spec?.type, selector: o.spec?.selector, ports: (o.spec?.ports ?? []).map((p: K8sObject) => ({ port: p.port, targetPort: p.targetPort, nodePort: o.spec?.type === 'NodePort' ? p.nodePort : undefined })) };
    case 'ConfigMap': return { data: o.data, binaryData: o.binaryData };
    case 'NetworkPolicy': return o.spec;
    case 'Role': case 'ClusterRole': return o.rules;
    // the API server drops an empty apiGroup of a ServiceAccount subject
    case 'RoleBinding': return { roleRef: o.roleRef, subjects: (o.subjects ?? []).map((x: K8sObject) => ({ kind: x.kind, name: x.name, namespace: x.namespace })) };
    case 'PersistentVolumeClaim': return { accessModes: o.spec?.accessModes, storage: o.spec?.resources?.requests?.storage };
    // the API server adds kubernetes.io/metadata.name
    case 'Namespace': return Object.fromEntries(Object.entries(o.metadata.labels ?? {}).filter(([k]) => k !== 'kubernetes.io/metadata.name'));
    default: return null;
  }
}

/** Kind, namespace and name of the Kubernetes resources an operation's steps touch, by op. */
function collector(): { onEvent: (e: EngineEvent) => void; steps: { op: OpType; id: string; kind: string }[] } {
  const steps: { op: OpType; id: string; kind: string }[] = [];
  return {
    steps,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      // Kubernetes objects only: not the ConfigGroup components that hold them
      if (!m || !m.type.startsWith('kubernetes:') || m.type.startsWith('kubernetes:yaml:')) return;
      const inputs = (m.new?.inputs ?? m.old?.inputs ?? {}) as K8sObject;
      const kind = inputs.kind ?? m.type.split(':').pop() ?? '?';
      const name = inputs.metadata?.name ?? m.urn.split('::').pop() ?? '?';
      steps.push({ op: m.op, kind, id: id({ kind, metadata: { name, namespace: inputs.metadata?.namespace } }) });
    },
  };
}

/** The first place two JSON values differ, as `path: a != b`. */
function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a as object), ...Object.keys(b as object)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
  }
  return `${at || '.'}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
}

function setDiff(a: Iterable<string>, b: Iterable<string>): string[] {
  const bs = new Set(b);
  return [...new Set(a)].filter((x) => !bs.has(x)).sort();
}

async function main(): Promise<number> {
  const checks = new Checks();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sak-pulumi-'));
  const secrets: Record<string, string> = {
    airflowFernetKey: randomBytes(32).toString('base64url') + '=',
    airflowApiSecretKey: randomBytes(32).toString('hex'),
    airflowJwtSecret: randomBytes(32).toString('hex'),
    airflowAdminPassword: randomBytes(18).toString('base64url'),
    sparkAuthSecret: randomBytes(32).toString('hex'),
    airflowPostgresPassword: randomBytes(24).toString('hex'),
    airflowDatabaseUrl: `postgresql+psycopg2://airflow:${randomBytes(16).toString('hex')}@db.example.com:5432/airflow`,
    eventLogAccessKeyId: randomBytes(10).toString('hex').toUpperCase(),
    eventLogSecretAccessKey: randomBytes(30).toString('base64url'),
  };
  // The project as a user has it (Pulumi.yaml and the committed stack files), in a copy: stack
  // init writes an encryption salt into Pulumi.<stack>.yaml, and the work tree stays untouched.
  for (const f of ['Pulumi.yaml', ...Object.keys(ENVIRONMENTS).map((s) => `Pulumi.${s}.yaml`)]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(work, f));
  // Pulumi.yaml's `main` must exist (the CLI checks it, even for an inline program): the build.
  fs.symlinkSync(path.join(REPO_ROOT, 'build'), path.join(work, 'build'));
  fs.mkdirSync(path.join(work, 'state'));
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${path.join(work, 'state')}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString('hex'),
    PULUMI_HOME: path.join(work, 'home'),
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: 'true',
  };
  const stacks: Record<string, Stack> = {};
  const open = async (name: string): Promise<Stack> => {
    if (!stacks[name]) {
      const stack = await selectStack(name, { workDir: work, envVars });
      // what the environment needs, as `pulumi up` asks for it (staging and prod: the object store's keys too)
      const needed = requiredSecretKeys(ENVIRONMENTS[name]);
      const unknown = needed.filter((k) => secrets[k] === undefined);
      if (unknown.length > 0) throw new Error(`the scenario has no value for the secret config ${unknown.join(', ')}`);
      await stack.setAllConfig(Object.fromEntries(needed.map((k) => [`spark-airflow:${k}`, { value: secrets[k], secret: true }])));
      stacks[name] = stack;
    }
    return stacks[name];
  };
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try { return await fn(); } finally { checks.time(what, (Date.now() - t) / 1000); }
  };

  // staging and prod have ServiceMonitors and PodMonitors: their clusters run the Prometheus
  // operator, so its CRDs are there before a preview (the README's order); here, from lib/imports/crds.
  const crdDir = path.join(REPO_ROOT, 'lib', 'imports', 'crds');
  await checks.run('the Prometheus operator\'s CRDs are installed (staging and prod have monitors)', async () => {
    const apply = await kubectl(['apply', '--server-side', '-f', crdDir]);
    expect(apply.code === 0, `kubectl apply -f ${crdDir}: ${apply.stderr}`);
    const wait = await kubectl(['wait', '--for=condition=Established', 'crd/podmonitors.monitoring.coreos.com', 'crd/servicemonitors.monitoring.coreos.com', '--timeout=60s']);
    expect(wait.code === 0, `the CRDs are not established: ${wait.stderr || wait.stdout}`);
  });

  // ---- preview of every stack -------------------------------------------------------------------
  for (const env of Object.keys(ENVIRONMENTS)) {
    await checks.run(`preview ${env}: the planned objects are dist/${env}'s, with Pulumi's Secrets instead of the in-cluster bootstrap`, async () => {
      const c = collector();
      await timed(`preview ${env}`, async () => runAction(await open(env), 'preview', { onEvent: c.onEvent }));
      const planned = c.steps.filter((s) => s.op === 'create').map((s) => s.id);
      const dist = loadDist(env);
      const expected = dist.filter((o) => !isBootstrap(o)).map(id);
      const extra = setDiff(planned, expected);
      const missing = setDiff(expected, planned);
      expect(missing.length === 0, `dist/${env} objects Pulumi would not create: ${missing.join(', ')}`);
      expect(extra.every((x) => x.startsWith('Secret/')), `objects Pulumi would create beyond dist/${env}: ${extra.join(', ')}`);
      const bootstrap = dist.filter(isBootstrap).map(id);
      process.stdout.write(`INFO ${env}: Pulumi adds ${extra.join(', ')}; leaves out the bootstrap ${bootstrap.join(', ') || '(none in this environment)'}\n`);
    });
  }

  // ---- up of dev ----------------------------------------------------------------------------------------
  const dist = loadDist('dev');
  const ns = dist.find((o) => o.kind === 'Namespace')?.metadata.name ?? 'spark-clu';
  await checks.run('up dev: every object is created and Pulumi waits until the workloads are Ready', async () => {
    const changes = await timed('up dev', async () => runAction(await open('dev'), 'up'));
    expect((changes.create ?? 0) > 0 && !changes.delete && !changes.update, `up: ${JSON.stringify(changes)}`);
    for (const w of dist.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))) {
      const r = await kubectl(['-n', w.metadata.namespace ?? ns, 'rollout', 'status', `${w.kind.toLowerCase()}/${w.metadata.name}`, '--timeout=10s']);
      expect(r.code === 0, `${w.kind} ${w.metadata.name} is not rolled out: ${r.stderr || r.stdout}`);
    }
  });
  const upOk = 'up dev: every object is created and Pulumi waits until the workloads are Ready';

  await checks.run('up dev: the live objects are dist/dev\'s (kinds, names and specs), apart from the Secrets', async () => {
    const problems: string[] = [];
    for (const o of dist.filter((x) => !isBootstrap(x))) {
      const r = await kubectl(['get', ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), `${o.kind}/${o.metadata.name}`, '-o', 'json']);
      if (r.code !== 0) { problems.push(`${id(o)}: not found (${r.stderr.trim()})`); continue; }
      const live = JSON.parse(r.stdout) as K8sObject;
      const d = firstDifference(essence(live), essence(o));
      if (d) problems.push(`${id(o)}: live != dist at ${d.slice(0, 400)}`);
    }
    const secretsLive = await kubectl(['-n', ns, 'get', 'secrets', '-l', 'app.kubernetes.io/managed-by=pulumi', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(problems.length === 0, problems.join('\n'));
    process.stdout.write(`INFO dev: Secrets from Pulumi: ${secretsLive.stdout}\n`);
  }, [upOk]);

  await checks.run('a second up of dev changes nothing', async () => {
    const changes = await timed('second up dev', async () => runAction(await open('dev'), 'up'));
    const changed = Object.entries(changes).filter(([op, n]) => op !== 'same' && n > 0);
    expect(changed.length === 0 && (changes.same ?? 0) > 0, `second up: ${JSON.stringify(changes)}`);
  }, [upOk]);

  await checks.run('drift: a ConfigMap changed with kubectl is reported by refresh and put back by up', async () => {
    const name = 'spark-master-conf';
    const original = JSON.parse((await kubectl(['-n', ns, 'get', 'configmap', name, '-o', 'json'])).stdout) as K8sObject;
    const r = await kubectl(['-n', ns, 'patch', 'configmap', name, '--type=merge', '-p', JSON.stringify({ data: { 'spark-defaults.conf': 'spark.drifted true\n' } })]);
    expect(r.code === 0, `kubectl patch failed: ${r.stderr}`);
    const refreshed = await timed('refresh dev (drift)', async () => runAction(await open('dev'), 'refresh'));
    expect((refreshed.update ?? 0) >= 1, `refresh did not report the drift: ${JSON.stringify(refreshed)}`);
    const repaired = await timed('up dev (repair)', async () => runAction(await open('dev'), 'up'));
    // the provider replaces a ConfigMap whose data changed (so that pods using it roll)
    expect((repaired.update ?? 0) + (repaired.replace ?? 0) === 1, `up did not repair exactly the drifted object: ${JSON.stringify(repaired)}`);
    const now = JSON.parse((await kubectl(['-n', ns, 'get', 'configmap', name, '-o', 'json'])).stdout) as K8sObject;
    expect(now.data?.['spark-defaults.conf'] === original.data?.['spark-defaults.conf'], `after up the ConfigMap holds ${JSON.stringify(now.data)}`);
  }, [upOk]);

  await checks.run('a config change (the worker memory) previews as updates of exactly the objects it changes, no stateful replacement', async () => {
    const key = 'spark-airflow:sparkWorkerResources';
    const value = JSON.stringify({ memory: { request: '2560Mi', limit: '2560Mi' } });
    // What changes, from the chart itself: the objects whose synthesized form differs.
    const base = environmentForStack('dev');
    const changed = applyOverrides(base, readOverrides('dev', { get: (k) => (k === 'sparkWorkerResources' ? value : undefined), keys: () => ['sparkWorkerResources'] }));
    const before = new Map(buildApp(base, path.join(work, 'synth-a')).chart.toJson().map((o: K8sObject) => [id(o), JSON.stringify(o)]));
    const after = new Map(buildApp(changed, path.join(work, 'synth-b')).chart.toJson().map((o: K8sObject) => [id(o), JSON.stringify(o)]));
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k) && !k.includes('secrets-bootstrap')).sort();
    const stack = await open('dev');
    await stack.setConfig(key, { value });
    try {
      const c = collector();
      await timed('preview dev (config change)', async () => runAction(stack, 'preview', { onEvent: c.onEvent }));
      const touched = c.steps.filter((s) => s.op !== 'same').map((s) => s.id);
      const replaced = c.steps.filter((s) => ['replace', 'create-replacement', 'delete-replaced'].includes(s.op) && ['StatefulSet', 'PersistentVolumeClaim', 'Namespace'].includes(s.kind));
      expect(differing.length > 0, 'the chart does not change with the worker memory: nothing to compare');
      expect(JSON.stringify([...new Set(touched)].sort()) === JSON.stringify(differing), `preview touches ${[...new Set(touched)].sort().join(', ')}; the chart changes ${differing.join(', ')}`);
      expect(replaced.length === 0, `stateful objects replaced: ${replaced.map((s) => `${s.op} ${s.id}`).join(', ')}`);
      process.stdout.write(`INFO config change ${key}=${value}: ${c.steps.filter((s) => s.op !== 'same').map((s) => `${s.op} ${s.id}`).join(', ')}\n`);
    } finally {
      await stack.removeConfig(key);
    }
  }, [upOk]);

  await checks.run('the state holds no plaintext secret value (every file of the backend, history and backups included)', async () => {
    // The files at rest, not `pulumi stack export` (the Automation API exports with --show-secrets).
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => files.push(f))(path.join(dir, e.name));
    };
    walk(path.join(work, 'state'));
    const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
    expect(texts.some((t) => t.includes('spark-airflow-objects')), `no state of this stack among ${files.length} backend files`);
    const found = Object.entries(secrets).filter(([, v]) => texts.some((t) => t.includes(v) || t.includes(Buffer.from(v).toString('base64')))).map(([k]) => k);
    expect(found.length === 0, `plaintext (or base64) in the backend files: ${found.join(', ')}`);
  }, [upOk]);

  await checks.run('destroy dev leaves none of our objects, the PVCs and the Namespace included', async () => {
    const changes = await timed('destroy dev', async () => runAction(await open('dev'), 'destroy'));
    expect((changes.delete ?? 0) > 0, `destroy: ${JSON.stringify(changes)}`);
    await waitFor(`namespace ${ns} to be gone`, 5 * MINUTE, async (state) => {
      const r = await kubectl(['get', 'namespace', ns, '-o', 'name']);
      state.last = r.stdout.trim() || r.stderr.trim();
      return r.code !== 0 && /NotFound|not found/.test(r.stderr) ? true : undefined;
    });
    await waitFor('the claims\' volumes to be released and deleted', 2 * MINUTE, async (state) => {
      const r = await kubectl(['get', 'pv', '-o', 'json']);
      const left = (JSON.parse(r.stdout) as { items: K8sObject[] }).items.filter((pv) => pv.spec?.claimRef?.namespace === ns).map((pv) => pv.metadata.name);
      state.last = left.join(', ') || 'none';
      return left.length === 0 ? true : undefined;
    });
    const cluster = await kubectl(['get', 'clusterroles,clusterrolebindings', '-l', 'app.kubernetes.io/part-of=spark-airflow-k8s', '-o', 'name']);
    expect(cluster.stdout.trim() === '', `cluster-scoped objects left: ${cluster.stdout}`);
  }, [upOk]);

  await kubectl(['delete', '--ignore-not-found', '-f', crdDir]);
  fs.rmSync(work, { recursive: true, force: true });
  process.stdout.write(`${checks.passed} passed, ${checks.failures} failed\n`);
  return checks.failures === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stdout.write(`FAIL pulumi scenario aborted: ${(err as Error).stack ?? String(err)}\n0 passed, 1 failed\n`);
    process.exit(1);
  });
}
