#!/usr/bin/env node
/**
 * The cdk8s app: `npm run synth` (or `cdk8s synth`) writes dist/<env>/spark-airflow.k8s.yaml
 * for every environment. A bad config exits non-zero, prints what is wrong and leaves dist/ as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ValidationError } from '../lib';
import { synthAll } from './synth';

const ROOT = path.resolve(__dirname, '..', '..');

function main(): void {
  const distDir = path.resolve(process.env.SPARK_AIRFLOW_DIST ?? path.join(ROOT, 'dist'));
  // Loaded here, not at the top, so that an error while loading a stack config is reported
  // like any other synth failure.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ENVIRONMENTS } = require('./environments') as typeof import('./environments');
  const written = synthAll(ENVIRONMENTS, distDir);
  // Under `cdk8s synth` the CLI reads (and removes) its own output directory: give it a copy.
  const cliOutdir = process.env.CDK8S_OUTDIR;
  if (cliOutdir && path.resolve(cliOutdir) !== distDir) {
    fs.rmSync(cliOutdir, { recursive: true, force: true });
    fs.cpSync(distDir, cliOutdir, { recursive: true });
  }
  for (const dir of written) process.stdout.write(`synthesized ${path.relative(process.cwd(), dir) || dir}\n`);
}

try {
  main();
} catch (err) {
  if (err instanceof ValidationError) {
    process.stderr.write(`${err.message}\nNothing was written: dist/ is unchanged.\n`);
  } else {
    process.stderr.write(`synth failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\nNothing was written: dist/ is unchanged.\n`);
  }
  process.exitCode = 1;
}
