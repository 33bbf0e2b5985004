import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import * as kplus from 'cdk8s-plus-28';
import { NetworkFlow, NetworkFlows, podSecurityViolations, SparkAirflowPlatform, SUPPRESSIONS } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { synthAll } from '../stacks/synth';
import { find, K8sObject, podLabels, podSpec, synthPlatform, workloads } from './support/synth';
import { toolPath } from './support/tools';

const ROOT = path.resolve(__dirname, '..');
const ENV_NAMES = Object.keys(ENVIRONMENTS);

function selects(policy: K8sObject, labels: Record<string, string>): boolean {
  return Object.entries((policy.spec.podSelector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
}

describe.each(ENV_NAMES)('Pod Security in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);

  test('the namespace enforces, audits and warns at restricted', () => {
    const labels = find(objects, 'Namespace', 'spark-clu').metadata.labels ?? {};
    for (const mode of ['enforce', 'audit', 'warn']) expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
  });

  test('every pod template meets restricted and the platform rules (read-only root, resources)', () => {
    expect(objects.flatMap((o) => podSecurityViolations(o))).toEqual([]);
  });

  test('only pods that call the Kubernetes API carry a ServiceAccount token', () => {
    // Job names carry a hash of their pod template (lib/jobs.ts): compare the name before it.
    const withToken = workloads(objects).filter((w) => podSpec(w).automountServiceAccountToken !== false)
      .map((w) => (w.kind === 'Job' ? w.metadata.name.replace(/-[0-9a-f]{8}$/, '') : w.metadata.name)).sort();
    expect(withToken).toEqual(env === 'prod' ? ['airflow-scheduler', 'airflow-triggerer'] : ['airflow-scheduler', 'airflow-triggerer', 'secrets-bootstrap']);
  });

  test('no pod gets the Docker-link variables of the namespace\'s Services (SPARK_MASTER_PORT=tcp://... kills the master)', () => {
    for (const w of workloads(objects)) expect([w.metadata.name, podSpec(w).enableServiceLinks]).toEqual([w.metadata.name, false]);
    for (const file of ['driver.yaml', 'executor.yaml']) {
      expect([file, parse(find(objects, 'ConfigMap', 'spark-pod-templates').data[file]).spec.enableServiceLinks]).toEqual([file, false]);
    }
  });

  test('Spark authenticates and encrypts RPC with the secret from a Secret, never a literal', () => {
    const conf: string = find(objects, 'ConfigMap', 'spark-master-conf').data['spark-defaults.conf'];
    expect(conf).toContain('spark.authenticate true\n');
    expect(conf).toContain('spark.network.crypto.enabled true\n');
    expect(conf).not.toMatch(/spark\.authenticate\.secret/);
    const spark = workloads(objects).filter((o) => podLabels(o)['app.kubernetes.io/name'] === 'spark');
    const daemons = spark.filter((o) => ['master', 'worker'].includes(podLabels(o)['app.kubernetes.io/component']));
    expect(daemons.map((w) => w.metadata.name).sort()).toEqual(['spark-master', 'spark-worker']);
    for (const w of daemons) {
      const env = podSpec(w).containers[0].env.find((e: K8sObject) => e.name === '_SPARK_AUTH_SECRET');
      expect(env).toEqual({ name: '_SPARK_AUTH_SECRET', valueFrom: { secretKeyRef: { name: 'spark-auth', key: 'secret' } } });
    }
    // The history server reads files and speaks no Spark RPC: it gets no secret at all.
    for (const w of spark.filter((o) => !daemons.includes(o))) {
      expect([w.metadata.name, JSON.stringify(podSpec(w)).includes('spark-auth')]).toEqual([w.metadata.name, false]);
    }
  });
});

describe('the restricted check', () => {
  const compliant = () => synthPlatform(ENVIRONMENTS.dev).find((o) => o.metadata.name === 'spark-master') as K8sObject;

  test.each([
    ['allowPrivilegeEscalation', (c: K8sObject) => { c.securityContext.allowPrivilegeEscalation = true; }, 'securityContext.allowPrivilegeEscalation must be false'],
    ['capabilities', (c: K8sObject) => { c.securityContext.capabilities = { drop: ['NET_RAW'] }; }, 'securityContext.capabilities.drop must include ALL'],
    ['added capability', (c: K8sObject) => { c.securityContext.capabilities.add = ['SYS_ADMIN']; }, 'capability SYS_ADMIN must not be added'],
    ['privileged', (c: K8sObject) => { c.securityContext.privileged = true; }, 'securityContext.privileged must not be true'],
    ['readOnlyRootFilesystem', (c: K8sObject) => { c.securityContext.readOnlyRootFilesystem = false; }, 'securityContext.readOnlyRootFilesystem must be true'],
    ['limits', (c: K8sObject) => { delete c.resources.limits.memory; }, 'resources.limits.memory must be set'],
  ])('catches a container without %s', (_name, breakIt, message) => {
    const obj = compliant();
    breakIt(podSpec(obj).containers[0]);
    expect(podSecurityViolations(obj).join('\n')).toContain(`Deployment/spark-master container master: ${message}`);
  });

  test('catches root, a missing seccomp profile, host namespaces and hostPath', () => {
    const obj = compliant();
    const spec = podSpec(obj);
    spec.hostNetwork = true;
    spec.securityContext = { runAsUser: 0 };
    delete spec.containers[0].securityContext.runAsUser;
    delete spec.containers[0].securityContext.runAsNonRoot;
    delete spec.containers[0].securityContext.seccompProfile;
    spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
    const violations = podSecurityViolations(obj);
    expect(violations).toEqual(expect.arrayContaining([
      'Deployment/spark-master: hostNetwork must not be true',
      'Deployment/spark-master: volume host of type hostPath is not allowed by Pod Security "restricted"',
      'Deployment/spark-master: securityContext.runAsUser must not be 0',
      'Deployment/spark-master container master: runAsNonRoot must be true (pod or container)',
      'Deployment/spark-master container master: seccompProfile.type must be RuntimeDefault or Localhost',
    ]));
  });

  test('a container added through cdk8s-plus without our security context fails the synth', () => {
    const app = Testing.app();
    const platform = new SparkAirflowPlatform(app, 'spark-airflow', { config: ENVIRONMENTS.dev });
    new kplus.Deployment(platform, 'Rogue', {
      metadata: { name: 'rogue' },
      containers: [{ name: 'shell', image: 'busybox:1.37.0', securityContext: { ensureNonRoot: false, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false } }],
    });
    expect(() => app.synth()).toThrow(/Deployment\/rogue container shell: securityContext\.allowPrivilegeEscalation must be false/);
    expect(() => app.synth()).toThrow(/Deployment\/rogue container shell: runAsUser must be a numeric non-root uid/);
  });
});

describe.each(ENV_NAMES)('NetworkPolicies in %s', (env) => {
  const app = Testing.app();
  const chart = new SparkAirflowPlatform(app, 'spark-airflow', { config: ENVIRONMENTS[env] });
  const objects = chart.toJson() as K8sObject[];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const flows: readonly NetworkFlow[] = NetworkFlows.of(chart).flows;

  test('deny all ingress and egress by default, and allow DNS', () => {
    expect(find(objects, 'NetworkPolicy', 'default-deny-all').spec).toEqual({ podSelector: {}, policyTypes: ['Egress', 'Ingress'] });
    expect(find(objects, 'NetworkPolicy', 'allow-dns-egress').spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
  });

  test('every pod is selected by at least one allow policy besides deny-all and DNS', () => {
    const allow = policies.filter((p) => !['default-deny-all', 'allow-dns-egress'].includes(p.metadata.name));
    for (const w of workloads(objects)) {
      const selecting = allow.filter((p) => selects(p, podLabels(w))).map((p) => p.metadata.name);
      expect({ pod: w.metadata.name, selected: selecting.length > 0 }).toEqual({ pod: w.metadata.name, selected: true });
    }
  });

  test('every declared flow has its ingress and egress rule with exactly its ports', () => {
    expect(flows.length).toBeGreaterThan(10);
    for (const flow of flows) {
      const ports = flow.ports.map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP', ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) }));
      if (flow.to.kind === 'pods') {
        const ingress = find(objects, 'NetworkPolicy', `${flow.name}-ingress`);
        expect(ingress.spec.podSelector).toEqual({ matchLabels: flow.to.group.labels });
        expect(ingress.spec.policyTypes).toEqual(['Ingress']);
        expect(ingress.spec.ingress).toHaveLength(1);
        expect(ingress.spec.ingress[0].ports).toEqual(ports);
        if (flow.from.kind === 'pods') {
          // a peer in another namespace is named by namespace too
          const fromNs = flow.from.group.namespace ?? 'spark-clu';
          const toNs = flow.to.group.namespace ?? 'spark-clu';
          expect(ingress.metadata.namespace).toBe(toNs);
          expect(ingress.spec.ingress[0].from).toEqual([{
            ...(fromNs === toNs ? {} : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': fromNs } } }),
            podSelector: { matchLabels: flow.from.group.labels },
          }]);
        }
      }
      if (flow.from.kind === 'pods') {
        const egress = find(objects, 'NetworkPolicy', `${flow.name}-egress`);
        expect(egress.metadata.namespace).toBe(flow.from.group.namespace ?? 'spark-clu');
        expect(egress.spec.podSelector).toEqual({ matchLabels: flow.from.group.labels });
        expect(egress.spec.policyTypes).toEqual(['Egress']);
        expect(egress.spec.egress[0].ports).toEqual(ports);
      }
    }
    // No policy that no flow explains.
    const explained = new Set(['default-deny-all', 'allow-dns-egress', ...flows.flatMap((f) => [`${f.name}-ingress`, `${f.name}-egress`])]);
    expect(policies.map((p) => p.metadata.name).filter((n) => !explained.has(n))).toEqual([]);
  });

  test('ingress from outside the namespace only to the UIs the environment exposes', () => {
    const open = policies.filter((p) => (p.spec.ingress ?? []).some((r: K8sObject) => (r.from ?? []).some((f: K8sObject) => f.ipBlock))).map((p) => p.metadata.name).sort();
    expect(open).toEqual(env === 'dev' ? ['airflow-ui-ingress', 'spark-history-ui-ingress', 'spark-master-ui-ingress'] : []);
  });

  test('from other namespaces: the scraper to the metrics ports, the ingress controller to the UIs, nothing else', () => {
    const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    const opened = policies.flatMap((p) => (p.spec.ingress ?? []).flatMap((r: K8sObject) => (r.from ?? [])
      .map((f: K8sObject) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])
      .filter((ns: string | undefined) => ns !== undefined && !namespaces.has(ns))
      .map((ns: string) => `${ns} -> ${p.metadata.name}:${r.ports.map((x: K8sObject) => x.port).join(',')}`))).sort();
    const metrics = ['airflow-statsd-metrics-ingress:9102', 'spark-driver-metrics-ingress:4040', 'spark-master-metrics-ingress:8080', 'spark-standalone-drivers-metrics-ingress:4040', 'spark-worker-metrics-ingress:8081'].map((x) => `monitoring -> ${x}`);
    const ui = env === 'dev' ? [] : ['airflow-api-server-ingress-controller-ingress:8080', 'spark-history-ingress-controller-ingress:18080', 'spark-master-ingress-controller-ingress:8080'].map((x) => `ingress-nginx -> ${x}`);
    expect(opened).toEqual([...ui, ...metrics].sort());
  });

  test('the standalone REST gateway port 6066 is never opened', () => {
    expect(JSON.stringify(policies)).not.toContain('6066');
  });
});

describe('policy scanner: checkov', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-airflow-checkov-'));
  const dist = path.join(work, 'dist');
  synthAll(ENVIRONMENTS, dist);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test.each(ENV_NAMES)('finds nothing in dist/%s except the documented suppressions', (env) => {
    const checkov = toolPath('checkov');
    const result = spawnSync(checkov, ['-d', path.join(dist, env), '--framework', 'kubernetes', '--skip-download', '-o', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const report = JSON.parse(result.stdout) as { summary: { passed: number; failed: number; skipped: number }; results: { failed_checks: { check_id: string; resource: string }[]; skipped_checks: { check_id: string; check_result: { suppress_comment: string } }[] } };
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(500);
    const known = new Map<string, string>(Object.values(SUPPRESSIONS).map((s) => [s.check, s.reason]));
    expect(report.results.skipped_checks.length).toBeGreaterThan(0);
    for (const skipped of report.results.skipped_checks) expect(skipped.check_result.suppress_comment).toBe(known.get(skipped.check_id));
  });

  test('every suppression is listed in the README security section with its reason', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Security'));
    for (const s of Object.values(SUPPRESSIONS)) {
      expect(section).toContain(s.check);
      expect(section).toContain(s.reason);
    }
  });
});
