/**
 * Every exit path of `spark-job monitor`, through the bundled CLI and the real Kubernetes
 * client, against an in-process fake API server over HTTP.
 */
import { FakeKube, RUNNING, driverPod, terminated } from './support/fake-kube';
import { runCli, startCli, until, type CliRun } from './support/cli';

const POD = 'spark-pi-4c2f1a9e0b7d-driver';
let api: FakeKube;
let env: Record<string, string>;

beforeEach(async () => {
  api = new FakeKube();
  await api.start();
  env = { KUBECONFIG: api.writeKubeconfig(), SPARK_JOB_MONITOR_BACKOFF_MS: '50' };
});

afterEach(async () => {
  await api.stop();
});

const args = (...extra: string[]): string[] => ['monitor', '--driver-pod', POD, '--namespace', 'spark-clu', ...extra];

function firstStderrLine(run: CliRun): string {
  return run.stderr.split('\n')[0];
}

/** Starts monitor on a running driver and waits until it watches and follows the log. */
async function startOnRunningPod(extra: string[] = []) {
  api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }));
  api.appendLog(POD, 'Pi job starting');
  const cli = startCli(args(...extra), env);
  await until(() => api.openWatches === 1 && api.openLogFollows === 1, 'watch and log follow');
  return cli;
}

