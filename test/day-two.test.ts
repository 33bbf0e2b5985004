/**
 * Day two: the Spark history server and event logs, metrics, disruption budgets and replicas,
 * and the Spark master's recovery. The real node proves each (test/cluster); these assert the
 * manifests' facts and the validation.
 */
import { PlatformConfig, SparkAirflowPlatform, SPARK_EVENT_LOG_DIR, SPARK_METRICS_CONF, ValidationError } from '../lib';
import { Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../stacks/environments';
import { find, K8sObject, podLabels, podSpec, synthPlatform, workloads } from './support/synth';

const NETWORK = { apiServerCidr: '0.0.0.0/0' };
const JOBS = 'spark-clu-jobs';

function messageOf(config: PlatformConfig): string {
  try {
    new SparkAirflowPlatform(Testing.app(), 'spark-airflow', { config });
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function properties(text: string): Record<string, string> {
  // spark-defaults.conf as java.util.Properties reads the platform's (escaped ':' only)
  return Object.fromEntries(text.trim().split('\n').map((l) => { const i = l.indexOf(' '); return [l.slice(0, i), l.slice(i + 1).replace(/\\:/g, ':')]; }));
}

describe.each(Object.keys(ENVIRONMENTS))('Spark master recovery in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const master = find(objects, 'Deployment', 'spark-master');
  const [container] = podSpec(master).containers;

  test('FILESYSTEM recovery on a ReadWriteOnce claim the (recreated, never surged) master mounts', () => {
    const opts = container.env.find((e: K8sObject) => e.name === 'SPARK_MASTER_OPTS').value;
    expect(opts).toBe('-Dspark.deploy.recoveryMode=FILESYSTEM -Dspark.deploy.recoveryDirectory=/var/lib/spark-master/recovery');
    const mount = container.volumeMounts.find((m: K8sObject) => m.mountPath === '/var/lib/spark-master/recovery');
    const volume = podSpec(master).volumes.find((v: K8sObject) => v.name === mount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe('spark-master-recovery');
    const claim = find(objects, 'PersistentVolumeClaim', 'spark-master-recovery');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(master.spec.strategy).toEqual({ type: 'Recreate' });
    expect(master.spec.replicas).toBe(1);
  });

  test('workers reconnect through the Service name after the master pod changes', () => {
    const conf = properties(find(objects, 'ConfigMap', 'spark-master-conf').data['spark-defaults.conf']);
    expect(conf['spark.worker.preferConfiguredMasterAddress']).toBe('true');
    // recovery concerns the master alone: not in the conf the workers read
    expect(Object.keys(conf).filter((k) => k.startsWith('spark.deploy.recovery'))).toEqual([]);
  });
});

describe('Spark master recovery options', () => {
  test('mode none: no claim, no recovery settings', () => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK, spark: { master: { recovery: { mode: 'none' } } } });
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).not.toContain('spark-master-recovery');
    expect(JSON.stringify(find(objects, 'Deployment', 'spark-master'))).not.toContain('recovery');
  });

  test('bad values are named with what is allowed', () => {
    const message = messageOf({ environment: 'dev', network: NETWORK, spark: { master: { recovery: { mode: 'zookeeper' as never, size: '1Gi' } }, sparkConf: { 'spark.deploy.recoveryMode': 'NONE' } } });
    expect(message).toContain('spark.master.recovery.mode = "zookeeper": must be "filesystem" or "none"');
    expect(message).toContain('spark.sparkConf.spark.deploy.recoveryMode = "NONE": is managed by the construct; use master.recovery');
    expect(messageOf({ environment: 'dev', network: NETWORK, spark: { master: { recovery: { size: '1.5Gi', storageClassName: 'Fast_SSD' } } } }))
      .toBe([
        'Invalid configuration for environment "dev":',
        '  - spark.master.recovery.size = "1.5Gi": must be a whole number of gibibytes, e.g. "4Gi"',
        '  - spark.master.recovery.storageClassName = "Fast_SSD": must be a StorageClass name (DNS-1123 subdomain)',
      ].join('\n'));
    expect(messageOf({ environment: 'dev', network: NETWORK, spark: { master: { recovery: { mode: 'none', size: '2Gi' } } } }))
      .toContain('spark.master.recovery.size = "2Gi": must be unset with recovery mode "none"');
  });
});

