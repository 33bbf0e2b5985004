/**
 * `npm run bench [-- --runs N] [-- --check]`: synthesizes every environment N times, each in a fresh
 * `node` process running the compiled app (what `npm run synth` runs after its incremental build),
 * and prints min/median/max wall-clock milliseconds. With --check, exits 1 when the median is
 * over the 500 ms target.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const TARGET_MS = 500;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(process.argv[i + 1])}`);
  return value;
}

function main(): void {
  const runs = option('--runs', 10);
  const app = path.resolve(__dirname, '..', 'stacks', 'main.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-airflow-bench-'));
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, [app], { env: { ...process.env, SPARK_AIRFLOW_DIST: path.join(work, 'dist') }, encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`synth failed:\n${result.stderr}`);
      times.push(ms);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  const fmt = (n: number) => n.toFixed(1);
  process.stdout.write(
    `synth of all environments (dev, staging, prod), ${runs} fresh processes:\n` +
      `  min ${fmt(times[0])} ms  median ${fmt(median)} ms  max ${fmt(times[times.length - 1])} ms  (target < ${TARGET_MS} ms)\n`,
  );
  if (process.argv.includes('--check') && median >= TARGET_MS) {
    process.stderr.write(`median ${fmt(median)} ms is over the ${TARGET_MS} ms target\n`);
    process.exitCode = 1;
  }
}

main();
