/**
 * `spark-job submit` end to end through the bundled CLI: the real Kubernetes client against the
 * in-process fake API, and a fake spark-submit (SPARK_HOME/bin/spark-submit) that records its
 * arguments and replays output captured from a real spark-submit 4.1.2.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKube, RUNNING, TOKEN, driverPod, terminated } from './support/fake-kube';
import { fakeSparkHome } from './support/fake-spark';
import { runCli, startCli, until } from './support/cli';
import { appAuthSecretName, driverPodName } from '../src/podname';
import { RETURN_VALUE_KEYS } from '../src/xcom';

const RUN = 'scheduled__2026-11-23T00:00:00+00:00';
const POD = driverPodName('spark pi', RUN);
const fixtures = join(__dirname, 'fixtures');
const sparkHome = fakeSparkHome();

let api: FakeKube;
let work: string;
let env: Record<string, string>;

beforeEach(async () => {
  api = new FakeKube();
  await api.start();
  work = mkdtempSync(join(tmpdir(), 'spark-job-submit-'));
  env = {
    KUBECONFIG: api.writeKubeconfig(work),
    SPARK_HOME: sparkHome,
    SPARK_JOB_XCOM_FILE: join(work, 'xcom', 'return.json'),
    FAKE_SPARK_ARGS: join(work, 'spark-submit.args'),
    FAKE_SPARK_MODE: 'deployed',
    SPARK_NAMESPACE: 'spark-clu',
    SPARK_JOB_K8S_MASTER: 'k8s://http://127.0.0.1:1',
    FAKE_KUBE_URL: api.url,
    FAKE_KUBE_TOKEN: TOKEN,
  };
});

afterEach(async () => {
  await api.stop();
});

const submitArgs = (...extra: string[]): string[] => [
  'submit', '--name', 'spark pi', '--run-id', RUN, ...extra, '--', '--class', 'org.apache.spark.examples.SparkPi', 'local:///opt/spark/examples/jars/spark-examples.jar',
];

function replay(name: string): Record<string, string> {
  return {
    FAKE_SPARK_MODE: 'replay',
    FAKE_SPARK_STDOUT: join(fixtures, `spark-4.1.2-${name}.stdout.txt`),
    FAKE_SPARK_STDERR: join(fixtures, `spark-4.1.2-${name}.stderr.txt`),
    FAKE_SPARK_EXIT: readFileSync(join(fixtures, `spark-4.1.2-${name}.exitcode.txt`), 'utf8').trim(),
  };
}

const returnJson = (): Record<string, unknown> => JSON.parse(readFileSync(env.SPARK_JOB_XCOM_FILE, 'utf8')) as Record<string, unknown>;
const sparkSubmitRan = (): boolean => existsSync(env.FAKE_SPARK_ARGS);

describe('submit to Kubernetes', () => {
  test('submits when no driver exists and writes return.json from spark-submit\'s report', async () => {
    const before = Date.now();
    const run = await runCli(submitArgs(), env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // one GET before spark-submit (adopt?); the new pod's UID comes from the watch
    expect(api.count('GET', `/pods/${POD}`)).toBe(1);
    expect(api.count('GET', '/pods', (r) => r.query.get('watch') === 'true')).toBe(1);
    const args = readFileSync(env.FAKE_SPARK_ARGS, 'utf8').split('\n');
    expect(args).toContain(`spark.kubernetes.driver.pod.name=${POD}`);
    expect(args).toContain('k8s://http://127.0.0.1:1');
    const value = returnJson();
    expect(Object.keys(value)).toEqual([...RETURN_VALUE_KEYS]);
    expect(value).toMatchObject({
      driverPod: POD,
      namespace: 'spark-clu',
      appName: 'spark pi',
      appId: 'spark-feedc0ffee0123456789abcdef012345',
      submissionId: `spark-clu:${POD}`,
      target: 'k8s',
    });
    expect(Date.parse(value.submittedAt as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(readFileSync(join(work, 'xcom', 'return.json'), 'utf8').endsWith('}\n')).toBe(true);
  });

  test('a retry adopts a running driver from an earlier try without running spark-submit', async () => {
    api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }, { creationTimestamp: '2026-11-23T00:01:02Z' }));
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(0);
    expect(sparkSubmitRan()).toBe(false);
    expect(run.stdout).toContain(`adopted driver pod spark-clu/${POD} (phase Running)`);
    expect(returnJson()).toEqual({
      driverPod: POD,
      namespace: 'spark-clu',
      appName: 'spark pi',
      appId: 'spark-0123456789abcdef',
      submissionId: `spark-clu:${POD}`,
      submittedAt: '2026-11-23T00:01:02.000Z',
      target: 'k8s',
    });
  });

  describe('a Pending driver whose ConfigMaps never came (the earlier submit was stopped in between)', () => {
    const pending = (created: string) => {
      const pod = driverPod(POD, { phase: 'Pending' }, { creationTimestamp: created });
      return { ...pod, spec: { containers: [{ name: 'spark-kubernetes-driver' }], volumes: [{ name: 'spark-conf-volume-driver', configMap: { name: 'spark-drv-1-conf-map' } }] } };
    };

    test('is deleted and submitted again once the grace period is over', async () => {
      api.setPod(pending('2026-11-23T14:00:05Z'));
      const run = await runCli(submitArgs(), env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`driver pod spark-clu/${POD} from an earlier try never got its ConfigMaps (that submit was interrupted): deleting it and submitting again`);
      expect(api.count('DELETE', `/pods/${POD}`)).toBe(1);
      expect(sparkSubmitRan()).toBe(true);
    });

    test('is adopted when its ConfigMaps exist', async () => {
      api.setPod(pending('2026-11-23T14:00:05Z'));
      api.configMaps.add('spark-clu/spark-drv-1-conf-map');
      const run = await runCli(submitArgs(), env);
      expect(run.code).toBe(0);
      expect(sparkSubmitRan()).toBe(false);
      expect(api.count('DELETE', `/pods/${POD}`)).toBe(0);
    });

    test('a young one is given the grace period: adopted when spark-submit creates its ConfigMaps meanwhile', async () => {
      api.setPod(pending(new Date().toISOString()));
      setTimeout(() => api.configMaps.add('spark-clu/spark-drv-1-conf-map'), 500);
      const started = Date.now();
      const run = await runCli(submitArgs(), { ...env, SPARK_JOB_INTERRUPTED_SUBMIT_GRACE_SECONDS: '2' });
      expect(run.code).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(sparkSubmitRan()).toBe(false);
      expect(run.stdout).toContain('adopted driver pod');
    });
  });

  test('a retry adopts a driver that already succeeded', async () => {
    api.setPod(driverPod(POD, { phase: 'Succeeded', container: { state: terminated(0, 'Completed') } }));
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(0);
    expect(sparkSubmitRan()).toBe(false);
    expect(returnJson().driverPod).toBe(POD);
  });

  test('a retry stops with exit 8 when the earlier driver failed', async () => {
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(1, 'Error') } }));
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(8);
    expect(run.stderr.split('\n')[0]).toBe(
      `spark-job submit: driver pod spark-clu/${POD} from an earlier try failed (container spark-kubernetes-driver terminated with exit code 1 (Error)); pass --replace-failed to delete it and submit again`,
    );
    expect(sparkSubmitRan()).toBe(false);
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
    expect(api.count('DELETE', POD)).toBe(0);
  });

  test('--replace-failed deletes the failed driver, waits until it is gone, then submits', async () => {
    api.setPod(driverPod(POD, { phase: 'Failed', container: { state: terminated(1, 'Error') } }));
    api.lingerAfterDelete = 2; // the pod is still visible (terminating) for two more GETs
    const run = await runCli(submitArgs('--replace-failed'), env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(api.count('DELETE', `/pods/${POD}`)).toBe(1);
    expect(api.count('GET', `/pods/${POD}`)).toBe(4);
    expect(sparkSubmitRan()).toBe(true);
    expect(returnJson().driverPod).toBe(POD);
  });

  test('adopts the driver when spark-submit loses a race and reports 409 AlreadyExists', async () => {
    api.setPod(driverPod(POD, { phase: 'Pending' }));
    api.hideOnGet = 1; // our first check does not see it; spark-submit then hits the conflict
    const run = await runCli(submitArgs(), { ...env, ...replay('already-exists') });
    expect(run.code).toBe(0);
    expect(sparkSubmitRan()).toBe(true);
    expect(run.stdout).toContain('spark-submit raced with another try (409 AlreadyExists): adopted driver pod');
    expect(returnJson().driverPod).toBe(POD);
  });

  test('409 AlreadyExists with no pod to adopt is an error quoting spark-submit', async () => {
    const run = await runCli(submitArgs(), { ...env, ...replay('already-exists') });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(`spark-job submit: spark-submit exited with code 1: driver pod spark-clu/${POD} already exists (409) but could not be adopted`);
    expect(run.stderr).toContain('already exists');
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('403 Forbidden from the API server (captured) is an error quoting it, with no return.json', async () => {
    const run = await runCli(submitArgs(), { ...env, ...replay('forbidden') });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      "spark-job submit: spark-submit exited with code 1: the Kubernetes API refused (403 Forbidden); check the submitter's RBAC in namespace spark-clu",
    );
    expect(run.stderr).toContain('pods is forbidden: User "system:serviceaccount:spark-clu:default" cannot create resource "pods"');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('connection refused (captured) is an error naming the master URL', async () => {
    const run = await runCli(submitArgs(), { ...env, ...replay('connection-refused') });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe('spark-job submit: spark-submit exited with code 1: cannot connect to the Kubernetes API at k8s://http://127.0.0.1:1');
    expect(run.stderr).toContain('Connection refused');
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('exit 0 without a deployment line is an error, never an empty return.json', async () => {
    // Real output of a successful client-mode run: exit 0, but no Kubernetes deployment in it.
    const run = await runCli(submitArgs(), { ...env, ...replay('standalone') });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'spark-job submit: spark-submit exited 0 but did not report a deployed application ("Deployed Spark application ... into Kubernetes")',
    );
    expect(run.stderr).toContain('Successfully stopped SparkContext');
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('an unreachable Kubernetes API stops the submit before spark-submit (exit 10)', async () => {
    await api.stop();
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(10);
    expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`^spark-job submit: cannot check for an earlier driver pod spark-clu/${POD}: `));
    expect(sparkSubmitRan()).toBe(false);
  });

  test('a missing spark-submit is an internal error naming SPARK_HOME', async () => {
    const run = await runCli(submitArgs(), { ...env, SPARK_HOME: join(work, 'no-spark') });
    expect(run.code).toBe(10);
    expect(run.stderr.split('\n')[0]).toBe(`spark-job submit: spark-submit not found at ${join(work, 'no-spark', 'bin', 'spark-submit')} (is SPARK_HOME right?)`);
  });

  test('SIGTERM stops spark-submit and exits 143', async () => {
    const cli = startCli(submitArgs(), { ...env, FAKE_SPARK_MODE: 'sleep' });
    await until(() => cli.stdout().includes('fake spark-submit: sleeping'), 'spark-submit started');
    const started = Date.now();
    cli.kill('SIGTERM');
    const run = await cli.result;
    expect(run.code).toBe(143);
    expect(run.stdout).toContain('fake spark-submit: got SIGTERM');
    expect(run.stderr.split('\n')[0]).toBe('spark-job: received SIGTERM, stopping');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('every app authenticates and encrypts with a key of its own, mounted as a file from a Secret its driver pod owns', async () => {
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(0);
    const secretName = appAuthSecretName(POD);
    expect(secretName).toMatch(/^spark-app-auth-[0-9a-f]{12}$/);
    const args = readFileSync(env.FAKE_SPARK_ARGS, 'utf8').split('\n');
    for (const conf of [
      'spark.authenticate=true',
      'spark.network.crypto.enabled=true',
      'spark.network.crypto.saslFallback=false',
      `spark.kubernetes.driver.secrets.${secretName}=/opt/spark-job/auth`,
      `spark.kubernetes.executor.secrets.${secretName}=/opt/spark-job/auth`,
      'spark.authenticate.secret.file=/opt/spark-job/auth/secret',
      // an executor's first connection finds the key file only with a k8s:// spark.master
      'spark.executorEnv.SPARK_JAVA_OPT_SPARK_JOB_MASTER=-Dspark.master=k8s://http://127.0.0.1:1',
      'spark.authenticate.secret.driver.file=/opt/spark-job/auth/secret',
      'spark.authenticate.secret.executor.file=/opt/spark-job/auth/secret',
    ]) {
      expect(args).toContain(conf);
    }
    // the key itself never on a command line
    expect(args.some((a) => a.startsWith('spark.authenticate.secret='))).toBe(false);
    const secret = api.secrets.get(`spark-clu/${secretName}`);
    expect(secret).toBeDefined();
    expect(secret?.immutable).toBe(true);
    expect(secret?.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: POD, uid: `uid-${POD}` }]);
    expect(Buffer.from(secret?.data?.secret ?? '', 'base64')).toHaveLength(32);
    expect(secret?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'spark-job', 'app.kubernetes.io/component': 'spark-app-auth' });
    expect(run.stdout).toContain(`created authentication Secret spark-clu/${secretName}`);
    expect(run.stdout).not.toContain(secret?.data?.secret ?? 'no key');

    // another app, another key
    const other = await runCli(['submit', '--name', 'other app', '--run-id', RUN, '--', 'local:///opt/spark-job/apps/pi.py'], env);
    expect(other.code).toBe(0);
    const otherSecret = api.secrets.get(`spark-clu/${appAuthSecretName(driverPodName('other app', RUN))}`);
    expect(otherSecret?.data?.secret).toBeDefined();
    expect(otherSecret?.data?.secret).not.toBe(secret?.data?.secret);
  });

  test('the Secret is created as soon as the driver pod appears, while spark-submit still runs', async () => {
    const run = await runCli(submitArgs(), { ...env, FAKE_SPARK_WAIT_FOR_SECRET: appAuthSecretName(POD) });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    // the fake spark-submit only prints its deployment line once it has seen the Secret
    expect(readFileSync(join(work, 'spark-submit.saw-secret'), 'utf8').trim()).toBe('yes');
  });

  test('without a watch (it cannot start), the Secret is created after spark-submit', async () => {
    api.failWatch = 403;
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(0);
    expect(api.secrets.has(`spark-clu/${appAuthSecretName(POD)}`)).toBe(true);
    expect(api.count('GET', `/pods/${POD}`)).toBe(2);
  });

  test('a retry adopting a driver whose Secret an earlier try did not create creates it; an existing one is kept', async () => {
    const secretName = appAuthSecretName(POD);
    const pod = driverPod(POD, { phase: 'Pending' });
    api.setPod({ ...pod, spec: { containers: [{ name: 'spark-kubernetes-driver' }], volumes: [{ name: `${secretName}-volume`, secret: { secretName } }] } });
    const first = await runCli(submitArgs(), env);
    expect(first.code).toBe(0);
    expect(sparkSubmitRan()).toBe(false);
    const key = api.secrets.get(`spark-clu/${secretName}`)?.data?.secret;
    expect(key).toBeDefined();
    const second = await runCli(submitArgs(), env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`authentication Secret spark-clu/${secretName} exists from an earlier try; kept`);
    expect(api.secrets.get(`spark-clu/${secretName}`)?.data?.secret).toBe(key);
  });

  test('a driver adopted from a version without authentication gets no Secret', async () => {
    api.setPod(driverPod(POD, { phase: 'Running', container: { state: RUNNING } }));
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(0);
    expect(api.secrets.size).toBe(0);
  });

  test('when the Secret cannot be created, the driver pod is deleted (it could never start) and the error names the RBAC', async () => {
    api.failSecretCreate = 403;
    const run = await runCli(submitArgs(), env);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      `spark-job submit: cannot create the app's authentication Secret spark-clu/${appAuthSecretName(POD)}: HTTP 403: secrets is forbidden: User "system:serviceaccount:spark-clu-jobs:spark-submitter" cannot create resource "secrets" in API group "" in the namespace "spark-clu"; ` +
        `driver pod spark-clu/${POD} was deleted (it cannot start without it). Check the submitter's RBAC (create secrets in spark-clu)`,
    );
    expect(api.count('DELETE', `/pods/${POD}`)).toBe(1);
    expect(api.getPod('spark-clu', POD)).toBeUndefined();
    expect(existsSync(env.SPARK_JOB_XCOM_FILE)).toBe(false);
  });

  test('authentication confs are spark-job\'s for Kubernetes apps, and free for standalone ones', async () => {
    for (const conf of ['spark.authenticate=false', 'spark.network.crypto.enabled=false', 'spark.authenticate.secret=abc', 'spark.authenticate.secret.executor.file=/x']) {
      const run = await runCli(['submit', '--name', 'a', '--run-id', 'r', '--', '--conf', conf, 'local:///a.py'], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--conf ${conf.split('=')[0]} is set by spark-job (every Kubernetes app authenticates with a key of its own) and cannot be overridden`);
    }
    const standalone = await runCli(
      ['submit', '--name', 'a', '--run-id', 'r', '--target', 'standalone', '--master-url', 'spark://m:7077', '--', '--conf', 'spark.authenticate=true', 'local:///a.py'],
      { ...env, FAKE_SPARK_MODE: 'standalone' },
    );
    expect(standalone.code).toBe(0);
  });

  test('usage errors exit 2 naming the option', async () => {
    const run = await runCli(['submit', '--name', 'x', '--run-id', 'r', '--target', 'mesos', '--', 'a'], env);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('spark-job submit: --target must be "k8s" or "standalone", got "mesos"');
  });
});

describe('submit to a standalone master', () => {
  const standalone = (extra: Record<string, string> = {}) =>
    runCli(['submit', '--name', 'spark pi', '--run-id', RUN, '--target', 'standalone', '--', 'local:///opt/spark-job/apps/pi.py'], {
      ...env,
      FAKE_SPARK_MODE: 'standalone',
      SPARK_MASTER_URL: 'spark://spark-master:7077',
      POD_IP: '10.244.0.9',
      POD_NAME: 'submit-pod-abc',
      POD_NAMESPACE: 'spark-clu',
      ...extra,
    });

  test('runs in client mode, needs no Kubernetes API, and reports the app ID', async () => {
    await api.stop();
    const run = await standalone();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Pi is roughly 3.14158');
    const args = readFileSync(env.FAKE_SPARK_ARGS, 'utf8').split('\n');
    expect(args.slice(0, 4)).toEqual(['--master', 'spark://spark-master:7077', '--deploy-mode', 'client']);
    expect(args).toContain('spark.driver.host=10.244.0.9');
    const value = returnJson();
    expect(Object.keys(value)).toEqual([...RETURN_VALUE_KEYS]);
    expect(value).toMatchObject({ driverPod: 'submit-pod-abc', namespace: 'spark-clu', appName: 'spark pi', appId: 'app-20261123142002-0007', submissionId: null, target: 'standalone' });
  });

  test('hands the cluster secret to the driver in a private spark-defaults.conf, never on the command line', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'spark-job-conf-test-')), 'seen');
    const conf = mkdtempSync(join(tmpdir(), 'spark-job-user-conf-'));
    writeFileSync(join(conf, 'spark-defaults.conf'), 'spark.eventLog.enabled false\n');
    const run = await standalone({ _SPARK_AUTH_SECRET: 's3cr3t-value', SPARK_CONF_DIR: conf, FAKE_SPARK_CONF_COPY: copy });
    expect(run.code).toBe(0);
    const [mode, ...rest] = readFileSync(copy, 'utf8').trim().split('\n');
    expect(mode).toBe('600');
    expect(rest.slice(0, 2)).toEqual(['spark.eventLog.enabled false', 'spark.authenticate.secret s3cr3t-value']);
    const dir = rest[2].replace('dir=', '');
    expect(existsSync(dir)).toBe(false); // removed when spark-submit ended
    expect(readFileSync(env.FAKE_SPARK_ARGS, 'utf8')).not.toContain('s3cr3t-value');
    expect(run.stdout + run.stderr).not.toContain('s3cr3t-value');
  });

  test('exits with the application\'s exit code when it fails', async () => {
    const run = await standalone({ FAKE_SPARK_EXIT: '3' });
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n')[0]).toBe('spark-job submit: application spark pi (app-20261123142002-0007) failed: spark-submit exited with code 3');
  });
});

describe('help', () => {
  test.each([['--help'], ['submit', '--help'], ['monitor', '--help']])('%j prints usage and exits 0', async (...argv) => {
    const run = await runCli(argv, {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^(Usage|spark-job)/);
    expect(run.stdout).toContain('Exit codes');
  });

  test('an unknown command exits 2', async () => {
    const run = await runCli(['frobnicate'], {});
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('spark-job: unknown command "frobnicate" (expected submit or monitor; see spark-job --help)');
  });
});