describe.each(Object.keys(ENVIRONMENTS))('the Spark history server in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const server = find(objects, 'Deployment', 'spark-history');
  const spec = podSpec(server);
  const [container] = spec.containers;
  const conf = properties(find(objects, 'ConfigMap', 'spark-history-conf').data['spark-defaults.conf']);
  const defaults = properties(find(objects, 'ConfigMap', 'spark-pod-templates').data['spark-defaults.conf']);
  const airflowEnv = Object.fromEntries(podSpec(find(objects, 'StatefulSet', 'airflow-scheduler')).containers[0].env.map((e: K8sObject) => [e.name, e.value]));

  test('in the jobs namespace, where the drivers write; logs cleaned after 7 days', () => {
    expect(server.metadata.namespace).toBe(JOBS);
    expect(conf['spark.history.fs.cleaner.enabled']).toBe('true');
    expect(conf['spark.history.fs.cleaner.maxAge']).toBe('7d');
    expect(container.args).toEqual(['org.apache.spark.deploy.history.HistoryServer', '--properties-file', '/etc/spark/spark-defaults.conf']);
  });

  if (env === 'dev') {
    test('dev: serves the event-log claim, which Kubernetes drivers mount (application defaults) and standalone ones learn from the DAG contract', () => {
      const claim = find(objects, 'PersistentVolumeClaim', 'spark-events');
      expect(claim.metadata.namespace).toBe(JOBS);
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
      const mount = container.volumeMounts.find((m: K8sObject) => m.mountPath === '/var/spark-events');
      expect(spec.volumes.find((v: K8sObject) => v.name === mount.name).persistentVolumeClaim.claimName).toBe('spark-events');
      expect(conf['spark.history.fs.logDirectory']).toBe(SPARK_EVENT_LOG_DIR);
      const volume = 'spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-events';
      expect(defaults).toMatchObject({
        'spark.eventLog.enabled': 'true',
        'spark.eventLog.dir': 'file:/var/spark-events',
        [`${volume}.options.claimName`]: 'spark-events',
        [`${volume}.mount.path`]: '/var/spark-events',
        [`${volume}.mount.readOnly`]: 'false',
      });
      expect(Object.keys(defaults).filter((k) => k.includes('s3a') || k.includes('secretKeyRef'))).toEqual([]);
      expect([airflowEnv.SPARK_EVENT_LOG_CLAIM, airflowEnv.SPARK_EVENT_LOG_DIR, airflowEnv.SPARK_EVENT_LOG_CONF, airflowEnv.SPARK_EVENT_LOG_SECRET]).toEqual(['spark-events', 'file:/var/spark-events', '', '']);
      expect(spec.initContainers ?? []).toEqual([]);
    });
  } else {
    const store = ENVIRONMENTS[env].history?.eventLog?.objectStore;
    test(`${env}: event logs in the object store (${store?.url}), no claim; credentials from the Secret, never in the manifests`, () => {
      expect(store).toBeDefined();
      expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.namespace === JOBS)).toEqual([]);
      expect(container.volumeMounts.map((m: K8sObject) => m.mountPath).sort()).toEqual(['/etc/spark', '/tmp']);
      expect(conf['spark.history.fs.logDirectory']).toBe(store?.url);
      const site = find(objects, 'ConfigMap', 'spark-history-conf').data['core-site.xml'] as string;
      const hadoop = Object.fromEntries([...site.matchAll(/<name>([^<]+)<\/name><value>([^<]*)<\/value>/g)].map((m) => [m[1], m[2]]));
      expect(hadoop).toEqual({
        'fs.s3a.aws.credentials.provider': 'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider',
        'fs.s3a.endpoint.region': store?.region ?? 'us-east-1',
        'fs.s3a.path.style.access': String(store?.pathStyleAccess ?? false),
        ...(store?.endpoint ? { 'fs.s3a.endpoint': store.endpoint } : {}),
      });
      // the server and the step that creates the prefix read the keys from the Secret
      const init = spec.initContainers[0];
      expect(init.name).toBe('create-log-directory');
      expect(init.args).toEqual(['org.apache.hadoop.fs.FsShell', '-mkdir', '-p', store?.url]);
      expect(init.image).toBe(container.image);
      expect(container.image).toMatch(/spark-job:/);
      for (const c of [container, init]) {
        const secretEnv = c.env.filter((e: K8sObject) => e.valueFrom?.secretKeyRef).map((e: K8sObject) => `${e.name}=${e.valueFrom.secretKeyRef.name}:${e.valueFrom.secretKeyRef.key}`);
        expect(secretEnv).toEqual(['AWS_ACCESS_KEY_ID=spark-event-log-s3:AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY=spark-event-log-s3:AWS_SECRET_ACCESS_KEY']);
        // spark-class puts SPARK_CONF_DIR on the classpath: where Hadoop finds core-site.xml (the real node found it missing)
        expect(c.env.find((e: K8sObject) => e.name === 'SPARK_CONF_DIR')?.value).toBe('/etc/spark');
        expect(c.volumeMounts.find((m: K8sObject) => m.mountPath === '/etc/spark')?.name).toBe('spark-conf');
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.resources.limits.memory).toBeDefined();
      }
      // Kubernetes drivers: the same settings and the Secret's keys as env (spark-submit's secretKeyRef)
      expect(defaults).toMatchObject({
        'spark.eventLog.enabled': 'true',
        'spark.eventLog.dir': store?.url,
        'spark.hadoop.fs.s3a.endpoint.region': hadoop['fs.s3a.endpoint.region'],
        'spark.hadoop.fs.s3a.path.style.access': hadoop['fs.s3a.path.style.access'],
        'spark.kubernetes.driver.secretKeyRef.AWS_ACCESS_KEY_ID': 'spark-event-log-s3:AWS_ACCESS_KEY_ID',
        'spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY': 'spark-event-log-s3:AWS_SECRET_ACCESS_KEY',
      });
      expect(Object.keys(defaults).filter((k) => k.includes('persistentVolumeClaim.spark-events'))).toEqual([]);
      // standalone task pods: the DAG contract
      expect(airflowEnv.SPARK_EVENT_LOG_CLAIM).toBe('');
      expect(airflowEnv.SPARK_EVENT_LOG_DIR).toBe(store?.url);
      expect(airflowEnv.SPARK_EVENT_LOG_SECRET).toBe('spark-event-log-s3');
      const contractConf = JSON.parse(airflowEnv.SPARK_EVENT_LOG_CONF) as Record<string, string>;
      expect(contractConf).toEqual(Object.fromEntries(Object.entries(hadoop).map(([k, v]) => [`spark.hadoop.${k}`, v])));
      expect(Object.keys(contractConf)).toEqual(Object.keys(contractConf).sort());
    });

    test(`${env}: the history server, Kubernetes drivers and standalone task pods (only) reach the store's addresses on its port`, () => {
      const port = store?.endpoint?.startsWith('http://') ? 80 : Number(/:(\d+)$/.exec(store?.endpoint ?? '')?.[1] ?? 443);
      const egress = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-to-event-log-store-egress'));
      expect(egress.map((p) => p.metadata.name).sort()).toEqual(['spark-driver-to-event-log-store-egress', 'spark-history-to-event-log-store-egress', 'spark-standalone-tasks-to-event-log-store-egress']);
      for (const policy of egress) {
        expect(policy.metadata.namespace).toBe(JOBS);
        expect(policy.spec.policyTypes).toEqual(['Egress']);
        expect(policy.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: store?.cidr ?? '0.0.0.0/0' } }], ports: [{ port, protocol: 'TCP' }] }]);
      }
      const history = egress.find((p) => p.metadata.name.startsWith('spark-history'));
      expect(selects(history?.spec.podSelector.matchLabels, podLabels(server))).toBe(true);
    });
  }

  test('port 18080 with probes on the REST API, its Service selects it, no token, restricted', () => {
    expect(container.ports).toEqual([{ containerPort: 18080, name: 'http' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/api/v1/version', port: 18080, scheme: 'HTTP' });
    expect(container.livenessProbe.httpGet.path).toBe('/api/v1/version');
    const svc = find(objects, 'Service', 'spark-history-ui');
    expect(selects(svc.spec.selector, podLabels(server))).toBe(true);
    expect(svc.spec.type).toBe(env === 'dev' ? 'NodePort' : 'ClusterIP');
    if (env === 'dev') expect(svc.spec.ports[0].nodePort).toBe(30002);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toBeDefined();
  });
});

describe('the history server options', () => {
  test.each([['not set', undefined], ['enabled: false', { enabled: false }]])('%s: no server, no claim, no event-log confs, an empty contract', (_label, history) => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK, ...(history ? { history } : {}) });
    expect(objects.filter((o) => o.metadata.name?.startsWith('spark-history') || o.metadata.name === 'spark-events')).toEqual([]);
    expect(find(objects, 'ConfigMap', 'spark-pod-templates').data['spark-defaults.conf']).not.toContain('eventLog');
    const scheduler = podSpec(find(objects, 'StatefulSet', 'airflow-scheduler')).containers[0];
    expect(scheduler.env.filter((e: K8sObject) => e.name.startsWith('SPARK_EVENT_LOG')).map((e: K8sObject) => e.value)).toEqual(['', '', '', '']);
  });

  test('ReadWriteMany needs a named StorageClass (most default classes offer ReadWriteOnce only)', () => {
    expect(messageOf({ environment: 'dev', network: NETWORK, history: {} })).toContain(
      'history.eventLog.storageClassName = undefined: must name a StorageClass that offers ReadWriteMany');
    expect(synthPlatform({ environment: 'dev', network: NETWORK, history: { eventLog: { storageClassName: 'nfs-client' } } })
      .find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'spark-events')?.spec.storageClassName).toBe('nfs-client');
  });

  test('bad values are named with what is allowed, and a NodePort clash is caught', () => {
    const message = messageOf({
      environment: 'dev', network: NETWORK,
      spark: { ui: { expose: true, nodePort: 30002 } },
      history: { eventLog: { size: '500Mi', accessMode: 'ReadOnlyMany' as never, claimName: 'Events' }, retention: '1w', daemonMemory: '900Mi', ui: { expose: true } },
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  - history.eventLog.claimName = "Events": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric',
      '  - history.eventLog.size = "500Mi": must be a whole number of gibibytes, e.g. "4Gi"',
      '  - history.eventLog.accessMode = "ReadOnlyMany": must be "ReadWriteMany" or "ReadWriteOnce"',
      '  - history.resources.memory.limit = "1Gi": too small for the history server JVM: daemonMemory 900Mi + JVM overhead 384Mi = 1284Mi',
      '  - history.retention = "1w": must be a whole number followed by m, h or d, e.g. "7d" or "36h"',
    ]);
    expect(messageOf({ environment: 'dev', network: NETWORK, spark: { ui: { expose: true, nodePort: 30002 } }, history: { eventLog: { accessMode: 'ReadWriteOnce' }, ui: { expose: true } } }))
      .toContain('history.ui.nodePort = 30002: must be unique within the environment; spark.ui.nodePort already uses it');
  });
});

