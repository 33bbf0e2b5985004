import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * A policy-scanner finding the platform accepts on purpose, with the reason. Suppressions are
 * written next to the construct that causes them (as `checkov.io/skipN` annotations on the object)
 * and listed in the README's security section; a test keeps both in step.
 */
export interface ScannerSuppression {
  /** The checkov check id, e.g. `CKV_K8S_43`. */
  readonly check: string;
  /** Why the finding does not apply. */
  readonly reason: string;
}

/** Names of the suppressions in {@link SUPPRESSIONS}. */
export type SuppressionName = 'imageDigest' | 'imagePullPolicy' | 'secretEnv' | 'apiToken' | 'imageUser';

/** The suppressions the constructs use, by cause. */
export const SUPPRESSIONS: Readonly<Record<SuppressionName, ScannerSuppression>> = {
  imageDigest: {
    check: 'CKV_K8S_43',
    reason: 'images are pinned by full version tag in lib/versions.ts; give repo@sha256:<digest> in the config to pin digests (validation accepts both)',
  },
  imagePullPolicy: {
    check: 'CKV_K8S_15',
    reason: 'IfNotPresent with immutable version tags: Always would make every restart depend on the registry',
  },
  secretEnv: {
    check: 'CKV_K8S_35',
    reason: 'Airflow (AIRFLOW__*) and Spark (_SPARK_AUTH_SECRET) read these secrets from the environment; values come from secretKeyRef, never literals',
  },
  apiToken: {
    check: 'CKV_K8S_38',
    reason: 'this pod calls the Kubernetes API (launches or watches pods, or creates Secrets) with a least-privilege Role',
  },
  imageUser: {
    check: 'CKV_K8S_40',
    reason: 'runs as the image\'s own non-root user (spark 185, postgres 999), which owns the image\'s files',
  },
};

const PREFIX = 'checkov.io/skip';

/** Adds suppressions to the object of `scope` (a cdk8s-plus resource or an ApiObject). */
export function suppress(scope: IConstruct, ...suppressions: ScannerSuppression[]): void {
  const obj = ApiObject.of(scope);
  const existing = Object.entries((obj.metadata.toJson().annotations ?? {}) as Record<string, string>).filter(([k]) => k.startsWith(PREFIX));
  const present = new Set(existing.map(([, v]) => v.split('=')[0]));
  let n = existing.length;
  for (const s of suppressions) {
    if (present.has(s.check)) continue;
    present.add(s.check);
    n += 1;
    obj.metadata.addAnnotation(`${PREFIX}${n}`, `${s.check}=${s.reason}`);
  }
}

/** The suppressions every workload with these images needs (none for digest-pinned images). */
export function imageSuppressions(images: readonly string[]): ScannerSuppression[] {
  const out: ScannerSuppression[] = [SUPPRESSIONS.imagePullPolicy];
  if (images.some((image) => !image.includes('@sha256:'))) out.push(SUPPRESSIONS.imageDigest);
  return out;
}
