import { execFileSync } from 'child_process';
import * as path from 'path';

/** Which tool set (requirements/<set>.txt, installed by scripts/ensure-tools.sh) holds a tool. */
const TOOL_SETS: Record<string, string> = {
  'kubernetes-validate': 'SPARK_AIRFLOW_TOOLS_BIN',
  checkov: 'SPARK_AIRFLOW_CHECKOV_BIN',
};

/** Absolute path of a tool installed by jest's globalSetup; throws when it is missing. */
export function toolPath(name: string): string {
  const variable = TOOL_SETS[name];
  if (!variable) throw new Error(`unknown tool ${name}`);
  const bin = process.env[variable];
  if (!bin) throw new Error(`${variable} is not set: run the tests through jest (globalSetup installs the tools)`);
  const tool = path.join(bin, name);
  execFileSync(tool, ['--version'], { stdio: 'ignore' });
  return tool;
}
