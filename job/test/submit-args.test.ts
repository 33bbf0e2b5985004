import { DEFAULT_K8S_MASTER, LABELS, buildK8sSubmitArgs, buildStandaloneSubmitArgs, parseSubmitOptions, podLabels, type SubmitEnvironment } from '../src/submit';
import { driverPodName, isLabelValue } from '../src/podname';
import { UsageError } from '../src/exit-codes';

const RUN = 'manual__2026-11-23T14:00:00.123456+00:00';

function envOf(env: Record<string, string>, files: string[] = []): SubmitEnvironment {
  return { env, fileExists: (p) => files.includes(p), readFile: () => undefined };
}

const k8s = (argv: string[], env: Record<string, string> = {}, files: string[] = []) =>
  buildK8sSubmitArgs(parseSubmitOptions(argv, envOf({ SPARK_NAMESPACE: 'spark-clu', ...env }, files)));

/** The value of every --conf key=value. */
function confs(args: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  args.forEach((a, i) => {
    if (args[i - 1] === '--conf') {
      map.set(a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
    }
  });
  return map;
}

describe('spark-submit arguments for Kubernetes', () => {
  test('cluster mode, no waiting, deterministic pod name, namespace, then the user arguments last', () => {
    const args = k8s(['--name', 'spark pi', '--run-id', RUN, '--', '--class', 'org.apache.spark.examples.SparkPi', 'local:///opt/app.jar', '100']);
    expect(args.slice(0, 6)).toEqual(['--master', DEFAULT_K8S_MASTER, '--deploy-mode', 'cluster', '--name', 'spark pi']);
    const c = confs(args);
    expect(c.get('spark.kubernetes.namespace')).toBe('spark-clu');
    expect(c.get('spark.kubernetes.driver.pod.name')).toBe(driverPodName('spark pi', RUN));
    expect(c.get('spark.kubernetes.submission.waitAppCompletion')).toBe('false');
    expect(c.has('spark.kubernetes.authenticate.driver.serviceAccountName')).toBe(false);
    expect(args.slice(-4)).toEqual(['--class', 'org.apache.spark.examples.SparkPi', 'local:///opt/app.jar', '100']);
  });

  test('labels driver and executors with app, run, dag and task (valid label values) plus --label', () => {
    const args = k8s(['--name', 'spark pi', '--run-id', RUN, '--label', 'team=data', '--label', 'example.com/tier=batch', '--', 'app.py'], {
      AIRFLOW_CTX_DAG_ID: 'example_spark_pi',
      AIRFLOW_CTX_TASK_ID: 'submit',
    });
    const c = confs(args);
    for (const role of ['driver', 'executor']) {
      expect(c.get(`spark.kubernetes.${role}.label.${LABELS.dagId}`)).toBe('example_spark_pi');
      expect(c.get(`spark.kubernetes.${role}.label.${LABELS.taskId}`)).toBe('submit');
      expect(c.get(`spark.kubernetes.${role}.label.${LABELS.managedBy}`)).toBe('spark-job');
      expect(c.get(`spark.kubernetes.${role}.label.team`)).toBe('data');
      expect(c.get(`spark.kubernetes.${role}.label.example.com/tier`)).toBe('batch');
      const runLabel = c.get(`spark.kubernetes.${role}.label.${LABELS.runId}`) ?? '';
      expect(isLabelValue(runLabel)).toBe(true);
      expect(runLabel).toMatch(/^manual__2026-11-23T14-00-00\.123456-00-00-[0-9a-f]{10}$/);
    }
  });

  test('flags win over the environment for dag and task ids', () => {
    const opts = parseSubmitOptions(
      ['--name', 'a', '--run-id', 'r', '--dag-id', 'flag_dag', '--task-id', 'flag_task', '--', 'x'],
      envOf({ SPARK_NAMESPACE: 'ns', AIRFLOW_CTX_DAG_ID: 'env_dag', AIRFLOW_CTX_TASK_ID: 'env_task' }),
    );
    expect(podLabels(opts)[LABELS.dagId]).toBe('flag_dag');
    expect(podLabels(opts)[LABELS.taskId]).toBe('flag_task');
  });

  test('service account, master URL and pod templates from flags or environment', () => {
    const fromFlags = confs(
      k8s(
        ['--name', 'a', '--run-id', 'r', '--namespace', 'jobs', '--driver-service-account', 'spark-driver', '--master-url', 'k8s://http://127.0.0.1:1234',
          '--driver-pod-template', '/t/driver.yaml', '--executor-pod-template', '/t/executor.yaml', '--', 'x'],
        {},
        ['/t/driver.yaml', '/t/executor.yaml'],
      ),
    );
    expect(fromFlags.get('spark.kubernetes.namespace')).toBe('jobs');
    expect(fromFlags.get('spark.kubernetes.authenticate.driver.serviceAccountName')).toBe('spark-driver');
    expect(fromFlags.get('spark.kubernetes.driver.podTemplateFile')).toBe('/t/driver.yaml');
    expect(fromFlags.get('spark.kubernetes.executor.podTemplateFile')).toBe('/t/executor.yaml');

    const args = k8s(['--name', 'a', '--run-id', 'r', '--', 'x'], {
      SPARK_JOB_K8S_MASTER: 'k8s://http://10.0.0.1:80',
      SPARK_DRIVER_SERVICE_ACCOUNT: 'sa-from-env',
      SPARK_JOB_DRIVER_POD_TEMPLATE: '/e/d.yaml',
    }, ['/e/d.yaml']);
    expect(args[1]).toBe('k8s://http://10.0.0.1:80');
    expect(confs(args).get('spark.kubernetes.authenticate.driver.serviceAccountName')).toBe('sa-from-env');
    expect(confs(args).get('spark.kubernetes.driver.podTemplateFile')).toBe('/e/d.yaml');
  });
});

describe('ports a NetworkPolicy can name', () => {
  // Unpinned, executors' block managers listen on random ports: shuffle fetches, torrent
  // broadcasts and results over 1 MiB are dropped by the policies (found on a real node).
  test('Kubernetes: driver RPC 7078, driver and executor block managers 7079', () => {
    const c = confs(k8s(['--name', 'a', '--run-id', 'r', '--', 'x']));
    expect([c.get('spark.driver.port'), c.get('spark.driver.blockManager.port'), c.get('spark.blockManager.port')]).toEqual(['7078', '7079', '7079']);
  });

  test.each(['spark.driver.port', 'spark.driver.blockManager.port', 'spark.blockManager.port'])('%s cannot be overridden after --', (key) => {
    for (const target of ['k8s', 'standalone']) {
      expect(() => parseSubmitOptions(['--name', 'a', '--run-id', 'r', '--target', target, '--master-url', target === 'k8s' ? 'k8s://https://k:443' : 'spark://m:7077', '--', '--conf', `${key}=1234`, 'x'], envOf({ SPARK_NAMESPACE: 'ns' })))
        .toThrow(`submit: spark-submit --conf ${key} is set by spark-job and cannot be overridden`);
    }
  });
});

describe('spark-submit arguments for standalone', () => {
  test('client mode against SPARK_MASTER_URL with the pod IP as driver host', () => {
    const opts = parseSubmitOptions(['--name', 'pi', '--run-id', 'r', '--target', 'standalone', '--', 'local:///opt/spark-job/apps/pi.py'], envOf({
      SPARK_MASTER_URL: 'spark://spark-master:7077',
      POD_IP: '10.244.0.7',
    }));
    expect(buildStandaloneSubmitArgs(opts)).toEqual([
      '--master', 'spark://spark-master:7077', '--deploy-mode', 'client', '--name', 'pi',
      '--conf', 'spark.driver.host=10.244.0.7', '--conf', 'spark.driver.bindAddress=0.0.0.0',
      '--conf', 'spark.driver.port=7078', '--conf', 'spark.driver.blockManager.port=7079', '--conf', 'spark.blockManager.port=7080',
      'local:///opt/spark-job/apps/pi.py',
    ]);
  });

  test('falls back to 127.0.0.1 without POD_IP', () => {
    const opts = parseSubmitOptions(['--name', 'pi', '--run-id', 'r', '--target', 'standalone', '--master-url', 'spark://m:7077', '--', 'x.py'], envOf({}));
    expect(buildStandaloneSubmitArgs(opts)).toContain('spark.driver.host=127.0.0.1');
    expect(buildStandaloneSubmitArgs(opts)).toContain('spark.driver.bindAddress=127.0.0.1');
  });
});

describe('usage errors name the bad flag and value', () => {
  test.each([
    [['--run-id', 'r', '--', 'x'], 'submit: --name is required (the Spark application name)'],
    [['--name', 'a', '--', 'x'], 'submit: --run-id is required (the Airflow run id, e.g. {{ run_id }})'],
    [['--name', 'a', '--run-id', 'r', '--target', 'yarn', '--', 'x'], 'submit: --target must be "k8s" or "standalone", got "yarn"'],
    [['--name', 'a', '--run-id', 'r'], 'submit: spark-submit arguments are missing: put them after "--" (e.g. -- local:///opt/spark-job/apps/pi.py)'],
    [['--name', 'a', '--run-id', 'r', '--label', 'novalue', '--', 'x'], 'submit: --label "novalue" must look like key=value'],
    [['--name', 'a', '--run-id', 'r', '--label', 'bad key=v', '--', 'x'], 'submit: --label "bad key=v": "bad key" is not a valid Kubernetes label key'],
    [['--name', 'a', '--run-id', 'r', '--label', 'k=has space', '--', 'x'], 'submit: --label "k=has space": "has space" is not a valid Kubernetes label value (at most 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends)'],
    [['--name', 'a', '--run-id', 'r', '--namespace', 'Bad_NS', '--', 'x'], 'submit: --namespace "Bad_NS" is not a valid namespace name'],
    [['--name', 'a', '--run-id', 'r', '--master-url', 'spark://m:7077', '--', 'x'], 'submit: --master-url "spark://m:7077" must start with k8s:// for --target k8s'],
    [['--name', 'a', '--run-id', 'r', '--driver-pod-template', '/missing.yaml', '--', 'x'], 'submit: --driver-pod-template "/missing.yaml": file not found'],
    [['--name', 'a', '--run-id', 'r', '--', '--master', 'local[2]', 'x'], 'submit: spark-submit argument --master is set by spark-job; use spark-job\'s own options instead'],
    [['--name', 'a', '--run-id', 'r', '--', '--conf', 'spark.kubernetes.driver.pod.name=mine', 'x'], 'submit: spark-submit --conf spark.kubernetes.driver.pod.name is set by spark-job and cannot be overridden'],
    [['--name', 'a', '--run-id', 'r', '--target', 'standalone', '--', 'x'], 'submit: --target standalone needs --master-url or SPARK_MASTER_URL (spark://host:7077)'],
  ])('%j', (argv, message) => {
    expect(() => parseSubmitOptions(argv, envOf({ SPARK_NAMESPACE: 'spark-clu' }))).toThrow(new UsageError(message));
    try {
      parseSubmitOptions(argv, envOf({ SPARK_NAMESPACE: 'spark-clu' }));
    } catch (e) {
      expect((e as Error).message).toBe(message);
    }
  });

  test('no namespace at all is a usage error', () => {
    expect(() => parseSubmitOptions(['--name', 'a', '--run-id', 'r', '--', 'x'], envOf({}))).toThrow('submit: no namespace: give --namespace or set SPARK_NAMESPACE');
  });
});