describe('monitor exit paths', () => {
  test('exits 0 when the driver pod succeeds, having watched (not polled) and streamed the log', async () => {
    const cli = await startOnRunningPod();
    api.appendLog(POD, 'Pi is roughly 3.14159', 'stopping SparkContext');
    await until(() => cli.stdout().includes('stopping SparkContext'), 'streamed log');
    api.endLogs();
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('driver pod spark-pi-4c2f1a9e0b7d-driver succeeded');
    const log = run.stdout.split('\n').filter((l) => /Pi job|Pi is|stopping/.test(l));
    expect(log).toEqual(['Pi job starting', 'Pi is roughly 3.14159', 'stopping SparkContext']);
    expect(api.count('GET', '/pods', (r) => r.query.get('watch') === null && !r.path.endsWith('/log'))).toBe(1);
    const watch = api.requests.find((r) => r.query.get('watch') === 'true');
    expect(watch?.query.get('fieldSelector')).toBe(`metadata.name=${POD}`);
    expect(watch?.authorization).toBe('Bearer test-token-0123456789');
  });

  test('exits 1 with the container exit code and reason first on stderr when the driver fails', async () => {
    const cli = await startOnRunningPod();
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(1, 'Error', 'Traceback: ValueError: bad input') } }));
    const run = await cli.result;
    expect(run.code).toBe(1);
    expect(firstStderrLine(run)).toBe(
      `spark-job monitor: driver pod ${POD} failed: container spark-kubernetes-driver terminated with exit code 1 (Error)`,
    );
    expect(run.stderr).toContain('ValueError: bad input');
  });

  test('exits 3 when the driver container is OOMKilled', async () => {
    const cli = await startOnRunningPod();
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(137, 'OOMKilled') } }));
    const run = await cli.result;
    expect(run.code).toBe(3);
    expect(firstStderrLine(run)).toBe(
      `spark-job monitor: driver pod ${POD} failed: container spark-kubernetes-driver terminated with exit code 137 (OOMKilled)`,
    );
  });

  test('exits 4 when the driver pod is deleted while running', async () => {
    const cli = await startOnRunningPod();
    api.removePod('spark-clu', POD);
    const run = await cli.result;
    expect(run.code).toBe(4);
    expect(firstStderrLine(run)).toBe(`spark-job monitor: driver pod ${POD} was deleted before it finished (last phase: Running)`);
  });

  test('exits 4 when the driver pod does not exist', async () => {
    const run = await runCli(args(), env);
    expect(run.code).toBe(4);
    expect(firstStderrLine(run)).toBe(`spark-job monitor: driver pod ${POD} not found in namespace spark-clu (deleted, or never created)`);
  });

  test('exits 5 when the kubelet evicts the driver pod', async () => {
    const cli = await startOnRunningPod();
    api.setPod(
      driverPod(POD, {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        container: { state: terminated(137, 'Error') },
      }),
    );
    const run = await cli.result;
    expect(run.code).toBe(5);
    expect(firstStderrLine(run)).toBe(`spark-job monitor: driver pod ${POD} was evicted: The node was low on resource: memory.`);
  });

  test('exits 5 when the driver pod is evicted through the eviction API (DisruptionTarget, then deleted)', async () => {
    const cli = await startOnRunningPod();
    const evicting = driverPod(POD, {
      phase: 'Running',
      container: { state: RUNNING },
      conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }],
    });
    api.removePod('spark-clu', POD, { ...evicting, metadata: { ...evicting.metadata, deletionTimestamp: '2026-11-23T14:03:00Z' } });
    const run = await cli.result;
    expect(run.code).toBe(5);
    expect(firstStderrLine(run)).toBe(`spark-job monitor: driver pod ${POD} was evicted (EvictionByEvictionAPI): Eviction API: evicting`);
  });

  test.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])('exits 6 when the driver image cannot be pulled (%s)', async (reason) => {
    api.setPod(driverPod(POD, { phase: 'Pending' }));
    const cli = startCli(args(), env);
    await until(() => api.openWatches === 1, 'watch');
    api.setPod(
      driverPod(POD, { phase: 'Pending', container: { image: 'registry.example/spark:nope', state: { waiting: { reason, message: 'manifest unknown' } } } }),
    );
    const run = await cli.result;
    expect(run.code).toBe(6);
    expect(firstStderrLine(run)).toBe(
      `spark-job monitor: driver pod ${POD} cannot start: image "registry.example/spark:nope" of container spark-kubernetes-driver cannot be pulled (${reason})`,
    );
    expect(run.stderr).toContain('manifest unknown');
  });

  test('exits 7 when --timeout elapses', async () => {
    const started = Date.now();
    const cli = await startOnRunningPod(['--timeout', '2s']);
    const run = await cli.result;
    expect(run.code).toBe(7);
    expect(firstStderrLine(run)).toBe(`spark-job monitor: driver pod ${POD} did not finish within 2s (last phase: Running)`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - started).toBeLessThan(10000);
  });

  test('exits 143 promptly on SIGTERM (node is PID 1 in the image)', async () => {
    const cli = await startOnRunningPod();
    cli.kill('SIGTERM');
    const run = await cli.result;
    expect(run.code).toBe(143);
    expect(run.stderr.split('\n')[0]).toBe('spark-job: received SIGTERM, stopping');
  });

  test('asks the server to end each watch after a bounded time', async () => {
    const cli = await startOnRunningPod();
    const watch = api.requests.find((r) => r.query.get('watch') === 'true');
    expect(Number(watch?.query.get('timeoutSeconds'))).toBeGreaterThanOrEqual(240);
    expect(Number(watch?.query.get('timeoutSeconds'))).toBeLessThan(360);
    expect(watch?.query.get('allowWatchBookmarks')).toBe('true');
    cli.kill();
    await cli.result;
  });

  test('exits 2 naming the flag and value on a bad --timeout', async () => {
    const run = await runCli(args('--timeout', '2 hours'), env);
    expect(run.code).toBe(2);
    expect(firstStderrLine(run)).toBe('spark-job monitor: --timeout "2 hours" is not a duration (use e.g. 90s, 30m, 2h or 1h30m)');
  });

  test('exits 2 when --driver-pod is missing', async () => {
    const run = await runCli(['monitor', '--namespace', 'spark-clu'], env);
    expect(run.code).toBe(2);
    expect(firstStderrLine(run)).toMatch(/^spark-job monitor: --driver-pod is required/);
  });

  test('exits 10 when the API refuses (403)', async () => {
    api.failAll = 403;
    const run = await runCli(args(), env);
    expect(run.code).toBe(10);
    expect(firstStderrLine(run)).toMatch(new RegExp(`^spark-job monitor: cannot list driver pod spark-clu/${POD}: HTTP 403: pods is forbidden`));
  });

  test('exits 10 after bounded retries when the API is unreachable', async () => {
    const port = api.port;
    await api.stop();
    const run = await runCli(args(), { ...env, SPARK_JOB_MONITOR_MAX_RETRIES: '2' });
    expect(run.code).toBe(10);
    expect(firstStderrLine(run)).toMatch(/^spark-job monitor: cannot list driver pod .*gave up after 3 consecutive failures/);
    expect(run.stdout.match(/retrying in 50ms/g)).toHaveLength(2);
    expect(port).toBeGreaterThan(0);
  });
});

