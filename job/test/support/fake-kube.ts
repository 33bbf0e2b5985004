/**
 * An in-process fake of the few Kubernetes API endpoints spark-job uses, served over real HTTP
 * so the real @kubernetes/client-node inside the CLI talks to it: pod get/list/delete, pod
 * watch (events pushed by the test, drops, 410 Gone) and pod logs (follow, sinceTime, drops).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TOKEN = 'test-token-0123456789';

/** Enough of a V1Pod for the tests. */
export interface FakePod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec?: { containers: { name: string; image?: string }[]; volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[] };
  status?: Record<string, unknown>;
}

export interface LogLine {
  readonly ts: string;
  readonly text: string;
}

interface Watcher {
  readonly res: ServerResponse;
  readonly namespace: string;
  readonly name: string | undefined;
}

interface LogFollower {
  readonly res: ServerResponse;
  readonly pod: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
}

/** A Secret as created through the fake (POST .../secrets). */
export interface FakeSecret {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
}

export class FakeKube {
  readonly requests: RecordedRequest[] = [];
  /** ConfigMaps that exist, as namespace/name. */
  readonly configMaps = new Set<string>();
  /** Secrets created through the API, by namespace/name. */
  readonly secrets = new Map<string, FakeSecret>();
  /** Answer watch requests with this status (e.g. 403). */
  failWatch: number | undefined;
  /** Answer Secret creation with this status (e.g. 403: no RBAC for secrets). */
  failSecretCreate: number | undefined;
  private readonly pods = new Map<string, FakePod>();
  private readonly logs = new Map<string, LogLine[]>();
  private watchers: Watcher[] = [];
  private followers: LogFollower[] = [];
  private readonly sockets = new Set<Socket>();
  private rv = 100;
  private server: Server | undefined;
  /** The next N GETs of a pod answer 404 although it exists (to stage races). */
  hideOnGet = 0;
  /** The next N watch requests get an ERROR 410 event and are closed. */
  goneOnWatch = 0;
  /** The next N watch requests get an HTTP 410 response. */
  goneHttpOnWatch = 0;
  /** Answer log requests with this status (e.g. 403: no RBAC for pods/log). */
  failLogs: number | undefined;
  /** Answer every request with this status (e.g. 403). */
  failAll: number | undefined;
  /** On DELETE: remove at once (true) or only mark deletionTimestamp (false). */
  deleteRemoves = true;
  /** GETs that still see a deleted pod before it disappears. */
  lingerAfterDelete = 0;
  private lingering = new Map<string, number>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) {
      s.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A kubeconfig pointing at this server with a bearer token. */
  writeKubeconfig(dir: string = mkdtempSync(join(tmpdir(), 'spark-job-kube-'))): string {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${this.url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: tester',
        '  user:',
        `    token: ${TOKEN}`,
        'contexts:',
        '- name: fake',
        '  context: {cluster: fake, user: tester, namespace: spark-clu}',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Creates or replaces a pod; tells watchers (ADDED or MODIFIED). */
  setPod(pod: FakePod): FakePod {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const existed = this.pods.has(key);
    const stored: FakePod = {
      apiVersion: 'v1',
      kind: 'Pod',
      ...pod,
      metadata: {
        uid: `uid-${pod.metadata.name}`,
        creationTimestamp: '2026-11-23T14:00:05Z',
        ...pod.metadata,
        resourceVersion: this.nextRv(),
      },
    };
    this.pods.set(key, stored);
    const phase = (stored.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // As the kubelet does: a follow ends when the container has exited.
      this.endLogs(stored.metadata.name);
    }
    this.emit(existed ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  getPod(namespace: string, name: string): FakePod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  /** Removes a pod; tells watchers (DELETED). */
  removePod(namespace: string, name: string, last?: FakePod): void {
    const key = `${namespace}/${name}`;
    const pod = last ?? this.pods.get(key);
    this.pods.delete(key);
    this.endLogs(name);
    if (pod) {
      this.emit('DELETED', { ...pod, metadata: { ...pod.metadata, resourceVersion: this.nextRv() } });
    }
  }

  /** Sends one watch event to every open watch of that pod. */
  emit(type: string, object: unknown): void {
    const pod = object as FakePod;
    for (const w of this.watchers) {
      if (type === 'ERROR' || ((w.name === undefined || w.name === pod.metadata.name) && w.namespace === pod.metadata.namespace)) {
        w.res.write(`${JSON.stringify({ type, object })}\n`);
      }
    }
  }

  get openWatches(): number {
    return this.watchers.length;
  }

  get openLogFollows(): number {
    return this.followers.length;
  }

  /** Kills every open watch connection without a clean end (a dropped connection). */
  dropWatches(): void {
    for (const w of this.watchers) {
      w.res.socket?.destroy();
    }
    this.watchers = [];
  }

  /** Ends every open watch cleanly (as the API server does at its watch timeout). */
  endWatches(): void {
    for (const w of this.watchers) {
      w.res.end();
    }
    this.watchers = [];
  }

  /** Kills every open log follow connection. */
  dropLogs(): void {
    for (const f of this.followers) {
      f.res.socket?.destroy();
    }
    this.followers = [];
  }

  /** Ends open log follows cleanly (the container exited), of one pod or all. */
  endLogs(pod?: string): void {
    for (const f of this.followers) {
      if (pod === undefined || f.pod === pod) {
        f.res.end();
      }
    }
    this.followers = this.followers.filter((f) => pod !== undefined && f.pod !== pod);
  }

  /** Appends log lines to a pod's container log and to open follows. */
  appendLog(pod: string, ...texts: string[]): void {
    const lines = this.logs.get(pod) ?? [];
    for (const text of texts) {
      const line = { ts: nextLogTimestamp(), text };
      lines.push(line);
      for (const f of this.followers) {
        if (f.pod === pod) {
          f.res.write(`${line.ts} ${line.text}\n`);
        }
      }
    }
    this.logs.set(pod, lines);
  }

  count(method: string, pathPart: string, filter?: (r: RecordedRequest) => boolean): number {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathPart) && (!filter || filter(r))).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handlePost(req, res, url, body));
      return;
    }
    req.resume();
    const send = (code: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(text);
    };
    const status = (code: number, reason: string, message: string): void =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      status(401, 'Unauthorized', 'Unauthorized');
      return;
    }
    if (this.failAll !== undefined) {
      status(this.failAll, this.failAll === 403 ? 'Forbidden' : 'InternalError', `pods is forbidden: User "system:serviceaccount:spark-clu:airflow" cannot get resource "pods"`);
      return;
    }
    const configMapGet = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && configMapGet) {
      if (this.configMaps.has(`${configMapGet[1]}/${configMapGet[2]}`)) send(200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapGet[2], namespace: configMapGet[1] } });
      else status(404, 'NotFound', `configmaps "${configMapGet[2]}" not found`);
      return;
    }
    const secretGet = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && secretGet) {
      const secret = this.secrets.get(`${secretGet[1]}/${secretGet[2]}`);
      if (secret) send(200, secret);
      else status(404, 'NotFound', `secrets "${secretGet[2]}" not found`);
      return;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?(\/log)?$/.exec(url.pathname);
    if (!m) {
      status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
      return;
    }
    const [, namespace, name, isLog] = m;
    const key = `${namespace}/${name}`;

    if (isLog && name) {
      this.serveLog(res, namespace, name, url.searchParams);
      return;
    }
    if (req.method === 'GET' && name) {
      const pod = this.pods.get(key);
      if (pod && this.hideOnGet > 0) {
        this.hideOnGet--;
        status(404, 'NotFound', `pods "${name}" not found`);
        return;
      }
      const linger = this.lingering.get(key);
      if (linger !== undefined && linger > 0) {
        this.lingering.set(key, linger - 1);
        send(200, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, deletionTimestamp: '2026-11-23T14:10:00Z' }, status: { phase: 'Failed' } });
        return;
      }
      if (pod) {
        send(200, pod);
      } else {
        status(404, 'NotFound', `pods "${name}" not found`);
      }
      return;
    }
    if (req.method === 'DELETE' && name) {
      const pod = this.pods.get(key);
      if (!pod) {
        status(404, 'NotFound', `pods "${name}" not found`);
        return;
      }
      if (this.deleteRemoves) {
        this.lingering.set(key, this.lingerAfterDelete);
        this.removePod(namespace, name);
      } else {
        this.setPod({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-11-23T14:10:00Z' } });
      }
      send(200, pod);
      return;
    }
    if (req.method === 'GET' && !name) {
      const field = url.searchParams.get('fieldSelector') ?? '';
      const wanted = /^metadata\.name=(.+)$/.exec(field)?.[1];
      if (url.searchParams.get('watch') === 'true') {
        if (this.failWatch !== undefined) {
          status(this.failWatch, 'Forbidden', 'pods is forbidden: cannot watch');
          return;
        }
        if (this.goneHttpOnWatch > 0) {
          this.goneHttpOnWatch--;
          status(410, 'Expired', 'too old resource version');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        if (this.goneOnWatch > 0) {
          this.goneOnWatch--;
          res.write(
            `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (2)', reason: 'Expired', code: 410 } })}\n`,
          );
          res.end();
          return;
        }
        const watcher = { res, namespace, name: wanted };
        this.watchers.push(watcher);
        res.on('close', () => {
          this.watchers = this.watchers.filter((w) => w !== watcher);
        });
        return;
      }
      const items = [...this.pods.values()].filter((p) => p.metadata.namespace === namespace && (!wanted || p.metadata.name === wanted));
      send(200, { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: this.resourceVersion }, items });
      return;
    }
    status(405, 'MethodNotAllowed', `${req.method} not supported by the fake`);
  }

  /** POST of a pod (the fake spark-submit creating its driver) or a Secret. */
  private handlePost(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    const send = (code: number, obj: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const status = (code: number, reason: string, message: string): void =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      status(401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|secrets)$/.exec(url.pathname);
    if (!m) {
      status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
      return;
    }
    const [, namespace, kind] = m;
    const obj = JSON.parse(body) as { metadata: { name: string } };
    const key = `${namespace}/${obj.metadata.name}`;
    if (kind === 'pods') {
      if (this.pods.has(key)) {
        status(409, 'AlreadyExists', `pods "${obj.metadata.name}" already exists`);
        return;
      }
      send(201, this.setPod({ ...(obj as FakePod), metadata: { ...(obj as FakePod).metadata, namespace } }));
      return;
    }
    if (this.failSecretCreate !== undefined) {
      status(this.failSecretCreate, 'Forbidden', `secrets is forbidden: User "system:serviceaccount:spark-clu-jobs:spark-submitter" cannot create resource "secrets" in API group "" in the namespace "${namespace}"`);
      return;
    }
    if (this.secrets.has(key)) {
      status(409, 'AlreadyExists', `secrets "${obj.metadata.name}" already exists`);
      return;
    }
    const secret = { ...(obj as FakeSecret), metadata: { ...(obj as FakeSecret).metadata, namespace } };
    this.secrets.set(key, secret);
    send(201, secret);
  }

  private serveLog(res: ServerResponse, namespace: string, name: string, query: URLSearchParams): void {
    if (this.failLogs !== undefined) {
      res.writeHead(this.failLogs, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: this.failLogs, message: `pods "${name}" is forbidden: cannot get resource "pods/log"` }));
      return;
    }
    if (!this.pods.has(`${namespace}/${name}`)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 404, message: `pods "${name}" not found` }));
      return;
    }
    const since = query.get('sinceTime');
    const lines = (this.logs.get(name) ?? []).filter((l) => !since || l.ts.slice(0, 19) >= since.slice(0, 19));
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    for (const l of lines) {
      res.write(`${query.get('timestamps') === 'true' ? `${l.ts} ` : ''}${l.text}\n`);
    }
    if (query.get('follow') === 'true') {
      const follower = { res, pod: name };
      this.followers.push(follower);
      res.on('close', () => {
        this.followers = this.followers.filter((f) => f !== follower);
      });
    } else {
      res.end();
    }
  }
}

