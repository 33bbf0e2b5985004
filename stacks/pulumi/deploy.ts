/**
 * `npm run deploy -- <stack> [preview|up|refresh|destroy] [--yes]`: the Pulumi program of
 * stacks/pulumi/program.ts for one stack, run through the Automation API as an inline program,
 * with Pulumi's own progress output. Users and CI deploy the same way; `pulumi up` with
 * Pulumi.yaml keeps working for those who have the full Pulumi CLI (its nodejs language host).
 *
 * Needs on PATH: `pulumi` (the CLI) and `pulumi-resource-kubernetes` (the provider); the
 * language host is not needed: the program runs in this process. Backend and secrets as for the
 * CLI: `pulumi login` (or PULUMI_BACKEND_URL), PULUMI_CONFIG_PASSPHRASE for passphrase stacks.
 * Stack config: Pulumi.<stack>.yaml next to Pulumi.yaml (the repository root, or --cwd <dir>).
 */
import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { EngineEvent, LocalWorkspace, OpMap, Stack } from '@pulumi/pulumi/automation';
import { REPO_ROOT } from '../paths';
import { ENVIRONMENTS } from '../environments';
import { deployStack } from './program';

/** The project name of Pulumi.yaml. */
export const PROJECT_NAME = 'spark-airflow-k8s';

/** What the entry point does to a stack. */
export type DeployAction = 'preview' | 'up' | 'refresh' | 'destroy';
export const ACTIONS: readonly DeployAction[] = ['preview', 'up', 'refresh', 'destroy'];

/** How to reach the stack. */
export interface StackOptions {
  /** Directory with Pulumi.yaml and Pulumi.<stack>.yaml. @default the repository root */
  readonly workDir?: string;
  /** Environment of the Pulumi CLI (backend, passphrase, KUBECONFIG, PATH). @default - this process's */
  readonly envVars?: Record<string, string>;
}

/** The stack outputs, as the program exports them (stacks/pulumi/index.ts). */
async function program(): Promise<Record<string, unknown>> {
  // Built on every run: the Automation API calls this function once per operation.
  const platform = deployStack();
  return { namespace: platform.namespace, jobsNamespace: platform.jobsNamespace, sparkUi: platform.sparkUi, airflowUi: platform.airflowUi, jobImage: platform.jobImage };
}

/** Creates (first time) or selects a stack of the project in `workDir`, with the inline program. */
export async function selectStack(stackName: string, options: StackOptions = {}): Promise<Stack> {
  if (!Object.prototype.hasOwnProperty.call(ENVIRONMENTS, stackName)) {
    throw new DeployError(`unknown stack "${stackName}": the stack name selects the environment, one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  const workDir = options.workDir ?? REPO_ROOT;
  if (!existsSync(path.join(workDir, 'Pulumi.yaml'))) throw new DeployError(`no Pulumi.yaml in ${workDir}`);
  return LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT_NAME, program },
    { workDir, ...(options.envVars ? { envVars: options.envVars } : {}) },
  );
}

/** Runs one action and returns Pulumi's change counts. */
export async function runAction(
  stack: Stack,
  action: DeployAction,
  handlers: { onOutput?: (out: string) => void; onEvent?: (event: EngineEvent) => void } = {},
): Promise<OpMap> {
  switch (action) {
    case 'preview': return (await stack.preview({ ...handlers, diff: false })).changeSummary;
    case 'up': return (await stack.up(handlers)).summary.resourceChanges ?? {};
    case 'refresh': return (await stack.refresh(handlers)).summary.resourceChanges ?? {};
    case 'destroy': return (await stack.destroy(handlers)).summary.resourceChanges ?? {};
  }
}

/** An error of the entry point's own: printed as one message, without a stack trace. */
export class DeployError extends Error {}

const USAGE = 'usage: npm run deploy -- <stack> [preview|up|refresh|destroy] [--yes] [--cwd <dir with Pulumi.yaml>]';

/** The binaries the Automation API drives, with what to do when one is missing. */
export function missingBinaries(pathVar: string | undefined = process.env.PATH): string[] {
  const missing: string[] = [];
  for (const [binary, hint] of [
    ['pulumi', 'the Pulumi CLI: https://www.pulumi.com/docs/install/, or test/pulumi-cli/build.sh builds it from Go modules'],
    ['pulumi-resource-kubernetes', 'the Kubernetes provider: `pulumi plugin install resource kubernetes`, or test/pulumi-cli/build.sh builds it'],
  ] as const) {
    const found = (pathVar ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, binary)));
    const installed = binary === 'pulumi-resource-kubernetes' && spawnSync('pulumi', ['plugin', 'ls'], { encoding: 'utf8' }).stdout?.includes('kubernetes');
    if (!found && !installed) missing.push(`${binary} is not on PATH (${hint})`);
  }
  return missing;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const yes = args.includes('--yes');
  const cwdAt = args.indexOf('--cwd');
  const workDir = cwdAt >= 0 ? path.resolve(args[cwdAt + 1] ?? '') : undefined;
  const positional = args.filter((a, i) => a !== '--yes' && (cwdAt < 0 || (i !== cwdAt && i !== cwdAt + 1)));
  const [stackName, actionArg = 'preview', ...extra] = positional;
  if (!stackName || extra.length > 0 || !ACTIONS.includes(actionArg as DeployAction)) throw new DeployError(USAGE);
  const action = actionArg as DeployAction;
  const missing = missingBinaries();
  if (missing.length > 0) throw new DeployError(`cannot run Pulumi:\n  - ${missing.join('\n  - ')}`);

  const stack = await selectStack(stackName, { workDir });
  const out = { onOutput: (s: string) => process.stdout.write(s) };
  if ((action === 'up' || action === 'destroy') && !yes) {
    // like `pulumi up` asking first: show what would happen, change nothing
    if (action === 'up') await runAction(stack, 'preview', out);
    process.stdout.write(`\nNothing ${action === 'up' ? 'deployed' : 'destroyed'}: run \`npm run deploy -- ${stackName} ${action} --yes\` to ${action === 'up' ? 'deploy' : 'destroy'} stack ${stackName}.\n`);
    return 0;
  }
  const changes = await runAction(stack, action, out);
  process.stdout.write(`\n${action} of stack ${stackName}: ${Object.entries(changes).map(([op, n]) => `${op} ${n}`).join(', ') || 'no changes'}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    const message = err instanceof DeployError ? err.message : (err as Error).message ?? String(err);
    process.stderr.write(`deploy: ${message}\n`);
    process.exit(1);
  });
}
