import { createHash } from 'node:crypto';

/** Spark's default name of the driver container. */
export const DRIVER_CONTAINER = 'spark-kubernetes-driver';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const POD_NAME_HASH_LENGTH = 12;
const POD_NAME_SUFFIX = '-driver';

function sha256hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/**
 * The driver pod name for one Airflow task run: `<prefix>-<hash>-driver`, where prefix is the
 * app name lowered and reduced to [a-z0-9-] and hash is the first 12 hex digits of
 * sha256(name + "\0" + runId). Same inputs, same name: a retried task finds the driver of an
 * earlier try. Always a DNS-1123 label of at most 63 characters.
 */
export function driverPodName(appName: string, runId: string): string {
  const hash = sha256hex(`${appName}\0${runId}`).slice(0, POD_NAME_HASH_LENGTH);
  const room = 63 - POD_NAME_SUFFIX.length - 1 - hash.length;
  let prefix = appName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, room)
    .replace(/-+$/, '');
  if (prefix === '') {
    prefix = 'spark';
  }
  return `${prefix}-${hash}${POD_NAME_SUFFIX}`;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/**
 * A valid Kubernetes label value standing for `value`: the value itself when valid, otherwise
 * a sanitized prefix plus `-` and 10 hex digits of its sha256 (so different inputs that
 * sanitize alike, such as `+00:00` and `-00-00`, stay apart).
 */
export function toLabelValue(value: string): string {
  if (isLabelValue(value)) {
    return value;
  }
  const hash = sha256hex(value).slice(0, 10);
  const prefix = value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63 - 1 - hash.length)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

/** Kubernetes label key: optional DNS subdomain prefix (<= 253) + "/" + name (<= 63). */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return false;
  }
  return name.length > 0 && name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * The name of the Secret holding one app's `spark.authenticate` key: `spark-app-auth-<hash>`,
 * with 12 hex digits of sha256 of the driver pod's name, so a retry finds the Secret of an
 * earlier try. Short enough that Spark's volume name for it (`<name>-volume`) is a DNS-1123 label.
 */
export function appAuthSecretName(driverPod: string): string {
  return `spark-app-auth-${sha256hex(driverPod).slice(0, POD_NAME_HASH_LENGTH)}`;
}
