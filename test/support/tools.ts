import { execFileSync } from 'child_process';
import * as path from 'path';

/** Absolute path of a tool installed by scripts/ensure-tools.sh (run by jest's globalSetup). */
export function toolPath(name: string): string {
  const bin = process.env.SPARK_AIRFLOW_TOOLS_BIN;
  if (!bin) throw new Error('SPARK_AIRFLOW_TOOLS_BIN is not set: run the tests through jest (globalSetup installs the tools)');
  const tool = path.join(bin, name);
  execFileSync(tool, ['--version'], { stdio: 'ignore' });
  return tool;
}
