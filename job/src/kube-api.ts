/**
 * The few Kubernetes operations spark-job needs, as an interface. Only `import type` from
 * @kubernetes/client-node here, so modules depending on this file load without the (ESM-only)
 * client library; src/kube.ts is the real implementation.
 */
import type { V1Pod, V1Secret } from '@kubernetes/client-node';

export type Pod = V1Pod;
export type Secret = V1Secret;

export interface PodListing {
  readonly pod: Pod | undefined;
  readonly resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType | string;
  /** A Pod for ADDED/MODIFIED/DELETED/BOOKMARK, a Status for ERROR. */
  readonly object: unknown;
}

export interface WatchHandle {
  stop(): void;
}

export interface LogOptions {
  readonly follow: boolean;
  /** RFC3339 time; only lines at or after it are returned. */
  readonly sinceTime?: string;
}

export interface LogEnd {
  /** true when the server answered 200 and the stream ended cleanly. */
  readonly ok: boolean;
  readonly status?: number;
  readonly message?: string;
}

export interface LogStream {
  /** Settles when the stream ends, fails or is aborted; never rejects. */
  readonly done: Promise<LogEnd>;
  abort(): void;
}

export interface Kube {
  /** Where the configuration came from (for messages): "in-cluster" or a kubeconfig path. */
  readonly source: string;
  /** The pod, or undefined when it does not exist. */
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** Deletes the pod; resolves when the API accepted the deletion (or it was already gone). */
  deletePod(namespace: string, name: string): Promise<void>;
  /** Whether the ConfigMap exists. */
  configMapExists(namespace: string, name: string): Promise<boolean>;
  /** Creates the Secret; `exists` when one of that name is already there (409), other errors reject. */
  createSecret(namespace: string, secret: Secret): Promise<'created' | 'exists'>;
  /** Lists the one pod by field selector, with the list's resourceVersion to watch from. */
  listPod(namespace: string, name: string): Promise<PodListing>;
  /**
   * Watches the one pod from resourceVersion; the server ends the watch after timeoutSeconds.
   * `onDone` is called once when the watch ends.
   */
  watchPod(
    namespace: string,
    name: string,
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (event: WatchEvent) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
  /** Streams a container's log with RFC3339Nano timestamps on every line. */
  streamLog(namespace: string, pod: string, container: string, options: LogOptions, onData: (chunk: string) => void): LogStream;
}

/** HTTP status of an error from the API (ApiException.code, watch statusCode), if any. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.code === 'number') {
      return e.code;
    }
    if (typeof e.statusCode === 'number') {
      return e.statusCode;
    }
  }
  return undefined;
}

/** A one-line description of an API error: status and the Status message when there is one. */
export function describeApiError(err: unknown): string {
  const status = apiStatus(err);
  if (status !== undefined && typeof err === 'object' && err !== null) {
    let body: unknown = (err as { body?: unknown }).body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the text
      }
    }
    const message =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : typeof body === 'string' && body !== ''
          ? body
          : (err as { message?: string }).message?.split('\n')[0];
    return `HTTP ${status}${message ? `: ${message}` : ''}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.message}${typeof code === 'string' && !err.message.includes(code) ? ` (${code})` : ''}`;
  }
  return String(err);
}