describe('the event-log object store options', () => {
  const store = { url: 's3a://events/spark', credentialsSecretName: 'event-log-s3' };
  test('the job image (with the S3A connector) by default, the environment\'s own when it sets one; the history image when given', () => {
    const image = (config: Partial<PlatformConfig>) => podSpec(find(synthPlatform({ environment: 'dev', network: NETWORK, ...config }), 'Deployment', 'spark-history')).containers[0].image;
    expect(image({ history: { eventLog: { objectStore: store } } })).toBe('ghcr.io/spark-airflow-k8s/spark-job:4.1.2-0.1.0');
    expect(image({ jobImage: 'registry.example.com/spark-job:4.1.2-7', history: { eventLog: { objectStore: store } } })).toBe('registry.example.com/spark-job:4.1.2-7');
    expect(image({ jobImage: 'registry.example.com/spark-job:4.1.2-7', history: { image: 'registry.example.com/history:4.1.2-1', eventLog: { objectStore: store } } })).toBe('registry.example.com/history:4.1.2-1');
    expect(image({ history: { eventLog: { accessMode: 'ReadWriteOnce' } } })).toBe('apache/spark:4.1.2-scala2.13-java17-python3-ubuntu');
  });

  test('a plain http endpoint is reached on port 80, an explicit port on that port', () => {
    const ports = (endpoint: string) => synthPlatform({ environment: 'dev', network: NETWORK, history: { eventLog: { objectStore: { ...store, endpoint, pathStyleAccess: true } } } })
      .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.endsWith('-to-event-log-store-egress')).map((p) => p.spec.egress[0].ports[0].port);
    expect(ports('http://minio.storage')).toEqual([80, 80, 80]);
    expect(ports('http://192.168.10.5:9000')).toEqual([9000, 9000, 9000]);
  });

  test('bad values are named with what is allowed; a claim field beside the store is refused', () => {
    const message = messageOf({
      environment: 'dev', network: NETWORK,
      history: { eventLog: { size: '5Gi', objectStore: { url: 's3://Events/logs/', credentialsSecretName: 'Bad_Name', endpoint: 'https://s3.example.com/path', region: 'EU West', pathStyleAccess: 'yes' as never, cidr: '10.0.0.0/33' } } },
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  - history.eventLog.size = "5Gi": must not be set with eventLog.objectStore (the event logs go to the object store, there is no claim)',
      '  - history.eventLog.objectStore.url = "s3://Events/logs/": must use the s3a:// scheme (Hadoop\'s S3A connector), e.g. "s3a://my-bucket/spark-events"',
      '  - history.eventLog.objectStore.credentialsSecretName = "Bad_Name": must name the Secret with the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a DNS-1123 subdomain)',
      '  - history.eventLog.objectStore.endpoint = "https://s3.example.com/path": must be http(s)://<host>[:<port>] with no path, e.g. "https://s3.eu-west-1.amazonaws.com" or "http://minio.storage:9000"',
      '  - history.eventLog.objectStore.region = "EU West": must be a region name of lower-case letters, digits and "-", e.g. "eu-west-1"',
      '  - history.eventLog.objectStore.pathStyleAccess = "yes": must be true or false',
      '  - history.eventLog.objectStore.cidr = "10.0.0.0/33": must be an IPv4 CIDR of the store\'s addresses, e.g. "10.0.80.0/24" ("0.0.0.0/0" for any)',
    ]);
    for (const url of ['s3a://events/', 's3a://ev', 's3a://events//x', 's3a://events/a/../b', 's3a://events/a b']) {
      expect(messageOf({ environment: 'dev', network: NETWORK, history: { eventLog: { objectStore: { ...store, url } } } })).toContain(`history.eventLog.objectStore.url = ${JSON.stringify(url)}: must be s3a://<bucket>`);
    }
    expect(messageOf({ environment: 'dev', network: NETWORK, history: { eventLog: { objectStore: { ...store, endpoint: 'http://s3.example.com:70000' } } } })).toContain('history.eventLog.objectStore.endpoint = "http://s3.example.com:70000"');
  });
});

