/**
 * Exit codes of `spark-job`. They are a contract with the DAGs and the README's table:
 * change one and you change both, and the tests that pin them.
 */
export const ExitCode = {
  /** submit: the driver was created or adopted. monitor: the driver pod Succeeded. */
  OK: 0,
  /** monitor: the driver pod Failed. submit: spark-submit failed or printed nothing we understand. standalone: see README. */
  FAILED: 1,
  /** Bad command line: unknown command or option, missing or malformed value. */
  USAGE: 2,
  /** monitor: the driver container was OOMKilled. */
  OOM_KILLED: 3,
  /** monitor: the driver pod was deleted (or did not exist) before it finished. */
  POD_DELETED: 4,
  /** monitor: the driver pod was evicted (node pressure, eviction API, preemption). */
  EVICTED: 5,
  /** monitor: the driver image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName). */
  IMAGE_PULL: 6,
  /** monitor: --timeout elapsed before the driver pod finished. */
  TIMEOUT: 7,
  /** submit: the driver pod of an earlier try exists and Failed, and --replace-failed was not given. */
  PREVIOUS_DRIVER_FAILED: 8,
  /** Internal error: the Kubernetes API cannot be reached or refuses us, a bug, an unexpected state. */
  INTERNAL: 10,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a given exit code and a one-line reason. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Lines printed after the one-line reason (quoted output, hints). */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(ExitCode.USAGE, message);
    this.name = 'UsageError';
  }
}
