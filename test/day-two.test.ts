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

  test('serves the event-log claim of the jobs namespace, where the drivers write', () => {
    expect(server.metadata.namespace).toBe(JOBS);
    const claim = find(objects, 'PersistentVolumeClaim', 'spark-events');
    expect(claim.metadata.namespace).toBe(JOBS);
    expect(claim.spec.accessModes).toEqual([env === 'dev' ? 'ReadWriteOnce' : 'ReadWriteMany']);
    const mount = container.volumeMounts.find((m: K8sObject) => m.mountPath === '/var/spark-events');
    expect(spec.volumes.find((v: K8sObject) => v.name === mount.name).persistentVolumeClaim.claimName).toBe('spark-events');
    const conf = properties(find(objects, 'ConfigMap', 'spark-history-conf').data['spark-defaults.conf']);
    expect(conf['spark.history.fs.logDirectory']).toBe(SPARK_EVENT_LOG_DIR);
    expect(conf['spark.history.fs.cleaner.enabled']).toBe('true');
    expect(conf['spark.history.fs.cleaner.maxAge']).toBe('7d');
    expect(container.args).toEqual(['org.apache.spark.deploy.history.HistoryServer', '--properties-file', '/etc/spark/spark-defaults.conf']);
  });

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

  test('Kubernetes drivers mount the claim and log there (application defaults); standalone ones learn it from the DAG contract', () => {
    const defaults = properties(find(objects, 'ConfigMap', 'spark-pod-templates').data['spark-defaults.conf']);
    const volume = 'spark.kubernetes.driver.volumes.persistentVolumeClaim.spark-events';
    expect(defaults).toMatchObject({
      'spark.eventLog.enabled': 'true',
      'spark.eventLog.dir': 'file:/var/spark-events',
      [`${volume}.options.claimName`]: 'spark-events',
      [`${volume}.mount.path`]: '/var/spark-events',
      [`${volume}.mount.readOnly`]: 'false',
    });
    const scheduler = podSpec(find(objects, 'StatefulSet', 'airflow-scheduler')).containers[0];
    const env_ = Object.fromEntries(scheduler.env.map((e: K8sObject) => [e.name, e.value]));
    expect([env_.SPARK_EVENT_LOG_CLAIM, env_.SPARK_EVENT_LOG_DIR]).toEqual(['spark-events', 'file:/var/spark-events']);
  });
});

describe('the history server options', () => {
  test.each([['not set', undefined], ['enabled: false', { enabled: false }]])('%s: no server, no claim, no event-log confs, an empty contract', (_label, history) => {
    const objects = synthPlatform({ environment: 'dev', network: NETWORK, ...(history ? { history } : {}) });
    expect(objects.filter((o) => o.metadata.name?.startsWith('spark-history') || o.metadata.name === 'spark-events')).toEqual([]);
    expect(find(objects, 'ConfigMap', 'spark-pod-templates').data['spark-defaults.conf']).not.toContain('eventLog');
    const scheduler = podSpec(find(objects, 'StatefulSet', 'airflow-scheduler')).containers[0];
    expect(scheduler.env.filter((e: K8sObject) => e.name.startsWith('SPARK_EVENT_LOG')).map((e: K8sObject) => e.value)).toEqual(['', '']);
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
