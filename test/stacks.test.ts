import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENVIRONMENTS } from '../stacks/environments';
import { CHART_ID, synthAll } from '../stacks/synth';
import { toolPath } from './support/tools';

const ROOT = path.resolve(__dirname, '..');

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file under dir, relative path -> content. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    out[path.relative(dir, full)] = fs.readFileSync(full, 'utf8');
  }
  return out;
}

/** lib/imports/crds (the Prometheus operator's CRDs) against the objects of `files`: test/support/validate_crd_objects.py. */
function validateCustomResources(files: string[]): { status: number | null; output: string } {
  const crds = fs.readdirSync(path.join(ROOT, 'lib', 'imports', 'crds')).map((f) => path.join(ROOT, 'lib', 'imports', 'crds', f));
  const python = path.join(path.dirname(toolPath('kubernetes-validate')), 'python');
  const result = spawnSync(python, [path.join(ROOT, 'test', 'support', 'validate_crd_objects.py'), '--crd', ...crds, '--', ...files], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('synth of every environment', () => {
  const work = tempDir('spark-airflow-synth-');
  const dist = path.join(work, 'dist');
  synthAll(ENVIRONMENTS, dist);
  const tree = readTree(dist);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('writes dist/<env>/spark-airflow.k8s.yaml for dev, staging and prod and nothing else', () => {
    expect(Object.keys(tree).sort()).toEqual(['dev', 'prod', 'staging'].map((env) => path.join(env, `${CHART_ID}.k8s.yaml`)));
  });

  test.each(Object.keys(ENVIRONMENTS))('matches the committed snapshot of %s', (env) => {
    expect(tree[path.join(env, `${CHART_ID}.k8s.yaml`)]).toMatchSnapshot();
  });

  test('is byte-identical on a second run', () => {
    const again = path.join(work, 'again');
    synthAll(ENVIRONMENTS, again);
    expect(readTree(again)).toEqual(tree);
  });

  test('every object of every environment passes strict Kubernetes 1.28 schema validation', () => {
    const validator = toolPath('kubernetes-validate');
    const files = Object.keys(tree).map((f) => path.join(dist, f));
    const result = spawnSync(validator, ['--strict', '-k', '1.28', ...files], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    // The Prometheus operator's kinds are not Kubernetes' own: validated against their CRDs below.
    const custom = /^WARN .* Couldn't find schema for kind (PodMonitor|ServiceMonitor) with api version monitoring\.coreos\.com\/v1 for kubernetes version 1\.28$/;
    expect({ status: result.status, errors: output.split('\n').filter((l) => !l.startsWith('INFO ') && l.trim() !== '' && !custom.test(l)) }).toEqual({ status: 0, errors: [] });
    // Count the objects the validators saw, so an empty run cannot pass.
    const validated = output.split('\n').filter((l) => l.startsWith('INFO ') && l.includes(' passed for resource ')).length;
    const crds = validateCustomResources(files);
    expect({ status: crds.status, failed: crds.output.split('\n').filter((l) => l.startsWith('FAIL')) }).toEqual({ status: 0, failed: [] });
    const monitors = crds.output.split('\n').filter((l) => l.startsWith('ok ')).length;
    expect(monitors).toBe(output.split('\n').filter((l) => custom.test(l)).length);
    expect(monitors).toBeGreaterThan(0);
    const documents = Object.values(tree).reduce((n, yaml) => n + yaml.split(/^---$/m).length, 0);
    expect(validated + monitors).toBe(documents);
  });

  test('the ServiceMonitors and PodMonitors are checked strictly against the operator\'s CRDs', () => {
    const bad = path.join(work, 'bad-monitor.yaml');
    fs.writeFileSync(bad, tree[path.join('prod', `${CHART_ID}.k8s.yaml`)].replace('      path: /metrics\n', '      path: /metrics\n      pathh: /metrics\n'));
    const unknown = validateCustomResources([bad]);
    expect(unknown.status).toBe(1);
    expect(unknown.output).toContain('ServiceMonitor/airflow-statsd-metrics.spec.endpoints[0].pathh: unknown field');
    fs.writeFileSync(bad, tree[path.join('prod', `${CHART_ID}.k8s.yaml`)].replace('scheme: ', 'scheme: ').replace(/interval: 30s/g, 'interval: 30 seconds'));
    expect(validateCustomResources([bad]).output).toMatch(/FAIL PodMonitor\/spark-master-metrics .*interval.*does not match/);
  });

  test('the strict validator really rejects an unknown field', () => {
    const validator = toolPath('kubernetes-validate');
    const bad = path.join(work, 'bad.yaml');
    fs.writeFileSync(bad, tree[path.join('dev', `${CHART_ID}.k8s.yaml`)].replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: IfNotPresent\n          imagePullPolicyy: Always'));
    const result = spawnSync(validator, ['--strict', '-k', '1.28', '--quiet', bad], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("'imagePullPolicyy' was unexpected");
  });
});

describe('npm run synth entry point (build/stacks/main.js)', () => {
  const main = path.join(ROOT, 'build', 'stacks', 'main.js');

  beforeAll(() => {
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: npm test runs the build first`);
  });

  test('writes every environment and reports it', () => {
    const dist = path.join(tempDir('spark-airflow-main-'), 'dist');
    const out = execFileSync(process.execPath, [main], { env: { ...process.env, SPARK_AIRFLOW_DIST: dist }, encoding: 'utf8' });
    expect(out).toContain('synthesized');
    expect(fs.readdirSync(dist).sort()).toEqual(['dev', 'prod', 'staging']);
  });

  test('a bad config exits non-zero with the message and leaves dist/ exactly as it was', () => {
    // Copy the compiled app and break dev's nodePort, as a user editing stacks/dev.ts would.
    const work = tempDir('spark-airflow-bad-');
    for (const entry of ['build', 'dags', 'package.json']) fs.cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
    const devJs = path.join(work, 'build', 'stacks', 'dev.js');
    const source = fs.readFileSync(devJs, 'utf8');
    expect(source).toContain('nodePort: 30000');
    fs.writeFileSync(devJs, source.replace('nodePort: 30000', 'nodePort: 80'));
    const dist = path.join(work, 'dist');
    fs.mkdirSync(path.join(dist, 'dev'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'dev', 'previous.k8s.yaml'), 'kind: Previous\n');
    const before = readTree(dist);

    const result = spawnSync(process.execPath, [path.join(work, 'build', 'stacks', 'main.js')], {
      env: { ...process.env, SPARK_AIRFLOW_DIST: dist, NODE_PATH: path.join(ROOT, 'node_modules') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration for environment "dev":\n  - spark.ui.nodePort = 80: must be an integer in 30000-32767 (the Kubernetes NodePort range)');
    expect(result.stderr).toContain('Nothing was written: dist/ is unchanged.');
    expect(readTree(dist)).toEqual(before);
    expect(fs.readdirSync(work).sort()).toEqual(['build', 'dags', 'dist', 'package.json']); // no temp dir left behind
    fs.rmSync(work, { recursive: true, force: true });
  });
});
