import { SPARK_PORTS, IMAGES } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { argAfter, find, inventory, K8sObject, podLabels, podSpec, synthPlatform, workloads } from './support/synth';

const ENV_NAMES = Object.keys(ENVIRONMENTS);

const NAMESPACES = ['Namespace/spark-clu', 'Namespace/spark-clu-jobs'];
const SPARK = [
  'ConfigMap/spark-master-conf',
  'Deployment/spark-master',
  // FILESYSTEM recovery: a restarted master gets its workers and running apps back
  'PersistentVolumeClaim/spark-master-recovery',
  'Service/spark-master',
  'Service/spark-master-ui',
  'DaemonSet/spark-worker',
];
/** staging and prod reach the UIs through Ingresses (HTTPS, class nginx). */
const INGRESS = { spark: 'Ingress/spark-master-ui', history: `Ingress/spark-history-ui (spark-clu-jobs)`, airflow: 'Ingress/airflow-ui' };
const BOOTSTRAP = [
  'ServiceAccount/secrets-bootstrap',
  'Role/secrets-bootstrap',
  'RoleBinding/secrets-bootstrap',
  'ConfigMap/secrets-bootstrap',
  'Job/secrets-bootstrap-<hash>',
  // it copies spark-auth into the jobs namespace for the standalone task pods
  'Role/secrets-bootstrap (spark-clu-jobs)',
  'RoleBinding/secrets-bootstrap (spark-clu-jobs)',
];
const JOBS = 'spark-clu-jobs';
/** The history server sits where the drivers run (the jobs namespace); in dev next to the event-log claim they write. */
const HISTORY = [
  `ConfigMap/spark-history-conf (${JOBS})`,
  `Deployment/spark-history (${JOBS})`,
  `Service/spark-history-ui (${JOBS})`,
];
const SPARK_ON_K8S = [
  `ServiceAccount/spark-submitter (${JOBS})`,
  `ServiceAccount/spark-driver (${JOBS})`,
  `ConfigMap/spark-pod-templates (${JOBS})`,
  `Role/spark-submitter-submit (${JOBS})`,
  `RoleBinding/spark-submitter-submit (${JOBS})`,
  `Role/spark-submitter-monitor (${JOBS})`,
  `RoleBinding/spark-submitter-monitor (${JOBS})`,
  `Role/spark-driver-executors (${JOBS})`,
  `RoleBinding/spark-driver-executors (${JOBS})`,
  `Role/airflow-launch-pods (${JOBS})`,
  `RoleBinding/airflow-launch-pods (${JOBS})`,
  'ServiceAccount/airflow',
  'ConfigMap/airflow-config',
  'ConfigMap/airflow-dags',
];
const POSTGRES = ['Service/airflow-postgresql', 'StatefulSet/airflow-postgresql', 'PersistentVolumeClaim/airflow-postgresql-data'];
const COMPONENTS = [
  'Deployment/airflow-api-server',
  'Service/airflow-scheduler',
  'StatefulSet/airflow-scheduler',
  'Deployment/airflow-dag-processor',
  'Service/airflow-triggerer',
  'StatefulSet/airflow-triggerer',
  'Service/airflow-api-server',
  'Service/airflow-ui',
];
/** staging and prod run two api-servers and two schedulers, each with a disruption budget. */
const COMPONENTS_WITH_BUDGETS = COMPONENTS.flatMap((n) => (['Deployment/airflow-api-server', 'StatefulSet/airflow-scheduler'].includes(n) ? [n, `PodDisruptionBudget/${n.split('/')[1]}`] : [n]));
/** Airflow's StatsD metrics go through a statsd-exporter (every environment sets `monitoring`). */
const STATSD = ['Deployment/airflow-statsd', 'Service/airflow-statsd'];
/** staging and prod have a Prometheus operator: a monitor per metrics target. */
const MONITORS = [
  'PodMonitor/spark-master-metrics',
  'PodMonitor/spark-worker-metrics',
  `PodMonitor/spark-driver-metrics (${JOBS})`,
  `PodMonitor/spark-standalone-drivers-metrics (${JOBS})`,
  'ServiceMonitor/airflow-statsd-metrics',
];
/** The (kind, name) inventory of each environment without its NetworkPolicies (see security.test.ts), in manifest order. */
const EXPECTED_INVENTORY: Record<string, string[]> = {
  dev: [...NAMESPACES, ...SPARK, ...BOOTSTRAP, `PersistentVolumeClaim/spark-events (${JOBS})`, ...HISTORY, ...SPARK_ON_K8S, ...POSTGRES, 'Job/airflow-db-migrate-<hash>', ...COMPONENTS, ...STATSD],
  staging: [...NAMESPACES, ...SPARK, INGRESS.spark, ...BOOTSTRAP, ...HISTORY, INGRESS.history, ...SPARK_ON_K8S, 'Job/airflow-db-migrate-<hash>', ...COMPONENTS_WITH_BUDGETS, INGRESS.airflow, ...STATSD, ...MONITORS],
  prod: [...NAMESPACES, ...SPARK, INGRESS.spark, ...HISTORY, INGRESS.history, ...SPARK_ON_K8S, 'Job/airflow-db-migrate-<hash>', ...COMPONENTS_WITH_BUDGETS, INGRESS.airflow, ...STATSD, ...MONITORS],
};

