/**
 * The object store of the staging-shaped variant's event logs: versitygw (an S3 server, built from
 * its Go module by test/cluster/build.sh) on the host, at the node's address, as an S3 service
 * outside the cluster would be. It verifies every request's AWS Signature V4 against one access
 * key and secret, so an app that writes there has used the credentials of the Secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './checks';

/** A running store: its endpoint, the credentials it accepts, and its data on the host. */
export interface ObjectStore {
  /** `http://<host>:<port>`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The posix root: bucket `b`, object `k` is the file `<root>/b/k`. */
  readonly root: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

/**
 * Starts versitygw's posix backend on `host:port` with fresh random credentials and the given
 * buckets (directories of the root), and waits (bounded) until it answers.
 */
export async function startObjectStore(binary: string | undefined, host: string, port: number, buckets: readonly string[]): Promise<ObjectStore> {
  if (!binary) throw new Error('VERSITYGW is not set: test/cluster/build.sh builds it and run.sh passes it to the node (node.sh env)');
  const base = mkdtempSync(join(tmpdir(), 'sak-object-store-'));
  const root = join(base, 'root');
  for (const bucket of buckets) mkdirSync(join(root, bucket), { recursive: true });
  const logFile = join(base, 'versitygw.log');
  const accessKeyId = `SAK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const fd = openSync(logFile, 'a');
  // credentials by environment, never on a command line another process could read
  const child: ChildProcess = spawn(binary, ['--port', `${host}:${port}`, 'posix', root], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    stdio: ['ignore', fd, fd],
  });
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited (${code ?? signal})`; });
  const endpoint = `http://${host}:${port}`;
  const log = () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } };
  const stop = async () => {
    if (exited === undefined) {
      const gone = new Promise<void>((res) => child.once('exit', () => res()));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((res) => setTimeout(res, 10_000))]);
      if (exited === undefined) child.kill('SIGKILL');
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    // an unsigned request is refused (403): the server is up and checks signatures
    await waitFor(`versitygw to answer on ${endpoint}`, 30_000, async (state) => {
      if (exited) throw new Error(`versitygw ${exited}:\n${log().slice(-2000)}`);
      try {
        const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
        state.last = `HTTP ${res.status}`;
        return res.status === 403 ? true : undefined;
      } catch (err) {
        state.last = (err as Error).message;
        return undefined;
      }
    }, 250);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, accessKeyId, secretAccessKey, root, stop, log };
}
