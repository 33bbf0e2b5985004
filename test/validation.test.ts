import { Testing } from 'cdk8s';
import { API_SERVER_CIDR_HINT, checkUniqueNodePorts, IssueCollector, PlatformConfig, PlatformSparkOptions, SparkAirflowPlatform, SparkCluster, ValidationError } from '../lib';

/** Any address: the validation tests are about other fields. */
const NETWORK = { apiServerCidr: '0.0.0.0/0' };

const RESOURCES = { cpu: { request: '500m', limit: '1' }, memory: { request: '2Gi', limit: '2Gi' } };

function build(config: PlatformConfig): void {
  new SparkAirflowPlatform(Testing.app(), 'spark-airflow', { config });
}

function sparkEnv(spark: PlatformSparkOptions): PlatformConfig {
  return { environment: 'dev', network: NETWORK, spark };
}

/** Asserts the exact message of the ValidationError a config raises. */
function expectInvalid(config: PlatformConfig, ...lines: string[]): void {
  let error: unknown;
  try {
    build(config);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as Error).message).toBe([`Invalid configuration for environment "${config.environment}":`, ...lines.map((l) => `  - ${l}`)].join('\n'));
}

describe('platform config validation', () => {
  test('fails when the environment name is not a DNS-1123 label', () => {
    expectInvalid({ environment: 'Dev_1', network: NETWORK }, 'environment = "Dev_1": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric');
  });

  test('fails when the namespace is not a DNS-1123 label', () => {
    expectInvalid({ environment: 'dev', network: NETWORK, namespace: { name: 'Spark.Clu' } }, 'namespace.name = "Spark.Clu": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric');
  });

  test('fails when a Pod Security level is unknown', () => {
    expectInvalid(
      { environment: 'dev', network: NETWORK, namespace: { podSecurity: { enforce: 'strict' as never } } },
      'namespace.podSecurity.enforce = "strict": must be one of "privileged", "baseline", "restricted"',
    );
  });

  test('fails when nodePort is outside 30000-32767', () => {
    expectInvalid(sparkEnv({ ui: { expose: true, nodePort: 29999 } }), 'spark.ui.nodePort = 29999: must be an integer in 30000-32767 (the Kubernetes NodePort range)');
  });

  test('fails when two exposed NodePorts collide', () => {
    const issues = new IssueCollector();
    checkUniqueNodePorts(issues, [{ field: 'spark.ui.nodePort', port: 30000 }, { field: 'airflow.ui.nodePort', port: 30000 }]);
    expect(issues.issues).toEqual([{ field: 'airflow.ui.nodePort', value: 30000, problem: 'must be unique within the environment; spark.ui.nodePort already uses it' }]);
  });

  test('fails when a CPU quantity cannot be parsed', () => {
    expectInvalid(
      sparkEnv({ worker: { resources: { ...RESOURCES, cpu: { request: 'lots', limit: '1' } } } }),
      'spark.worker.resources.cpu.request = "lots": must be a positive CPU quantity with at most millicore precision, e.g. "250m", "1", "1.5"',
    );
  });

  test('fails when a memory quantity is not positive', () => {
    expectInvalid(
      sparkEnv({ master: { resources: { ...RESOURCES, memory: { request: '0', limit: '1Gi' } } } }),
      'spark.master.resources.memory.request = "0": must be a positive memory quantity that is a whole number of mebibytes, e.g. "512Mi", "2Gi"',
    );
  });

  test('fails when a request exceeds its limit', () => {
    expectInvalid(
      sparkEnv({ worker: { resources: { cpu: { request: '2', limit: '1' }, memory: { request: '4Gi', limit: '2Gi' } } } }),
      'spark.worker.resources.cpu.request = "2": must not exceed the limit "1"',
      'spark.worker.resources.memory.request = "4Gi": must not exceed the limit "2Gi"',
    );
  });

  test('fails when the worker memory limit leaves no room for an executor, showing the arithmetic', () => {
    expectInvalid(
      sparkEnv({ worker: { resources: { ...RESOURCES, memory: { request: '1Gi', limit: '1Gi' } } } }),
      'spark.worker.resources.memory.limit = "1Gi": leaves no room for an executor: SPARK_DAEMON_MEMORY 512Mi + daemon JVM overhead 384Mi + minimum SPARK_WORKER_MEMORY 512Mi + executor JVM overhead 384Mi = 1792Mi > limit 1024Mi; raise the limit to at least 1792Mi (JVM overhead = max(384Mi, 10% of heap))',
    );
  });

  test('fails when an explicit SPARK_WORKER_MEMORY does not fit the container (the exit 137 case)', () => {
    expectInvalid(
      sparkEnv({ worker: { resources: RESOURCES, memory: '2Gi' } }),
      'spark.worker.memory = "2Gi": does not fit the container: SPARK_DAEMON_MEMORY 512Mi + daemon JVM overhead 384Mi + SPARK_WORKER_MEMORY 2048Mi + executor JVM overhead 384Mi = 3328Mi > limit 2048Mi; lower it to at most 768Mi or raise the memory limit to at least 3328Mi',
    );
  });

  test('fails when the master memory limit is below its heap plus JVM overhead', () => {
    expectInvalid(
      sparkEnv({ master: { resources: { ...RESOURCES, memory: { request: '512Mi', limit: '512Mi' } } } }),
      'spark.master.resources.memory.limit = "512Mi": too small for the master JVM: SPARK_DAEMON_MEMORY 512Mi + JVM overhead 384Mi = 896Mi > limit 512Mi; raise the limit to at least 896Mi',
    );
  });

  test.each(['apache/spark', 'apache/spark:latest', 'apache/spark:', 'registry:5000/spark', 'apache/spark@sha256:abc'])('fails when the image %j is not pinned', (image) => {
    expectInvalid(sparkEnv({ image }), `spark.image = ${JSON.stringify(image)}: must be pinned: "<repository>:<version tag>" (not "latest") or "<repository>@sha256:<digest>"`);
  });

  test('accepts a registry with a port and a digest-pinned image', () => {
    expect(() => build(sparkEnv({ image: 'registry:5000/spark:4.1.2' }))).not.toThrow();
    expect(() => build(sparkEnv({ image: `apache/spark@sha256:${'a'.repeat(64)}` }))).not.toThrow();
  });

  test('fails when worker cores is not a positive integer', () => {
    expectInvalid(sparkEnv({ worker: { cores: 1.5 } }), 'spark.worker.cores = 1.5: must be a positive integer');
  });

  test('fails when master and worker share a name', () => {
    expectInvalid(sparkEnv({ masterName: 'spark', workerName: 'spark' }), 'spark.workerName = "spark": must differ from masterName');
  });

  test('fails when sparkConf re-enables the REST submission gateway', () => {
    expectInvalid(
      sparkEnv({ sparkConf: { 'spark.master.rest.enabled': 'true' } }),
      'spark.sparkConf.spark.master.rest.enabled = "true": must stay "false": the standalone REST submission gateway accepts unauthenticated submissions (CVE-2018-11770)',
    );
  });

  test('fails when sparkConf carries the authentication secret (secrets never go into a ConfigMap)', () => {
    expectInvalid(
      sparkEnv({ sparkConf: { 'spark.authenticate.secret': 's3cr3t' } }),
      'spark.sparkConf.spark.authenticate.secret = "<redacted>": must not be set: secrets never go into a ConfigMap; the shared secret comes from the Secret named by authentication.secretName',
    );
  });

  test('fails when sparkConf tries to switch authentication off', () => {
    expectInvalid(sparkEnv({ sparkConf: { 'spark.authenticate': 'false' } }), 'spark.sparkConf.spark.authenticate = "false": is managed by the construct; use authentication.enabled');
  });

  test('fails on an invalid node selector label and an incomplete toleration', () => {
    expectInvalid(
      sparkEnv({ worker: { nodeSelector: { 'bad key!': 'x' }, tolerations: [{ operator: 'Equal', key: 'dedicated' }] } }),
      'spark.worker.nodeSelector.bad key! = "bad key!": must be a valid label key, e.g. "node-role/spark" or "kubernetes.io/arch"',
      'spark.worker.tolerations[0] = {"operator":"Equal","key":"dedicated"}: operator Equal needs both key and value',
    );
  });

  test('fails when the Airflow base URL is not an absolute http(s) URL', () => {
    expectInvalid(
      { environment: 'dev', network: NETWORK, airflow: { ui: { baseUrl: 'airflow.example.com' } } },
      'airflow.ui.baseUrl = "airflow.example.com": must be an absolute http:// or https:// URL without query or fragment, e.g. "https://airflow.example.com"',
    );
  });

  test('fails when the log claims are not whole gibibytes or name a bad StorageClass', () => {
    expectInvalid(
      { environment: 'dev', network: NETWORK, airflow: { logs: { persistence: { size: '500Mi', storageClassName: 'Fast_SSD' } } } },
      'airflow.logs.persistence.size = "500Mi": must be a whole number of gibibytes, e.g. "4Gi"',
      'airflow.logs.persistence.storageClassName = "Fast_SSD": must be a StorageClass name (DNS-1123 subdomain)',
    );
  });

  test('fails on Spark application sizes Spark or Kubernetes would refuse', () => {
    expectInvalid(
      {
        environment: 'dev',
        network: NETWORK,
        sparkApplications: {
          driver: { cores: 0, cpuRequest: 'lots', memory: '256Mi' },
          executor: { instances: 0, cpuRequest: '2', cpuLimit: '1', memoryOverhead: '1000k' },
        },
      },
      'sparkApplications.driver.cores = 0: must be an integer in 1-256',
      'sparkApplications.driver.cpuRequest = "lots": must be a positive CPU quantity, e.g. "100m", "1"',
      'sparkApplications.driver.memory = "256Mi": must be at least 450Mi (Spark refuses smaller heaps)',
      'sparkApplications.executor.cpuLimit = "1": must be at least the CPU request (2000m)',
      'sparkApplications.executor.memoryOverhead = "1000k": must be a positive memory quantity that is a whole number of mebibytes, e.g. "512Mi", "2Gi"',
      'sparkApplications.executor.instances = 0: must be an integer in 1-1000',
    );
  });

  test('fails when the API server CIDR is not set, saying how to find it', () => {
    expectInvalid(
      { environment: 'staging' } as PlatformConfig,
      `network.apiServerCidr = undefined: must be set: ${API_SERVER_CIDR_HINT}`,
    );
  });

  test('fails when the API server CIDR is not a CIDR, with the environment and the full field path', () => {
    expectInvalid({ environment: 'prod', network: { apiServerCidr: '10.0.0.1' } }, `network.apiServerCidr = "10.0.0.1": must be an IPv4 CIDR: ${API_SERVER_CIDR_HINT}`);
  });

  test('fails when worker cores exceed the worker CPU limit, unless oversubscription is asked for', () => {
    expectInvalid(
      sparkEnv({ worker: { resources: RESOURCES, cores: 4 } }),
      'spark.worker.cores = 4: must not exceed the worker\'s CPU limit (1): executors would be throttled; raise spark.worker.resources.cpu.limit or set spark.worker.oversubscribeCores',
    );
    expect(() => build(sparkEnv({ worker: { resources: RESOURCES, cores: 4, oversubscribeCores: true } }))).not.toThrow();
  });

  test('reports every problem at once', () => {
    let error: ValidationError | undefined;
    try {
      build({ environment: 'prod', network: NETWORK, spark: { image: 'apache/spark:latest', ui: { nodePort: 80 }, worker: { cores: 0 } } });
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error?.environment).toBe('prod');
    expect(error?.issues.map((i) => i.field)).toEqual(['spark.image', 'spark.worker.cores', 'spark.ui.nodePort']);
  });

  test('a SparkCluster used on its own names fields relative to its props', () => {
    const chart = Testing.chart();
    expect(() => new SparkCluster(chart, 'Spark', { namespace: 'spark-clu', ui: { nodePort: 1 } })).toThrow(
      'Invalid configuration:\n  - ui.nodePort = 1: must be an integer in 30000-32767 (the Kubernetes NodePort range)',
    );
  });

  test('a SparkCluster needs a namespace from its props or its chart', () => {
    expect(() => new SparkCluster(Testing.chart(), 'Spark')).toThrow('namespace = undefined: must be a DNS-1123 label');
  });
});
