// A TCP proxy on 127.0.0.1 that the e2e test can cut, to drop a client's connections to the
// API server on purpose (the TLS session passes through untouched).
//   node cutproxy.mjs <port-file> <target-host> <target-port>
// Writes the port it listens on to <port-file>. Signals:
//   SIGUSR1  cut: destroy every open connection and refuse new ones (accept + destroy at once)
//   SIGUSR2  resume: forward new connections again
// Logs one line per event to stderr.
import { createServer, connect } from 'node:net';
import { writeFileSync } from 'node:fs';

const [portFile, host, port] = process.argv.slice(2);
const open = new Set();
let up = true;
let total = 0;
const log = (m) => process.stderr.write(`[cutproxy] ${new Date().toISOString()} ${m}\n`);

const server = createServer((client) => {
  if (!up) {
    client.destroy();
    log('refused a connection (cut)');
    return;
  }
  total++;
  const upstream = connect(Number(port), host);
  const pair = { client, upstream };
  open.add(pair);
  const close = () => {
    client.destroy();
    upstream.destroy();
    open.delete(pair);
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, '127.0.0.1', () => {
  writeFileSync(portFile, String(server.address().port));
  log(`listening on 127.0.0.1:${server.address().port} -> ${host}:${port}`);
});
process.on('SIGUSR1', () => {
  up = false;
  const n = open.size;
  for (const { client, upstream } of open) {
    client.resetAndDestroy ? client.resetAndDestroy() : client.destroy();
    upstream.destroy();
  }
  open.clear();
  log(`cut: destroyed ${n} open connection(s) of ${total}; refusing new ones`);
});
process.on('SIGUSR2', () => {
  up = true;
  log('resumed');
});
process.on('SIGTERM', () => process.exit(0));