describe.each(Object.keys(ENVIRONMENTS))('metrics in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const metricsPolicies = policies.filter((p) => p.metadata.name.endsWith('-metrics-ingress'));

  test('Spark serves Prometheus metrics on every UI: master and workers, Kubernetes drivers (and their executors)', () => {
    const cluster = properties(find(objects, 'ConfigMap', 'spark-master-conf').data['spark-defaults.conf']);
    const apps = properties(find(objects, 'ConfigMap', 'spark-pod-templates').data['spark-defaults.conf']);
    for (const conf of [cluster, apps]) expect(conf).toMatchObject(SPARK_METRICS_CONF);
    expect(SPARK_METRICS_CONF['spark.metrics.conf.*.sink.prometheusServlet.class']).toBe('org.apache.spark.metrics.sink.PrometheusServlet');
    expect(SPARK_METRICS_CONF['spark.ui.prometheus.enabled']).toBe('true');
  });

  test('Airflow sends StatsD to the exporter, which serves /metrics on 9102', () => {
    const cfg = find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('[metrics]\nstatsd_on = True\nstatsd_host = airflow-statsd.spark-clu.svc\nstatsd_port = 9125\nstatsd_prefix = airflow\n');
    const exporter = find(objects, 'Deployment', 'airflow-statsd');
    const [c] = podSpec(exporter).containers;
    expect(c.image).toBe('prom/statsd-exporter:v0.28.0');
    expect(c.ports).toEqual([{ containerPort: 9125, name: 'statsd', protocol: 'UDP' }, { containerPort: 9102, name: 'metrics' }]);
    expect(c.readinessProbe.httpGet.port).toBe(9102);
    expect(podSpec(exporter).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
    const svc = find(objects, 'Service', 'airflow-statsd');
    expect(selects(svc.spec.selector, podLabels(exporter))).toBe(true);
    const udp = find(objects, 'NetworkPolicy', 'airflow-to-statsd-ingress');
    expect(udp.spec.ingress[0].ports).toEqual([{ port: 9125, protocol: 'UDP' }]);
  });

  test('the metrics ports are open to the scraper namespace alone, one policy per target', () => {
    expect(metricsPolicies.map((p) => `${p.metadata.namespace}/${p.metadata.name}:${p.spec.ingress[0].ports[0].port}`).sort()).toEqual([
      `${JOBS}/spark-driver-metrics-ingress:4040`,
      `${JOBS}/spark-standalone-drivers-metrics-ingress:4040`,
      'spark-clu/airflow-statsd-metrics-ingress:9102',
      'spark-clu/spark-master-metrics-ingress:8080',
      'spark-clu/spark-worker-metrics-ingress:8081',
    ]);
    for (const p of metricsPolicies) {
      expect(p.spec.ingress).toHaveLength(1);
      expect(p.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }]);
    }
    // each target's pods are selected by its policy
    const target = (name: string) => find(objects, 'NetworkPolicy', name).spec.podSelector.matchLabels;
    expect(selects(target('spark-master-metrics-ingress'), podLabels(find(objects, 'Deployment', 'spark-master')))).toBe(true);
    expect(selects(target('spark-worker-metrics-ingress'), podLabels(find(objects, 'DaemonSet', 'spark-worker')))).toBe(true);
    expect(target('spark-driver-metrics-ingress')).toEqual({ 'spark-role': 'driver' });
  });

  test(env === 'dev' ? 'no monitors without a Prometheus operator' : 'a monitor per target, labeled for the operator\'s selector', () => {
    const monitors = objects.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');
    if (env === 'dev') {
      expect(monitors).toEqual([]);
      return;
    }
    expect(monitors.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'PodMonitor/spark-master-metrics', 'PodMonitor/spark-worker-metrics', 'PodMonitor/spark-driver-metrics',
      'PodMonitor/spark-standalone-drivers-metrics', 'ServiceMonitor/airflow-statsd-metrics',
    ]);
    for (const m of monitors) expect(m.metadata.labels?.release).toBe('kube-prometheus-stack');
    const master = find(objects, 'PodMonitor', 'spark-master-metrics');
    expect(master.spec.podMetricsEndpoints.map((e: K8sObject) => [e.port, e.path])).toEqual([['http', '/metrics/master/prometheus'], ['http', '/metrics/applications/prometheus']]);
    expect(selects(master.spec.selector.matchLabels, podLabels(find(objects, 'Deployment', 'spark-master')))).toBe(true);
    const drivers = find(objects, 'PodMonitor', 'spark-driver-metrics');
    expect(drivers.metadata.namespace).toBe(JOBS);
    expect(drivers.spec.podMetricsEndpoints.map((e: K8sObject) => [e.port, e.path])).toEqual([['spark-ui', '/metrics/prometheus'], ['spark-ui', '/metrics/executors/prometheus']]);
    // the ServiceMonitor's selector picks exactly the exporter's Service, and names its port
    const sm = find(objects, 'ServiceMonitor', 'airflow-statsd-metrics');
    const services = objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === sm.metadata.namespace && selects(sm.spec.selector.matchLabels, o.metadata.labels ?? {}));
    expect(services.map((s) => s.metadata.name)).toEqual(['airflow-statsd']);
    expect(services[0].spec.ports.map((p: K8sObject) => p.name)).toContain(sm.spec.endpoints[0].port);
  });
});

