import { App, YamlOutputType } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { PlatformConfig, SparkAirflowPlatform } from '../lib';

/** File name (without extension) of each environment's manifest inside dist/<env>/. */
export const CHART_ID = 'spark-airflow';

/** Builds the cdk8s App of one environment; throws a ValidationError on bad config. */
export function buildApp(config: PlatformConfig, outdir: string): { app: App; chart: SparkAirflowPlatform } {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const chart = new SparkAirflowPlatform(app, CHART_ID, { config });
  return { app, chart };
}

/**
 * Synthesizes every environment into `<distDir>/<env>/` atomically: all charts are built
 * (and so validated) first, written into a temporary sibling directory, and only then swapped
 * into place. A bad config throws and leaves `distDir` exactly as it was.
 */
export function synthAll(environments: Readonly<Record<string, PlatformConfig>>, distDir: string): string[] {
  const parent = path.dirname(path.resolve(distDir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(distDir)}.tmp-`));
  fs.chmodSync(staging, 0o755); // mkdtemp creates 0700; dist/ is an ordinary directory
  try {
    const apps = Object.entries(environments).map(([name, config]) => {
      if (name !== config.environment) throw new Error(`environment key "${name}" does not match its config.environment "${config.environment}"`);
      return buildApp(config, path.join(staging, name)).app;
    });
    for (const app of apps) app.synth();
    swapDirectory(staging, distDir);
    return Object.keys(environments).map((name) => path.join(distDir, name));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Replaces `target` with `source` using renames, so readers never see a half-written tree. */
function swapDirectory(source: string, target: string): void {
  const old = `${target}.old-${process.pid}`;
  const hadTarget = fs.existsSync(target);
  if (hadTarget) fs.renameSync(target, old);
  try {
    fs.renameSync(source, target);
  } catch (err) {
    if (hadTarget) fs.renameSync(old, target);
    throw err;
  }
  if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
}