describe.each(ENV_NAMES)('environment %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);

  test('holds exactly the expected objects, namespace first', () => {
    expect(inventory(objects.filter((o) => o.kind !== 'NetworkPolicy'))).toEqual(EXPECTED_INVENTORY[env]);
  });

  test('the platform lives in spark-clu; what runs application code, and its grants, in spark-clu-jobs', () => {
    const inJobs = objects.filter((o) => o.metadata.namespace === JOBS);
    for (const o of objects) {
      if (o.kind === 'Namespace') expect(o.metadata.namespace).toBeUndefined();
      else expect([`${o.kind}/${o.metadata.name}`, o.metadata.namespace]).toEqual([`${o.kind}/${o.metadata.name}`, o.metadata.namespace === JOBS ? JOBS : 'spark-clu']);
    }
    // No workload, Service or Secret-bearing object of the platform in the jobs namespace, but the
    // history server where the drivers write their event logs (it holds no token, and no Secret
    // but the object store's credentials), and the monitors of the drivers ...
    const history = [`PersistentVolumeClaim/spark-events (${JOBS})`, ...HISTORY, INGRESS.history].map((i) => i.replace(` (${JOBS})`, ''));
    expect(inJobs.filter((o) => !['NetworkPolicy', 'Role', 'RoleBinding', 'ServiceAccount', 'ConfigMap', 'PodMonitor'].includes(o.kind) && !history.includes(`${o.kind}/${o.metadata.name}`))).toEqual([]);
    const server = podSpec(find(objects, 'Deployment', 'spark-history'));
    expect([server.automountServiceAccountToken, server.serviceAccountName]).toEqual([false, undefined]);
    const secretsUsed = new Set([...JSON.stringify(server).matchAll(/"secretKeyRef":\{"key":"[^"]+","name":"([^"]+)"/g)].map((m) => m[1]));
    expect([...secretsUsed]).toEqual(env === 'dev' ? [] : ['spark-event-log-s3']);
    expect(JSON.stringify(server)).not.toMatch(/"secret":\{|secretRef/); // no Secret volume, no envFrom
    // ... and every ServiceAccount there is one that user-code pods run as.
    expect(inJobs.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name).sort()).toEqual(['spark-driver', 'spark-submitter']);
    expect(inJobs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['spark-history-conf', 'spark-pod-templates']);
  });

  test('both namespaces enforce, audit and warn at restricted', () => {
    for (const name of ['spark-clu', JOBS]) {
      expect(find(objects, 'Namespace', name).metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
    }
  });

  test('every Service selects the pods of exactly one workload, and its target ports are container ports', () => {
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const selector: Record<string, string> = svc.spec.selector;
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      const matching = workloads(objects).filter((w) => Object.entries(selector).every(([k, v]) => podLabels(w)[k] === v));
      expect(matching).toHaveLength(1);
      const containerPorts = podSpec(matching[0]).containers.flatMap((c: K8sObject) => c.ports.map((p: { containerPort: number }) => p.containerPort));
      for (const port of svc.spec.ports) expect(containerPorts).toContain(port.targetPort);
    }
  });

  test('every workload selector matches its own pod labels', () => {
    for (const w of workloads(objects).filter((o) => o.kind !== 'Job')) {
      const labels = podLabels(w);
      for (const [k, v] of Object.entries(w.spec.selector.matchLabels as Record<string, string>)) expect(labels[k]).toBe(v);
    }
  });

  test('the master Service carries RPC 7077 and UI 8080, never the REST gateway 6066', () => {
    const svc = find(objects, 'Service', 'spark-master');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port])).toEqual([['rpc', 7077], ['http', 8080]]);
    for (const o of objects.filter((x) => x.kind === 'Service')) {
      for (const p of o.spec.ports) expect([p.port, p.targetPort]).not.toContain(6066);
    }
  });

  test('the master runs one replica in the foreground, recreated on update, with probes on the UI port', () => {
    const master = find(objects, 'Deployment', 'spark-master');
    expect(master.spec.replicas).toBe(1);
    expect(master.spec.strategy).toEqual({ type: 'Recreate' });
    const [c] = podSpec(master).containers;
    expect(c.image).toBe(IMAGES.spark);
    expect(c.command).toEqual(['/opt/spark/bin/spark-class']);
    expect(c.args[0]).toBe('org.apache.spark.deploy.master.Master');
    expect(argAfter(c.args, '--port')).toBe('7077');
    expect(argAfter(c.args, '--webui-port')).toBe('8080');
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([7077, 8080]);
    expect(c.readinessProbe.httpGet.port).toBe(SPARK_PORTS.masterUi);
    expect(c.livenessProbe.httpGet.port).toBe(SPARK_PORTS.masterUi);
  });

  test('workers register themselves with the master Service by DNS, with the computed cores and memory', () => {
    const ds = find(objects, 'DaemonSet', 'spark-worker');
    const [c] = podSpec(ds).containers;
    expect(c.args[0]).toBe('org.apache.spark.deploy.worker.Worker');
    expect(c.args[c.args.length - 1]).toBe('spark://spark-master.spark-clu.svc:7077');
    expect(argAfter(c.args, '--webui-port')).toBe('8081');
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([7078, 8081]);
    expect(argAfter(c.args, '--cores')).toMatch(/^[1-9][0-9]*$/);
    expect(argAfter(c.args, '--memory')).toMatch(/^[1-9][0-9]*m$/);
  });

  test('spark-defaults.conf disables the REST submission gateway and is mounted where the daemons read it', () => {
    const conf = find(objects, 'ConfigMap', 'spark-master-conf').data['spark-defaults.conf'];
    expect(conf).toContain('spark.master.rest.enabled false\n');
    for (const name of ['spark-master', 'spark-worker']) {
      const w = objects.find((o) => o.metadata.name === name && (o.kind === 'Deployment' || o.kind === 'DaemonSet')) as K8sObject;
      const [c] = podSpec(w).containers;
      expect(argAfter(c.args, '--properties-file')).toBe('/etc/spark/spark-defaults.conf');
      expect(c.volumeMounts).toContainEqual({ mountPath: '/etc/spark', name: 'spark-conf', readOnly: true });
    }
  });

  test('Spark pods run as uid 185 with a read-only root filesystem, scratch space and no API token', () => {
    for (const w of workloads(objects).filter((o) => podLabels(o)['app.kubernetes.io/name'] === 'spark')) {
      const spec = podSpec(w);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 185, runAsGroup: 185, fsGroup: 185, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsGroup: 185,
          runAsNonRoot: true,
          runAsUser: 185,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  test('every container of every pod is non-root, unprivileged, drops all capabilities, uses RuntimeDefault seccomp and sets resources', () => {
    for (const w of workloads(objects)) {
      const spec = podSpec(w);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect({ workload: w.metadata.name, container: c.name, sc: c.securityContext }).toMatchObject({
          sc: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        });
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.imagePullPolicy).toBe('IfNotPresent');
        expect(c.image).toMatch(/:[A-Za-z0-9_.-]+$|@sha256:/);
        expect(c.image).not.toMatch(/:latest$/);
        expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'memory']);
      }
    }
  });

  test('every container that listens on a port has a probe on it', () => {
    for (const w of workloads(objects)) {
      for (const c of podSpec(w).containers) {
        if (!c.ports?.length) continue;
        const probed = [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)
          .map((p: K8sObject) => p.httpGet?.port ?? p.tcpSocket?.port ?? (p.exec ? 'exec' : undefined));
        expect({ workload: w.metadata.name, probed: probed.length > 0 }).toEqual({ workload: w.metadata.name, probed: true });
        const ports = c.ports.map((p: { containerPort: number }) => p.containerPort);
        for (const port of probed) if (port !== 'exec') expect(ports).toContain(port);
      }
    }
  });
});