describe('monitoring options', () => {
  test('without monitoring: no exporter, no metrics policies, StatsD off', () => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK });
    expect(objects.filter((o) => o.metadata.name?.includes('statsd') || o.metadata.name?.endsWith('-metrics-ingress'))).toEqual([]);
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).not.toContain('[metrics]');
  });

  test('scraper pod labels narrow the policies to the Prometheus pods', () => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK, monitoring: { scraperNamespace: 'observability', scraperPodLabels: { 'app.kubernetes.io/name': 'prometheus' } } });
    expect(find(objects, 'NetworkPolicy', 'spark-worker-metrics-ingress').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ]);
  });

  test('bad values are named with what is allowed', () => {
    expect(messageOf({ environment: 'dev', network: NETWORK, monitoring: { scraperNamespace: 'Monitoring', interval: '30', monitorLabels: { release: 'kube prometheus' } } }).split('\n').slice(1)).toEqual([
      '  - monitoring.scraperNamespace = "Monitoring": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric',
      '  - monitoring.monitorLabels.release = "kube prometheus": must be a valid label value: at most 63 characters of A-Z, a-z, 0-9, "-", "_", "."',
      '  - monitoring.interval = "30": must be a whole number of seconds or minutes, e.g. "30s" or "1m"',
    ]);
  });
});

