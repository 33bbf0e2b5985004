/**
 * Validation primitives shared by every construct.
 *
 * Constructs validate their props in the constructor and report every problem at once
 * through {@link ValidationError}. Each problem names the field (a dotted path relative to
 * the props the caller passed), the bad value and what is allowed. A composing construct
 * re-bases its children's problems under its own field names (`spark.worker...`) and adds
 * the environment name, so the final message points at the exact line of the stack config.
 */

import { parseMemoryBytes } from './quantity';

/** One problem found in a configuration. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `worker.resources.memory.limit`. */
  readonly field: string;
  /** The value that was given (rendered with JSON.stringify). */
  readonly value: unknown;
  /** What is wrong and what is allowed. */
  readonly problem: string;
}

function renderValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

/** Renders one issue as a single line: `field = value: problem`. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.field} = ${renderValue(issue.value)}: ${issue.problem}`;
}

/** Thrown when a configuration is invalid. Lists every problem found. */
export class ValidationError extends Error {
  /** The problems, in the order they were found. */
  public readonly issues: readonly ValidationIssue[];
  /** The environment the configuration belongs to, when known. */
  public readonly environment?: string;

  /**
   * Builds the error from every problem found.
   * @param issues the problems
   * @param environment the environment they belong to, when known
   */
  constructor(issues: readonly ValidationIssue[], environment?: string) {
    const where = environment === undefined ? 'Invalid configuration' : `Invalid configuration for environment "${environment}"`;
    const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
    super(`${where}:\n${lines.join('\n')}`);
    this.name = 'ValidationError';
    this.issues = issues;
    this.environment = environment;
  }

  /** Throws a ValidationError when there is at least one issue. */
  static throwIfAny(issues: readonly ValidationIssue[], environment?: string): void {
    if (issues.length > 0) throw new ValidationError(issues, environment);
  }
}

/** Collects issues under a field prefix. */
export class IssueCollector {
  private readonly found: ValidationIssue[] = [];

  /**
   * Starts an empty collection.
   * @param prefix dotted path prepended to every field
   */
  constructor(private readonly prefix = '') {}

  /** Records a problem with `field` (relative to this collector's prefix). */
  add(field: string, value: unknown, problem: string): void {
    this.found.push({ field: this.path(field), value, problem });
  }

  /** Records problems found by another validator, re-based under `field`. */
  addAll(field: string, issues: readonly ValidationIssue[]): void {
    for (const issue of issues) this.found.push({ ...issue, field: this.path(field ? `${field}.${issue.field}` : issue.field) });
  }

  /** The issues found so far. */
  get issues(): readonly ValidationIssue[] {
    return this.found;
  }

  private path(field: string): string {
    return this.prefix ? `${this.prefix}.${field}` : field;
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `value` is a DNS-1123 subdomain (names of Secrets, PVCs, StorageClasses): at most 253 characters. */
export function isDns1123Subdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a DNS-1123 label (namespaces, Service names, container names): lowercase alphanumerics and '-', at most 63 chars. */
export function checkDns1123Label(issues: IssueCollector, field: string, value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 63 || !DNS1123_LABEL.test(value)) {
    issues.add(field, value, 'must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric');
    return false;
  }
  return true;
}

/** The range the API server allows for NodePorts by default. */
export const NODE_PORT_RANGE = {
  /** Lowest NodePort. */
  min: 30000,
  /** Highest NodePort. */
  max: 32767,
} as const;

/** Checks a NodePort value. */
export function checkNodePort(issues: IssueCollector, field: string, value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < NODE_PORT_RANGE.min || value > NODE_PORT_RANGE.max) {
    issues.add(field, value, `must be an integer in ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max} (the Kubernetes NodePort range)`);
    return false;
  }
  return true;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Checks that an image reference is pinned: `repo:tag` with a tag other than `latest`,
 * or `repo@sha256:<digest>`.
 */
export function checkPinnedImage(issues: IssueCollector, field: string, value: unknown): value is string {
  const allowed = 'must be pinned: "<repository>:<version tag>" (not "latest") or "<repository>@sha256:<digest>"';
  if (typeof value !== 'string' || value.length === 0 || /\s/.test(value)) {
    issues.add(field, value, allowed);
    return false;
  }
  const at = value.indexOf('@');
  if (at >= 0) {
    if (at === 0 || !DIGEST.test(value.slice(at + 1))) {
      issues.add(field, value, allowed);
      return false;
    }
    return true;
  }
  const lastSlash = value.lastIndexOf('/');
  const colon = value.indexOf(':', lastSlash + 1);
  const tag = colon < 0 ? '' : value.slice(colon + 1);
  if (colon <= 0 || !TAG.test(tag) || tag === 'latest') {
    issues.add(field, value, allowed);
    return false;
  }
  return true;
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/** Whether a value is an IPv4 CIDR such as "10.0.0.1/32". */
export function isIpv4Cidr(value: unknown): value is string {
  return typeof value === 'string' && IPV4_CIDR.test(value);
}

/** Checks the size of a PersistentVolumeClaim: whole gibibytes, e.g. "4Gi". Returns the GiB. */
export function checkClaimSizeGiB(issues: IssueCollector, field: string, value: unknown): number | undefined {
  const bytes = typeof value === 'string' ? parseMemoryBytes(value) : undefined;
  if (bytes === undefined || bytes === 0 || bytes % 2 ** 30 !== 0) {
    issues.add(field, value, 'must be a whole number of gibibytes, e.g. "4Gi"');
    return undefined;
  }
  return bytes / 2 ** 30;
}

/** Checks an optional StorageClass name (a DNS-1123 subdomain); returns it when valid. */
export function checkStorageClassName(issues: IssueCollector, field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (!isDns1123Subdomain(value)) {
    issues.add(field, value, 'must be a StorageClass name (DNS-1123 subdomain)');
    return undefined;
  }
  return value;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Checks a map of labels (selectors, extra labels): valid keys and values, each reported under `<field>.<key>`. */
export function checkLabels(issues: IssueCollector, field: string, labels: Readonly<Record<string, string>> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!LABEL_KEY.test(key) || key.length > 317) issues.add(`${field}.${key}`, key, 'must be a label key: an optional DNS subdomain prefix and "/", then 1-63 characters of A-Z, a-z, 0-9, "-", "_", "."');
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) issues.add(`${field}.${key}`, value, 'must be a valid label value: at most 63 characters of A-Z, a-z, 0-9, "-", "_", "."');
  }
}
