import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const DEFAULT_XCOM_FILE = '/airflow/xcom/return.json';

export type Target = 'k8s' | 'standalone';

/**
 * The object `spark-job submit` writes to return.json (Airflow's XCom). Every key is always
 * present; an unknown value is `null`. Keys and order are a contract with the DAGs.
 */
export interface ReturnValue {
  /** Driver pod name (k8s), or the submitting pod's name (standalone, from POD_NAME) or null. */
  readonly driverPod: string | null;
  readonly namespace: string | null;
  readonly appName: string;
  /** Spark application ID (`spark-…` on Kubernetes, `app-…` on standalone) when known. */
  readonly appId: string | null;
  /** `<namespace>:<driver pod>` as printed by spark-submit (k8s), else null. */
  readonly submissionId: string | null;
  /** ISO-8601 UTC time the driver was submitted (or, when adopted, the pod's creation time). */
  readonly submittedAt: string;
  readonly target: Target;
}

export const RETURN_VALUE_KEYS = ['driverPod', 'namespace', 'appName', 'appId', 'submissionId', 'submittedAt', 'target'] as const;

export interface ReturnValueInput {
  readonly driverPod?: string | null;
  readonly namespace?: string | null;
  readonly appName: string;
  readonly appId?: string | null;
  readonly submissionId?: string | null;
  readonly submittedAt: Date | string;
  readonly target: Target;
}

/** Builds the return.json object: fixed key order, `null` for every absent value. */
export function buildReturnValue(input: ReturnValueInput): ReturnValue {
  const submittedAt = typeof input.submittedAt === 'string' ? new Date(input.submittedAt) : input.submittedAt;
  if (Number.isNaN(submittedAt.getTime())) {
    throw new Error(`submittedAt is not a valid time: ${String(input.submittedAt)}`);
  }
  return {
    driverPod: input.driverPod ?? null,
    namespace: input.namespace ?? null,
    appName: input.appName,
    appId: input.appId ?? null,
    submissionId: input.submissionId ?? null,
    submittedAt: submittedAt.toISOString(),
    target: input.target,
  };
}

/** The exact bytes of return.json. */
export function renderReturnJson(value: ReturnValue): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes return.json atomically: a temporary file in the same directory, flushed, then renamed
 * over the target, so a reader sees either nothing or the whole object.
 */
export function writeReturnJson(value: ReturnValue, path: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, renderReturnJson(value));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function xcomFile(env: NodeJS.ProcessEnv): string {
  return env.SPARK_JOB_XCOM_FILE || DEFAULT_XCOM_FILE;
}