describe.each(Object.keys(ENVIRONMENTS))('replicas and disruption budgets in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const replicated = env === 'dev' ? [] : ['airflow-api-server', 'airflow-scheduler'];

  test(env === 'dev' ? 'dev runs one of each (a 2-CPU node), so no budget' : 'two api-servers and two schedulers, preferring different nodes, one evicted at a time', () => {
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name)).toEqual(replicated);
    for (const name of replicated) {
      const w = workloads(objects).find((o) => o.metadata.name === name) as K8sObject;
      expect(w.spec.replicas).toBe(2);
      const budget = find(objects, 'PodDisruptionBudget', name);
      expect(budget.spec.maxUnavailable).toBe(1);
      expect(budget.spec.selector.matchLabels).toEqual(w.spec.selector.matchLabels);
      expect(selects(budget.spec.selector.matchLabels, podLabels(w))).toBe(true);
      const term = podSpec(w).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
      expect(term.weight).toBe(100);
      expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      expect(term.podAffinityTerm.labelSelector.matchLabels).toEqual(w.spec.selector.matchLabels);
    }
    // no budget for a single-replica workload: it would only block drains
    for (const b of budgets) expect(replicated).toContain(b.metadata.name);
  });
});

describe('replicas options', () => {
  test('each scheduler keeps its task logs on a claim of its own (claim template), so scaling adds claims', () => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK, airflow: { replicas: { scheduler: 3 }, logs: { persistence: { size: '2Gi', storageClassName: 'standard' } } } });
    for (const name of ['airflow-scheduler', 'airflow-triggerer']) {
      const sts = find(objects, 'StatefulSet', name);
      // podManagementPolicy is immutable: the same whatever the replicas, so they change in place
      expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
      expect(sts.spec.volumeClaimTemplates).toEqual([expect.objectContaining({
        metadata: expect.objectContaining({ name: 'logs' }),
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'standard', volumeMode: 'Filesystem' },
      })]);
      const spec = podSpec(sts);
      // the controller adds the "logs" volume; the containers mount it
      expect(spec.volumes.map((v: K8sObject) => v.name)).not.toContain('logs');
      for (const c of [...spec.containers.filter((x: K8sObject) => x.name === 'airflow'), ...spec.initContainers]) {
        expect([c.name, c.volumeMounts.filter((m: K8sObject) => m.name === 'logs').map((m: K8sObject) => m.mountPath)]).toEqual([c.name, ['/opt/airflow/logs']]);
      }
    }
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name?.includes('logs'))).toEqual([]);
  });

  test('bad replica counts are named with what is allowed', () => {
    expect(messageOf({ environment: 'dev', network: NETWORK, airflow: { replicas: { apiServer: 0, scheduler: 1.5 } } }).split('\n').slice(1)).toEqual([
      '  - airflow.replicas.apiServer = 0: must be an integer in 1-10',
      '  - airflow.replicas.scheduler = 1.5: must be an integer in 1-10',
    ]);
  });
});

