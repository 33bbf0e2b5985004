/**
 * The construct library as users get it: `npm pack` yields compiled JS and .d.ts only; the
 * tarball installs into an empty project and synthesizes there (no path imports into lib/), and
 * examples/custom-platform compiles and synthesizes against it.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { toolPath } from './support/tools';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; peerDependencies: Record<string, string>; devDependencies: Record<string, string>;
};
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

describe('the npm package', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-airflow-pack-'));
  let tarball = '';
  let files: string[] = [];
  const project = path.join(work, 'project');

  beforeAll(() => {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, packed[0].filename);
    files = packed[0].files.map((f) => f.path).sort();
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
    const deps = ['cdk8s', 'cdk8s-plus-28', 'constructs', '@types/node'].map((d) => `${d}@${pkg.devDependencies[d]}`);
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...deps], project);
  }, 300_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('holds compiled JS and .d.ts of lib/ only (plus package.json, README, CHANGELOG)', () => {
    expect(path.basename(tarball)).toBe(`${pkg.name}-${pkg.version}.tgz`);
    const other = files.filter((f) => !/^build\/lib\/([a-z0-9-]+\/)?[a-z0-9-]+\.(js|d\.ts)$/.test(f));
    expect(other).toEqual(['CHANGELOG.md', 'README.md', 'package.json']);
    expect(files).toContain('build/lib/index.js');
    expect(files).toContain('build/lib/index.d.ts');
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  });

  test('installs into an empty project and synthesizes a chart there', () => {
    const script = `
      const { Testing } = require('cdk8s');
      const { SparkAirflowPlatform, DagSource } = require('${pkg.name}');
      const fs = require('fs'); fs.mkdirSync('dags', { recursive: true }); fs.writeFileSync('dags/hello.py', 'x = 1\\n');
      const chart = new SparkAirflowPlatform(Testing.app(), 'p', { config: { environment: 'demo', network: { apiServerCidr: '0.0.0.0/0' }, airflow: { dags: DagSource.configMap({ directory: 'dags' }) } } });
      process.stdout.write(JSON.stringify(chart.toJson().map((o) => o.kind + '/' + o.metadata.name)));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' })) as string[];
    expect(out).toEqual(expect.arrayContaining(['Namespace/spark-clu', 'Deployment/spark-master', 'DaemonSet/spark-worker', 'StatefulSet/airflow-scheduler', 'ConfigMap/airflow-dags']));
    // Resolved from the installed package, not from this repository.
    const resolved = execFileSync(process.execPath, ['-p', `require.resolve('${pkg.name}')`], { cwd: project, encoding: 'utf8' }).trim();
    expect(resolved).toBe(fs.realpathSync(path.join(project, 'node_modules', pkg.name, 'build', 'lib', 'index.js')));
  });

  describe('examples/custom-platform, built against the installed package', () => {
    let objects: Record<string, Obj[]> = {};
    const out = path.join(work, 'example-dist');

    beforeAll(() => {
      for (const f of ['main.ts', 'tsconfig.json']) fs.copyFileSync(path.join(ROOT, 'examples', 'custom-platform', f), path.join(project, f));
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
      execFileSync(process.execPath, ['main.js', out], { cwd: project, encoding: 'utf8' });
      objects = Object.fromEntries(['test', 'live'].map((env) => [env, parseAllDocuments(fs.readFileSync(path.join(out, env, 'analytics.k8s.yaml'), 'utf8')).map((d) => d.toJSON() as Obj)]));
    }, 120_000);

    test('writes two environments in its own namespaces', () => {
      expect(fs.readdirSync(out).sort()).toEqual(['live', 'test']);
      for (const env of ['test', 'live']) {
        expect(objects[env].slice(0, 2).map((o) => [o.kind, o.metadata.name])).toEqual([['Namespace', 'analytics'], ['Namespace', 'analytics-jobs']]);
        for (const o of objects[env].slice(2)) expect(['analytics', 'analytics-jobs']).toContain(o.metadata.namespace);
      }
      // the KubernetesExecutor's workers run in the jobs namespace
      expect(objects.live.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'airflow-worker' && o.metadata.namespace === 'analytics-jobs')).toBe(true);
    });

    test('takes DAGs from git with a git-sync sidecar', () => {
      const scheduler = objects.live.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'airflow-scheduler') as Obj;
      const names = scheduler.spec.template.spec.containers.map((c: Obj) => c.name);
      expect(names).toEqual(['airflow', 'git-sync']);
      expect(objects.live.some((o) => o.metadata.name === 'airflow-dags')).toBe(false);
    });

    test('sizes the bigger worker pool with the memory arithmetic', () => {
      const worker = (env: string) => (objects[env].find((o) => o.kind === 'DaemonSet') as Obj).spec.template.spec;
      const args: string[] = worker('live').containers[0].args;
      expect(args[args.indexOf('--cores') + 1]).toBe('8');
      // 32768 = 1024 + 384 + 28509 + 2851 (largest SPARK_WORKER_MEMORY that fits)
      expect(args[args.indexOf('--memory') + 1]).toBe('28509m');
      expect(worker('live').nodeSelector).toEqual({ 'example.org/pool': 'spark' });
    });

    test('passes strict Kubernetes 1.28 schema validation', () => {
      const result = spawnSync(toolPath('kubernetes-validate'), ['--strict', '-k', '1.28', '--quiet', path.join(out, 'test', 'analytics.k8s.yaml'), path.join(out, 'live', 'analytics.k8s.yaml')], { encoding: 'utf8' });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, output: '' });
    });
  });
});