describe('monitor resilience', () => {
  test('re-lists and resumes from the new resourceVersion after a 410 Gone watch event', async () => {
    api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }));
    api.goneOnWatch = 1;
    const cli = startCli(args(), env);
    await until(() => api.openWatches === 1, 'second watch');
    expect(api.count('GET', '/pods', (r) => r.query.get('watch') === 'true')).toBe(2);
    const lists = api.requests.filter((r) => r.query.get('watch') === null && !r.path.endsWith('/log') && r.path.endsWith('/pods'));
    expect(lists).toHaveLength(2);
    const watches = api.requests.filter((r) => r.query.get('watch') === 'true');
    expect(watches[1].query.get('resourceVersion')).toBe(api.resourceVersion);
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('410 Gone');
  });

  test('re-lists after an HTTP 410 answer to the watch request', async () => {
    api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }));
    api.goneHttpOnWatch = 1;
    const cli = startCli(args(), env);
    await until(() => api.openWatches === 1, 'second watch');
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(api.count('GET', '/pods', (r) => r.query.get('watch') === 'true')).toBe(2);
  });

  test('resumes after a dropped watch connection and sees a change made while disconnected', async () => {
    const cli = await startOnRunningPod();
    api.dropWatches();
    // Changed while no watch is open: the re-list must catch it.
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(2, 'Error') } }));
    const run = await cli.result;
    expect(run.code).toBe(1);
    expect(firstStderrLine(run)).toContain('terminated with exit code 2 (Error)');
    expect(api.count('GET', '/pods', (r) => r.query.get('watch') === null && r.path.endsWith('/pods'))).toBe(2);
  });

  test('resumes after the server ends the watch cleanly', async () => {
    const cli = await startOnRunningPod();
    api.endWatches();
    await until(() => api.openWatches === 1, 'new watch');
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    expect((await cli.result).code).toBe(0);
  });

  test('resumes a dropped log stream with sinceTime and prints every line once', async () => {
    const cli = await startOnRunningPod();
    api.appendLog(POD, 'line 2', 'line 3');
    await until(() => cli.stdout().includes('line 3'), 'line 3');
    api.dropLogs();
    api.appendLog(POD, 'line 4');
    await until(() => api.openLogFollows === 1, 'log follow resumed', 5000);
    api.appendLog(POD, 'line 5');
    await until(() => cli.stdout().includes('line 5'), 'line 5');
    api.endLogs();
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => /^(Pi job starting|line \d)$/.test(l));
    expect(lines).toEqual(['Pi job starting', 'line 2', 'line 3', 'line 4', 'line 5']);
    const logRequests = api.requests.filter((r) => r.path.endsWith('/log') && r.query.get('follow') === 'true');
    expect(logRequests.length).toBeGreaterThanOrEqual(2);
    expect(logRequests[1].query.get('sinceTime')).toMatch(/^2026-11-23T14:00:\d\dZ$/);
  });

  test('keeps watching when the log cannot be read, says so once and backs off', async () => {
    api.failLogs = 403;
    api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }));
    const cli = startCli(args(), env);
    await until(() => api.openWatches === 1, 'watch');
    await new Promise((r) => setTimeout(r, 2500));
    const attempts = api.count('GET', '/log');
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3); // 1 s, then 2 s: not once a second
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(run.stdout.match(/cannot stream the driver log \(HTTP 403: pods "[^"]+" is forbidden/g)).toHaveLength(1);
  });

  test('prints the whole log of a driver that had already finished, then exits with its result', async () => {
    api.appendLog(POD, 'early line', 'Traceback (most recent call last):', 'ValueError: boom');
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(1, 'Error') } }));
    const run = await runCli(args(), env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('early line\nTraceback (most recent call last):\nValueError: boom\n');
  });

  test('prints log lines written after the follow stream ended (the tail)', async () => {
    const cli = await startOnRunningPod();
    api.endLogs();
    // Lines the follow stream never delivered (it ended) must still be printed at the end.
    api.appendLog(POD, 'late line 1', 'late line 2');
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('late line 1\nlate line 2\n');
    expect(run.stdout.match(/late line 1/g)).toHaveLength(1);
  });
});
