import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyFailure, parseDeployment, parseStandaloneAppId, relevantLines } from '../src/parse';
import { driverPodName } from '../src/podname';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const captured = (name: string): string => fixture(`spark-4.1.2-${name}.stdout.txt`) + fixture(`spark-4.1.2-${name}.stderr.txt`);

describe('parseDeployment on captured spark-submit 4.1.2 output (3.3+ format)', () => {
  test('reads name, application ID and submission ID', () => {
    const d = parseDeployment(captured('deployed'));
    expect(d).toEqual({
      format: 'spark-3.3+',
      appName: 'spark pi',
      appId: expect.stringMatching(/^spark-[0-9a-f]{32}$/),
      namespace: 'spark-clu',
      driverPod: driverPodName('spark pi', 'manual__2026-11-23T14:00:00.123456+00:00'),
      submissionId: `spark-clu:${driverPodName('spark pi', 'manual__2026-11-23T14:00:00.123456+00:00')}`,
    });
    expect(fixture('spark-4.1.2-deployed.exitcode.txt').trim()).toBe('0');
  });

  test.each(['forbidden', 'already-exists', 'connection-refused'])('finds no deployment in the %s capture, which exited non-zero', (name) => {
    expect(parseDeployment(captured(name))).toBeUndefined();
    expect(fixture(`spark-4.1.2-${name}.exitcode.txt`).trim()).not.toBe('0');
  });
});

describe('parseDeployment on older formats', () => {
  test('3.0: submission ID, final period, app name with spaces', () => {
    expect(parseDeployment(fixture('spark-3.0-deployed.stderr.txt'))).toEqual({
      format: 'spark-3.0-3.2',
      appName: 'daily report',
      appId: null,
      namespace: 'spark-clu',
      driverPod: 'daily-report-3a7c9e2f4b1d-driver',
      submissionId: 'spark-clu:daily-report-3a7c9e2f4b1d-driver',
    });
  });

  test('3.1/3.2: submission ID without final period', () => {
    expect(parseDeployment(fixture('spark-3.2-deployed.stderr.txt'))).toMatchObject({
      format: 'spark-3.0-3.2',
      appName: 'daily report',
      driverPod: 'daily-report-3a7c9e2f4b1d-driver',
    });
  });

  test('2.x: pod identity from the last LoggingPodStatusWatcherImpl block, app ID from its spark-app-selector label', () => {
    expect(parseDeployment(fixture('spark-2.4-deployed.stderr.txt'))).toEqual({
      format: 'spark-2.x',
      appName: 'nightly etl with spaces',
      appId: 'spark-5d1c0e6a8b2f4c3e9a7b1d0f2e4c6a8b',
      namespace: 'spark-clu',
      driverPod: 'nightly-etl-with-spaces-9f2c4e1ab3d0-driver',
      submissionId: 'spark-clu:nightly-etl-with-spaces-9f2c4e1ab3d0-driver',
    });
  });

  test('2.x: the last block wins', () => {
    const text = fixture('spark-2.4-deployed.stderr.txt');
    const pod = 'nightly-etl-with-spaces-9f2c4e1ab3d0-driver';
    const second = text.indexOf(pod, text.indexOf(pod) + 1);
    expect(second).toBeGreaterThan(0);
    const twoPods = `${text.slice(0, second)}second-pod-driver${text.slice(second + pod.length)}`;
    expect(parseDeployment(twoPods)?.driverPod).toBe('second-pod-driver');
  });

  test('2.x: a deployment line without any state block is not enough', () => {
    expect(parseDeployment('19/03/04 12:00:04 INFO Client: Deployed Spark application x into Kubernetes.\n')).toBeUndefined();
  });

  test('app names containing " with " and structured (JSON) log lines', () => {
    const line = JSON.stringify({
      ts: '2026-11-23T14:00:00.000Z',
      level: 'INFO',
      msg: 'Deployed Spark application join with lookup with application ID spark-abc and submission ID ns1:join-driver into Kubernetes',
      logger: 'Client',
    });
    expect(parseDeployment(`${line}\n`)).toMatchObject({ appName: 'join with lookup', appId: 'spark-abc', namespace: 'ns1', driverPod: 'join-driver' });
  });

  test('unknown output gives no deployment', () => {
    expect(parseDeployment('Hello\nsomething else entirely\n')).toBeUndefined();
    expect(parseDeployment('')).toBeUndefined();
  });
});

describe('failures', () => {
  test('tells a Pod Security rejection from an RBAC denial', () => {
    const out = 'Exception in thread "main" io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: https://127.0.0.1:6443/api/v1/namespaces/spark-clu/pods. Message: pods "spark-pi-driver" is forbidden: violates PodSecurity "restricted:v1.28": allowPrivilegeEscalation != false. Received status: Status(code=403, reason=Forbidden)';
    expect(classifyFailure(out)).toBe('pod-security');
    expect(relevantLines(out).join('\n')).toContain('violates PodSecurity');
  });

  test.each([
    ['forbidden', 'forbidden', /pods is forbidden: User "system:serviceaccount:spark-clu:default" cannot create resource "pods"/],
    ['already-exists', 'already-exists', /already exists/],
    ['connection-refused', 'connection-refused', /Connection refused/],
  ])('classifies the captured %s output and quotes its relevant lines', (name, kind, quoted) => {
    const out = captured(name);
    expect(classifyFailure(out)).toBe(kind);
    const lines = relevantLines(out);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.join('\n')).toMatch(quoted);
    expect(lines.some((l) => /^\s+at /.test(l))).toBe(false);
  });

  test('quotes the last lines when nothing looks like an error', () => {
    expect(relevantLines('a\nb\n\nc\n', 2)).toEqual(['b', 'c']);
  });
});

test('parseStandaloneAppId reads the app ID a client-mode driver prints (captured from a real standalone cluster)', () => {
  expect(parseStandaloneAppId(captured('standalone'))).toMatch(/^app-\d{14}-\d{4}$/);
  expect(fixture('spark-4.1.2-standalone.stdout.txt')).toMatch(/^Pi is roughly 3\.1\d+$/m);
  expect(fixture('spark-4.1.2-standalone.exitcode.txt').trim()).toBe('0');
  expect(parseDeployment(captured('standalone'))).toBeUndefined();
  expect(parseStandaloneAppId('nothing here')).toBeNull();
});
