import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'dist', 'spark-job.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly result: Promise<CliRun>;
  /** Output so far. */
  stdout(): string;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts the bundled CLI (dist/spark-job.js) as a child process with a clean environment plus `env`. */
export function startCli(args: readonly string[], env: Record<string, string | undefined>): RunningCli {
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  const fullEnv: Record<string, string> = { ...baseEnv };
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined) {
      fullEnv[k] = v;
    }
  }
  const child = spawn(process.execPath, [CLI, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const result = new Promise<CliRun>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { result, stdout: () => stdout, kill: (signal: NodeJS.Signals = 'SIGKILL') => child.kill(signal) };
}

export function runCli(args: readonly string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return startCli(args, env).result;
}

/** Polls `check` every 20 ms until it is true, or fails after `ms`. */
export async function until(check: () => boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
