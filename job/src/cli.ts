import { MAIN_HELP, MONITOR_HELP, SUBMIT_HELP } from './cli-help';
import { CliError, ExitCode, UsageError } from './exit-codes';
import { createKube } from './kube';
import { defaultBackoffMs, monitor, parseMonitorOptions } from './monitor';
import { activeChildren, parseSubmitOptions, realSubmitEnvironment, runSparkSubmitProcess, submit } from './submit';

declare const SPARK_JOB_VERSION: string;

function printFailure(command: string, err: CliError): void {
  const prefix = `${command}: `;
  const message = command && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  process.stderr.write(`spark-job${command ? ` ${command}` : ''}: ${message}\n`);
  for (const line of err.details) {
    process.stderr.write(`  ${line}\n`);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`  (see spark-job${command ? ` ${command}` : ''} --help)\n`);
  }
}

const info = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const wantsHelp = (args: readonly string[]): boolean => {
    const sep = args.indexOf('--');
    return (sep < 0 ? args : args.slice(0, sep)).some((a) => a === '--help' || a === '-h');
  };
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (command === '--version') {
    process.stdout.write(`${typeof SPARK_JOB_VERSION === 'string' ? SPARK_JOB_VERSION : 'dev'}\n`);
    return ExitCode.OK;
  }
  try {
    if (command === 'submit') {
      if (wantsHelp(rest)) {
        process.stdout.write(SUBMIT_HELP);
        return ExitCode.OK;
      }
      const opts = parseSubmitOptions(rest, realSubmitEnvironment(process.env));
      return await submit(opts, {
        kube: () => createKube(process.env),
        runSparkSubmit: runSparkSubmitProcess,
        now: () => new Date(),
        info,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        deleteTimeoutMs: Number(process.env.SPARK_JOB_DELETE_TIMEOUT_SECONDS ?? 300) * 1000,
        interruptedSubmitGraceMs: Number(process.env.SPARK_JOB_INTERRUPTED_SUBMIT_GRACE_SECONDS ?? 30) * 1000,
      });
    }
    if (command === 'monitor') {
      if (wantsHelp(rest)) {
        process.stdout.write(MONITOR_HELP);
        return ExitCode.OK;
      }
      const opts = parseMonitorOptions(rest, process.env);
      const outcome = await monitor(opts, {
        kube: () => createKube(process.env),
        writeLog: (text) => process.stdout.write(text),
        info,
        maxFailures: Number(process.env.SPARK_JOB_MONITOR_MAX_RETRIES ?? 8),
        backoffMs: process.env.SPARK_JOB_MONITOR_BACKOFF_MS ? () => Number(process.env.SPARK_JOB_MONITOR_BACKOFF_MS) : defaultBackoffMs,
        logRetryMs: 1000,
        watchTimeoutSeconds: 240 + Math.floor(Math.random() * 120),
      });
      if (outcome.code === ExitCode.OK) {
        info(`spark-job monitor: ${outcome.reason}`);
      } else {
        printFailure('monitor', new CliError(outcome.code, outcome.reason, outcome.details));
      }
      return outcome.code;
    }
    throw new UsageError(`unknown command "${command}" (expected submit or monitor; see spark-job --help)`);
  } catch (err) {
    const name = command === 'submit' || command === 'monitor' ? command : '';
    if (err instanceof CliError) {
      printFailure(name, err);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`spark-job ${name}: internal error: ${e?.message ?? String(err)}\n`);
    if (e?.stack) {
      process.stderr.write(`${e.stack}\n`);
    }
    return ExitCode.INTERNAL;
  }
}

/**
 * In the image, node is PID 1, and PID 1 ignores signals it does not handle: stop on SIGTERM
 * (pod deletion, Airflow killing the task) and SIGINT, passing them on to spark-submit.
 */
let stoppedBySignal: number | undefined;

function handleSignals(): void {
  const codes: Record<string, number> = { SIGTERM: 143, SIGINT: 130 };
  for (const [signal, code] of Object.entries(codes)) {
    process.on(signal, () => {
      stoppedBySignal = code;
      process.stderr.write(`spark-job: received ${signal}, stopping\n`);
      if (activeChildren.size === 0) {
        process.exit(code);
      }
      for (const child of activeChildren) {
        child.kill(signal as NodeJS.Signals);
      }
      setTimeout(() => process.exit(code), 10000).unref();
    });
  }
}

if (require.main === module) {
  handleSignals();
  main(process.argv.slice(2)).then(
    (result) => {
      const code = stoppedBySignal ?? result;
      process.exitCode = code;
      // Watches and agents may keep sockets open; the outcome is final.
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err: unknown) => {
      process.stderr.write(`spark-job: internal error: ${String(err)}\n`);
      process.exit(ExitCode.INTERNAL);
    },
  );
}

/** For scripts (scripts/capture-spark-output.sh): the pod name derivation, from the bundle. */
export { driverPodName } from './podname';