describe('environment differences', () => {
  test('dev exposes the Spark UI on NodePort 30000', () => {
    const ui = find(synthPlatform(ENVIRONMENTS.dev), 'Service', 'spark-master-ui');
    expect(ui.spec.type).toBe('NodePort');
    expect(ui.spec.ports).toEqual([{ name: 'http', nodePort: 30000, port: 8080, targetPort: 8080 }]);
  });

  test.each(['staging', 'prod'])('%s keeps the Spark UI ClusterIP', (env) => {
    const ui = find(synthPlatform(ENVIRONMENTS[env]), 'Service', 'spark-master-ui');
    expect(ui.spec.type).toBe('ClusterIP');
    expect(ui.spec.ports[0].nodePort).toBeUndefined();
  });

  test('prod pins workers to dedicated Spark nodes', () => {
    const spec = podSpec(find(synthPlatform(ENVIRONMENTS.prod), 'DaemonSet', 'spark-worker'));
    expect(spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/spark': 'true' });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'spark', effect: 'NoSchedule' }]);
  });

  test('worker sizes follow the memory arithmetic in each environment', () => {
    const sizes = Object.fromEntries(ENV_NAMES.map((env) => {
      const [c] = podSpec(find(synthPlatform(ENVIRONMENTS[env]), 'DaemonSet', 'spark-worker')).containers;
      const daemon = c.env.find((e: { name: string }) => e.name === 'SPARK_DAEMON_MEMORY').value;
      return [env, { cores: argAfter(c.args, '--cores'), memory: argAfter(c.args, '--memory'), daemon, limit: c.resources.limits.memory }];
    }));
    expect(sizes).toEqual({
      // 2048 = 512 + 384 + 768 + 384
      dev: { cores: '1', memory: '768m', daemon: '512m', limit: '2048Mi' },
      // 4096 = 512 + 384 + 2816 + 384
      staging: { cores: '2', memory: '2816m', daemon: '512m', limit: '4096Mi' },
      // 16384 = 1024 + 384 + 13614 + 1362
      prod: { cores: '4', memory: '13614m', daemon: '1024m', limit: '16384Mi' },
    });
  });
});