describe.each(['staging', 'prod'])('Ingress in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const host = env === 'staging' ? 'staging.example.com' : 'example.com';

  test('one Ingress per UI: host, class, TLS Secret, to the UI Service\'s port', () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((i) => `${i.metadata.namespace}/${i.metadata.name} ${i.spec.rules[0].host}`).sort()).toEqual([
      `spark-clu-jobs/spark-history-ui spark-history.${host}`,
      `spark-clu/airflow-ui airflow.${host}`,
      `spark-clu/spark-master-ui spark.${host}`,
    ]);
    for (const ing of ingresses) {
      expect(ing.spec.ingressClassName).toBe('nginx');
      expect(ing.spec.tls).toEqual([{ hosts: [ing.spec.rules[0].host], secretName: expect.stringMatching(/-tls$/) }]);
      const [path] = ing.spec.rules[0].http.paths;
      expect([path.path, path.pathType]).toEqual(['/', 'Prefix']);
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === path.backend.service.name && o.metadata.namespace === ing.metadata.namespace) as K8sObject;
      expect(svc.spec.ports.map((p: K8sObject) => p.port)).toContain(path.backend.service.port.number);
      // the ingress controller's namespace alone reaches the UI's pods on that port
      const policy = find(objects, 'NetworkPolicy', `${svc.metadata.name === 'airflow-ui' ? 'airflow-api-server' : svc.metadata.name.replace(/-ui$/, '')}-ingress-controller-ingress`);
      // the policy opens the pod's port the Service forwards to (its targetPort)
      const targetPort = svc.spec.ports.find((p: K8sObject) => p.port === path.backend.service.port.number).targetPort;
      expect(policy.spec.ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: {} }],
        ports: [{ port: targetPort, protocol: 'TCP' }],
      }]);
      expect(selects(policy.spec.podSelector.matchLabels, svc.spec.selector)).toBe(true);
    }
  });

  test('Airflow\'s base_url is the Ingress\'s https URL', () => {
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain(`base_url = https://airflow.${host}\n`);
  });
});