let logClock = Date.parse('2026-11-23T14:00:10Z');
/** Kubelet-style RFC3339Nano timestamps, several lines per second (to exercise resume). */
function nextLogTimestamp(): string {
  logClock += 250;
  const d = new Date(logClock);
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}123456Z`;
}

/** A driver pod in a given state. */
export function driverPod(
  name: string,
  state: { phase: string; container?: Record<string, unknown>; reason?: string; message?: string; conditions?: unknown[]; init?: Record<string, unknown> },
  extra: Partial<FakePod['metadata']> = {},
): FakePod {
  const containerStatus = state.container
    ? [{ name: 'spark-kubernetes-driver', image: 'apache/spark:4.1.2', ready: false, restartCount: 0, imageID: '', ...state.container }]
    : undefined;
  return {
    metadata: { name, namespace: 'spark-clu', labels: { 'spark-app-selector': 'spark-0123456789abcdef', 'spark-role': 'driver' }, ...extra },
    spec: { containers: [{ name: 'spark-kubernetes-driver', image: 'apache/spark:4.1.2' }] },
    status: {
      phase: state.phase,
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.message ? { message: state.message } : {}),
      ...(state.conditions ? { conditions: state.conditions } : {}),
      ...(containerStatus ? { containerStatuses: containerStatus } : {}),
      ...(state.init ? { initContainerStatuses: [{ name: 'init', image: 'busybox', ready: false, restartCount: 0, imageID: '', ...state.init }] } : {}),
    },
  };
}

export const RUNNING = { running: { startedAt: '2026-11-23T14:00:09Z' } };
export const terminated = (exitCode: number, reason: string, message?: string): Record<string, unknown> => ({
  terminated: { exitCode, reason, ...(message ? { message } : {}), startedAt: '2026-11-23T14:00:09Z', finishedAt: '2026-11-23T14:05:00Z' },
});
