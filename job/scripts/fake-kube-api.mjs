#!/usr/bin/env node
// A permissive fake Kubernetes API server, used only by scripts/capture-spark-output.sh
// to record what a real spark-submit prints in cluster mode. It stores what is POSTed,
// echoes PATCHes, answers GETs from its store and serves a one-event watch.
//
// Usage: node fake-kube-api.mjs <port-file> [mode]
//   mode: ok (default) | forbidden (403 on pod create) | conflict (409 on pod create)
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const [portFile, mode = 'ok'] = process.argv.slice(2);
const store = new Map();
let rv = 1000;
const requests = [];

function status(code, reason, message, details) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function send(res, code, body) {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    const raw = Buffer.concat(chunks).toString('utf8');
    requests.push(`${req.method} ${url.pathname}${url.search} ${req.headers['content-type'] ?? ''}`);
    process.stderr.write(`fake-kube-api: ${req.method} ${req.url} ${req.headers['content-type'] ?? ''}\n`);
    // /api/v1/namespaces/<ns>/<kind>[/<name>]
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/);
    if (!m) {
      send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
      return;
    }
    const [, ns, kind, name] = m;
    if (req.method === 'POST') {
      let obj;
      try { obj = JSON.parse(raw); } catch { send(res, 400, status(400, 'BadRequest', 'body is not JSON')); return; }
      const objName = obj.metadata?.name;
      if (kind === 'pods' && mode === 'forbidden') {
        send(res, 403, status(403, 'Forbidden', `pods is forbidden: User "system:serviceaccount:${ns}:default" cannot create resource "pods" in API group "" in the namespace "${ns}"`, { kind: 'pods' }));
        return;
      }
      if (kind === 'pods' && mode === 'conflict') {
        send(res, 409, status(409, 'AlreadyExists', `pods "${objName}" already exists`, { name: objName, kind: 'pods' }));
        return;
      }
      rv += 1;
      obj.metadata = { ...obj.metadata, namespace: ns, uid: randomUUID(), resourceVersion: String(rv), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      if (kind === 'pods') obj.status = { phase: 'Pending', qosClass: 'Burstable' };
      store.set(`${ns}/${kind}/${objName}`, obj);
      if (kind === 'pods') {
        process.stderr.write(`fake-kube-api: created pod ${objName} labels ${JSON.stringify(obj.metadata.labels ?? {})}\n`);
      }
      send(res, 201, obj);
      return;
    }
    if (req.method === 'PATCH') {
      let obj;
      try { obj = JSON.parse(raw); } catch { obj = { metadata: { name } }; }
      const key = `${ns}/${kind}/${name}`;
      rv += 1;
      const merged = { ...(store.get(key) ?? {}), ...obj, metadata: { ...(store.get(key)?.metadata ?? {}), ...obj.metadata, namespace: ns, uid: store.get(key)?.metadata?.uid ?? randomUUID(), resourceVersion: String(rv) } };
      store.set(key, merged);
      send(res, 200, merged);
      return;
    }
    if (req.method === 'GET') {
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const pod = [...store.entries()].find(([k]) => k.startsWith(`${ns}/${kind}/`));
        if (pod) res.write(JSON.stringify({ type: 'ADDED', object: pod[1] }) + '\n');
        setTimeout(() => res.end(), 2000);
        return;
      }
      if (!name) {
        const items = [...store.entries()].filter(([k]) => k.startsWith(`${ns}/${kind}/`)).map(([, v]) => v);
        send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
        return;
      }
      const obj = store.get(`${ns}/${kind}/${name}`);
      if (obj) send(res, 200, obj); else send(res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }));
      return;
    }
    if (req.method === 'DELETE') {
      const key = `${ns}/${kind}/${name}`;
      const obj = store.get(key);
      store.delete(key);
      send(res, 200, obj ?? status(404, 'NotFound', `${kind} "${name}" not found`));
      return;
    }
    send(res, 405, status(405, 'MethodNotAllowed', `${req.method} not allowed`));
  });
});

server.listen(0, '127.0.0.1', () => {
  writeFileSync(portFile, String(server.address().port));
});
process.on('SIGTERM', () => {
  process.stderr.write(`fake-kube-api: ${requests.length} requests\n`);
  server.close();
  process.exit(0);
});