describe('Ingress options', () => {
  test('a UI\'s own controller wins over the platform\'s; without TLS the base_url is http', () => {
    const objects = synthPlatform({
      environment: 'dev', network: { ...NETWORK, ingressController: { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' } } },
      airflow: { ui: { ingress: { host: 'airflow.dev.test' } } },
      spark: { ui: { ingress: { host: 'spark.dev.test', controller: { namespace: 'other' } } } },
    });
    expect(find(objects, 'NetworkPolicy', 'airflow-api-server-ingress-controller-ingress').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } },
    ]);
    expect(find(objects, 'NetworkPolicy', 'spark-master-ingress-controller-ingress').spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'other' });
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('base_url = http://airflow.dev.test\n');
    expect(find(objects, 'Ingress', 'airflow-ui').spec.ingressClassName).toBeUndefined();
  });

  test('a wildcard host needs an explicit Airflow baseUrl; a controller or scraper never in a namespace of the platform', () => {
    expect(messageOf({ environment: 'dev', network: NETWORK, airflow: { ui: { ingress: { host: '*.apps.example.com' } } } }))
      .toContain('airflow.ui.ingress.host = "*.apps.example.com": must not be a wildcard unless ui.baseUrl is set');
    expect(synthPlatform({ environment: 'dev', network: NETWORK, airflow: { ui: { baseUrl: 'https://airflow.apps.example.com', ingress: { host: '*.apps.example.com' } } } })
      .filter((o) => o.kind === 'Ingress')).toHaveLength(1);
    const message = messageOf({ environment: 'dev', network: { ...NETWORK, ingressController: { namespace: 'spark-clu' } }, monitoring: { scraperNamespace: 'spark-clu-jobs' } });
    expect(message).toContain('monitoring.scraperNamespace = "spark-clu-jobs": must not be a namespace of the platform ("spark-clu", "spark-clu-jobs")');
    expect(message).toContain('network.ingressController.namespace = "spark-clu": must not be a namespace of the platform');
  });

  test('bad values are named with what is allowed', () => {
    expect(messageOf({
      environment: 'dev', network: { ...NETWORK, ingressController: { namespace: 'Ingress' } },
      airflow: { ui: { ingress: { host: 'Airflow', className: 'nginx!', tlsSecretName: 'tls_secret', annotations: { 'bad key': 'x' } } } },
    }).split('\n').slice(1)).toEqual([
      '  - network.ingressController.namespace = "Ingress": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric',
      '  - airflow.ui.ingress.host = "Airflow": must be a fully qualified lowercase host name, e.g. "airflow.example.com" (a leading "*." allowed)',
      '  - airflow.ui.ingress.className = "nginx!": must be an IngressClass name (DNS-1123 subdomain)',
      '  - airflow.ui.ingress.tlsSecretName = "tls_secret": must be a Secret name (DNS-1123 subdomain)',
      '  - airflow.ui.ingress.annotations.bad key = "x": must be an annotation: a qualified name key and a string value',
      '  - airflow.ui.ingress.controller.namespace = "Ingress": must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and "-", starting and ending with an alphanumeric',
    ]);
  });
});
