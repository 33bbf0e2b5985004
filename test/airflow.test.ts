import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { AirflowDatabase, DAG_CONTRACT_ENV, DagSource, IMAGES, PlatformAirflowOptions, PlatformConfig } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { DAGS_DIR } from '../stacks/paths';
import { find, findJob, inventory, K8sObject, podSpec, synthPlatform } from './support/synth';
import { reach, reachInto, userCodeIdentities } from './support/rbac-paths';

const COMPONENTS = { 'api-server': 'Deployment', scheduler: 'StatefulSet', 'dag-processor': 'Deployment', triggerer: 'StatefulSet' } as const;
const DAG_COMPONENTS = ['scheduler', 'dag-processor', 'triggerer'];

function component(objects: K8sObject[], name: keyof typeof COMPONENTS): K8sObject {
  return find(objects, COMPONENTS[name], `airflow-${name}`);
}

function mainContainer(obj: K8sObject): K8sObject {
  return podSpec(obj).containers.find((c: K8sObject) => c.name === 'airflow' || c.name === 'migrate' || c.name === 'base');
}

function envOf(container: K8sObject): Record<string, K8sObject> {
  return Object.fromEntries((container.env ?? []).map((e: K8sObject) => [e.name, e]));
}

function withAirflow(airflow: PlatformAirflowOptions, extra: Partial<PlatformConfig> = {}): PlatformConfig {
  return { environment: 'dev', network: { apiServerCidr: '0.0.0.0/0' }, ...extra, airflow: { dags: DagSource.configMap({ directory: DAGS_DIR }), ...airflow } };
}

describe.each(Object.keys(ENVIRONMENTS))('Airflow in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);
  const dagEnv = (Object.fromEntries(DAG_CONTRACT_ENV.map((n) => [n, envOf(mainContainer(component(objects, 'scheduler')))[n]?.value])));

  test('runs one workload per component with the official image as uid 50000', () => {
    for (const name of Object.keys(COMPONENTS) as (keyof typeof COMPONENTS)[]) {
      const w = component(objects, name);
      // staging and prod run two api-servers and two schedulers (a drain evicts one at a time)
      expect(w.spec.replicas).toBe(env !== 'dev' && ['api-server', 'scheduler'].includes(name) ? 2 : 1);
      const c = mainContainer(w);
      expect(c.image).toBe(IMAGES.airflow);
      expect(c.args.slice(0, 2)).toEqual(['airflow', name]);
      expect(podSpec(w).securityContext).toMatchObject({ runAsUser: 50000, runAsNonRoot: true });
      expect(c.securityContext).toMatchObject({ runAsUser: 50000, readOnlyRootFilesystem: true });
    }
  });

  test('has health probes on every component', () => {
    const probes = (name: keyof typeof COMPONENTS) => {
      const c = mainContainer(component(objects, name));
      return { startup: c.startupProbe, readiness: c.readinessProbe, liveness: c.livenessProbe };
    };
    expect(probes('api-server').readiness.httpGet).toEqual({ path: '/api/v2/monitor/health', port: 8080, scheme: 'HTTP' });
    expect(probes('api-server').liveness.httpGet.path).toBe('/api/v2/monitor/health');
    expect(probes('scheduler').liveness.httpGet).toEqual({ path: '/health', port: 8974, scheme: 'HTTP' });
    expect(probes('dag-processor').liveness.exec.command).toEqual(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local']);
    expect(probes('triggerer').liveness.exec.command).toEqual(['airflow', 'jobs', 'check', '--job-type', 'TriggererJob', '--local']);
    expect(probes('triggerer').readiness.tcpSocket).toEqual({ port: 8794 });
  });

  test('every component waits for the schema migration before it starts', () => {
    for (const name of Object.keys(COMPONENTS) as (keyof typeof COMPONENTS)[]) {
      const init = podSpec(component(objects, name)).initContainers;
      expect(init.map((c: K8sObject) => c.args)).toContainEqual(['airflow', 'db', 'check-migrations', '--migration-wait-timeout', '600']);
    }
  });

  test('the migration Job runs `airflow db migrate` once the database answers (then, with FAB, the admin step)', () => {
    const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('airflow-db-migrate-'));
    expect(jobs).toHaveLength(1);
    const spec = podSpec(jobs[0]);
    const steps = [...spec.initContainers, ...spec.containers].map((c: K8sObject) => c.args.slice(0, 3));
    const fab = env !== 'dev';
    expect(steps).toEqual([['airflow', 'db', 'check'], ['airflow', 'db', 'migrate'], ...(fab ? [['python', '-c', expect.stringContaining('get_application_builder')]] : [])]);
    expect(spec.containers).toHaveLength(1);
    expect(spec.restartPolicy).toBe('Never');
    expect(jobs[0].spec.backoffLimit).toBe(6);
  });

  test('each Airflow process gets only the secrets it uses, by reference only (as the Airflow chart does)', () => {
    const secretRefs = (c: K8sObject) => Object.keys(envOf(c)).filter((n) => envOf(c)[n].valueFrom).sort();
    const db = 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN';
    const expected: Record<string, string[]> = {
      'api-server': ['AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY', db],
      // issues task tokens: the only other holder of the JWT secret
      scheduler: ['AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY', db],
      triggerer: ['AIRFLOW__API__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY', db],
      'dag-processor': ['AIRFLOW__CORE__FERNET_KEY', db],
    };
    for (const name of Object.keys(COMPONENTS) as (keyof typeof COMPONENTS)[]) {
      expect([name, secretRefs(mainContainer(component(objects, name)))]).toEqual([name, expected[name]]);
      for (const c of podSpec(component(objects, name)).initContainers.filter((i: K8sObject) => i.name === 'wait-for-migrations')) expect(secretRefs(c)).toEqual([db]);
    }
    const migration = podSpec(objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('airflow-db-migrate-')) as K8sObject);
    for (const c of [...migration.initContainers, ...migration.containers]) {
      // the FAB admin step also gets the admin password (test/auth.test.ts)
      expect(secretRefs(c)).toEqual(c.name === 'admin-user' ? ['AIRFLOW_ADMIN_PASSWORD', db] : [db]);
    }
    const dbRef = envOf(mainContainer(component(objects, 'api-server')))[db].valueFrom.secretKeyRef;
    expect(dbRef).toEqual(env === 'dev' ? { name: 'airflow-secrets', key: 'sql-alchemy-conn' } : { name: 'airflow-database', key: 'connection' });
  });

  test('components that parse or run DAGs mount them at /opt/airflow/dags and get the DAG contract environment', () => {
    for (const name of Object.keys(COMPONENTS) as (keyof typeof COMPONENTS)[]) {
      const c = mainContainer(component(objects, name));
      const env = envOf(c);
      const mounts = c.volumeMounts.map((m: K8sObject) => m.mountPath);
      if (DAG_COMPONENTS.includes(name)) {
        expect(mounts).toContain('/opt/airflow/dags');
        for (const n of DAG_CONTRACT_ENV) expect(env[n]?.value).toBe(dagEnv[n]);
      } else {
        expect(mounts).not.toContain('/opt/airflow/dags');
        for (const n of DAG_CONTRACT_ENV) expect(env[n]).toBeUndefined();
      }
    }
  });

  test('the DAG contract values point at this platform', () => {
    expect(dagEnv).toEqual({
      SPARK_JOB_IMAGE: IMAGES.sparkJob,
      SPARK_NAMESPACE: 'spark-clu-jobs',
      SPARK_SUBMITTER_SERVICE_ACCOUNT: 'spark-submitter',
      SPARK_DRIVER_SERVICE_ACCOUNT: 'spark-driver',
      SPARK_MASTER_URL: 'spark://spark-master.spark-clu.svc:7077',
      SPARK_POD_TEMPLATES_CONFIGMAP: 'spark-pod-templates',
      SPARK_AUTH_SECRET_NAME: 'spark-auth',
      SPARK_EXECUTOR_MEMORY: { dev: '768m', staging: '2816m', prod: '13614m' }[env],
      ...(env === 'dev'
        ? { SPARK_EVENT_LOG_CLAIM: 'spark-events', SPARK_EVENT_LOG_DIR: 'file:/var/spark-events', SPARK_EVENT_LOG_CONF: '', SPARK_EVENT_LOG_SECRET: '' }
        : {
          // the object store: no claim; its S3A settings and credentials Secret instead
          SPARK_EVENT_LOG_CLAIM: '',
          SPARK_EVENT_LOG_DIR: ENVIRONMENTS[env].history?.eventLog?.objectStore?.url,
          SPARK_EVENT_LOG_CONF: expect.stringContaining('"spark.hadoop.fs.s3a.endpoint.region":'),
          SPARK_EVENT_LOG_SECRET: 'spark-event-log-s3',
        }),
    });
    expect(inventory(objects)).toEqual(expect.arrayContaining(['ServiceAccount/spark-submitter (spark-clu-jobs)', 'ServiceAccount/spark-driver (spark-clu-jobs)', 'ConfigMap/spark-pod-templates (spark-clu-jobs)', 'Service/spark-master']));
  });

  test('the DAG ConfigMap holds every file of dags/', () => {
    const cm = find(objects, 'ConfigMap', 'airflow-dags');
    const files = fs.readdirSync(DAGS_DIR).filter((f) => !f.startsWith('.') && f !== '__pycache__' && !f.endsWith('.pyc')).sort();
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(cm.data).sort()).toEqual(['.airflowignore', ...files].sort());
    for (const f of files) expect(cm.data[f]).toBe(fs.readFileSync(path.join(DAGS_DIR, f), 'utf8'));
    // Hides the kubelet's ..data / ..<timestamp> entries from Airflow's DAG discovery.
    expect(cm.data['.airflowignore']).toBe('..*/\n');
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('dag_ignore_file_syntax = glob\n');
  });

  test('only the scheduler and triggerer carry an API token', () => {
    const tokens = Object.fromEntries((Object.keys(COMPONENTS) as (keyof typeof COMPONENTS)[]).map((n) => [n, [podSpec(component(objects, n)).automountServiceAccountToken, podSpec(component(objects, n)).serviceAccountName]]));
    expect(tokens).toEqual({ 'api-server': [false, undefined], scheduler: [true, 'airflow'], 'dag-processor': [false, undefined], triggerer: [true, 'airflow'] });
  });

  test('no Secret object is synthesized, so no secret value can reach dist/', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(objects);
    // No URL with inline credentials (the bootstrap script's template uses {placeholders}).
    expect(text).not.toMatch(/"stringData"|:\/\/[A-Za-z0-9_.-]+:[^"\s@{}]+@/);
  });
});

describe('Airflow per environment', () => {
  test('dev exposes the UI on NodePort 30001; staging and prod keep it ClusterIP', () => {
    const ui = (env: string) => find(synthPlatform(ENVIRONMENTS[env]), 'Service', 'airflow-ui').spec;
    expect(ui('dev')).toMatchObject({ type: 'NodePort', ports: [{ name: 'http', port: 8080, targetPort: 8080, nodePort: 30001 }] });
    expect(ui('staging').type).toBe('ClusterIP');
    expect(ui('prod').type).toBe('ClusterIP');
  });

  test('dev runs PostgreSQL in the namespace; staging and prod use an external database from a Secret', () => {
    const dev = synthPlatform(ENVIRONMENTS.dev);
    const pg = find(dev, 'StatefulSet', 'airflow-postgresql');
    const c = podSpec(pg).containers[0];
    expect(podSpec(pg).securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
    expect(c.volumeMounts.map((m: K8sObject) => m.mountPath).sort()).toEqual(['/run/secrets/postgres', '/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
    // The password comes from a mounted Secret file, not from the environment.
    expect(envOf(c).POSTGRES_PASSWORD).toBeUndefined();
    expect(envOf(c).POSTGRES_PASSWORD_FILE.value).toBe('/run/secrets/postgres/password');
    expect(podSpec(pg).volumes).toContainEqual({ name: 'password', secret: { secretName: 'airflow-secrets', defaultMode: 0o440, items: [{ key: 'postgres-password', path: 'password' }] } });
    expect(c.readinessProbe.exec.command[0]).toBe('pg_isready');
    expect(find(dev, 'PersistentVolumeClaim', 'airflow-postgresql-data').spec.resources.requests.storage).toBe('8Gi');
    for (const env of ['staging', 'prod']) {
      const objects = synthPlatform(ENVIRONMENTS[env]);
      expect(objects.some((o) => o.metadata.name === 'airflow-postgresql')).toBe(false);
      const conn = envOf(mainContainer(component(objects, 'scheduler'))).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN;
      expect(conn.valueFrom.secretKeyRef).toEqual({ name: 'airflow-database', key: 'connection' });
    }
  });

  test('the secrets bootstrap may only create Secrets and read the ones it manages; prod supplies its own', () => {
    const dev = synthPlatform(ENVIRONMENTS.dev);
    expect(find(dev, 'Role', 'secrets-bootstrap').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resourceNames: ['spark-auth'], resources: ['secrets'], verbs: ['get'] },
      { apiGroups: [''], resourceNames: ['airflow-secrets'], resources: ['secrets'], verbs: ['get'] },
    ]);
    const job = findJob(dev, 'secrets-bootstrap');
    expect(podSpec(job).serviceAccountName).toBe('secrets-bootstrap');
    expect(podSpec(job).containers[0].command).toEqual(['python3', '/opt/bootstrap/bootstrap.py']);
    const specs = find(dev, 'ConfigMap', 'secrets-bootstrap').data;
    expect(Object.keys(specs).sort()).toEqual(['bootstrap.py', 'secret-airflow-secrets.json', 'secret-spark-auth.json']);
    expect(JSON.parse(specs['secret-airflow-secrets.json'])).toEqual({
      name: 'airflow-secrets',
      copyTo: [],
      keys: [
        { key: 'admin-password', generate: 'token' },
        { key: 'api-secret-key', generate: 'token' },
        { key: 'fernet-key', generate: 'fernet' },
        { key: 'jwt-secret', generate: 'token' },
        { key: 'postgres-password', generate: 'token' },
        { key: 'sql-alchemy-conn', generate: 'postgres-url', passwordKey: 'postgres-password', user: 'airflow', host: 'airflow-postgresql.spark-clu.svc', port: 5432, database: 'airflow' },
      ],
    });
    // the standalone task pods in the jobs namespace mount a copy
    expect(JSON.parse(specs['secret-spark-auth.json'])).toEqual({ name: 'spark-auth', keys: [{ key: 'secret', generate: 'token' }], copyTo: ['spark-clu-jobs'] });
    const copyRole = dev.find((o) => o.kind === 'Role' && o.metadata.name === 'secrets-bootstrap' && o.metadata.namespace === 'spark-clu-jobs') as K8sObject;
    expect(copyRole.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resourceNames: ['spark-auth'], resources: ['secrets'], verbs: ['get', 'update'] },
    ]);
    expect(synthPlatform(ENVIRONMENTS.prod).some((o) => o.metadata.name === 'secrets-bootstrap')).toBe(false);
  });

  test('Job names follow their pod template: stable for a config, new when the template changes', () => {
    // A Job's template is immutable: re-applying a changed one under the same name fails
    // ("field is immutable", found on a real node); a new name makes it a new Job.
    const names = (config: PlatformConfig) => synthPlatform(config).filter((o) => o.kind === 'Job').map((o) => o.metadata.name).sort();
    const dev = names(ENVIRONMENTS.dev);
    expect(dev).toEqual([expect.stringMatching(/^airflow-db-migrate-[0-9a-f]{8}$/), expect.stringMatching(/^secrets-bootstrap-[0-9a-f]{8}$/)]);
    expect(names(ENVIRONMENTS.dev)).toEqual(dev);
    const newImage = names(withAirflow({ image: 'apache/airflow:3.3.1-python3.12' }));
    expect(newImage[0]).not.toBe(dev[0]);
    const newConfig = names(withAirflow({ ui: { expose: true, nodePort: 30001, baseUrl: 'https://airflow.example.com' } }));
    expect(newConfig[0]).not.toBe(dev[0]);
    for (const objects of [synthPlatform(ENVIRONMENTS.dev)]) {
      for (const job of objects.filter((o) => o.kind === 'Job')) {
        const hash = createHash('sha256').update(JSON.stringify(job.spec.template)).digest('hex').slice(0, 8);
        expect(job.metadata.name.endsWith(`-${hash}`)).toBe(true);
      }
    }
  });
});

describe('DagSource kinds', () => {
  test('configMap packs nested files with their paths', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dags-'));
    fs.mkdirSync(path.join(dir, 'lib', '__pycache__'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.py'), 'A = 1\n');
    fs.writeFileSync(path.join(dir, 'lib', 'b.py'), 'B = 2\n');
    fs.writeFileSync(path.join(dir, 'lib', '__pycache__', 'b.cpython-311.pyc'), 'x');
    fs.writeFileSync(path.join(dir, '.hidden'), 'x');
    fs.writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0xff, 0x00, 0xfe]));
    const objects = synthPlatform(withAirflow({ dags: DagSource.configMap({ directory: dir }) }));
    const cm = find(objects, 'ConfigMap', 'airflow-dags');
    expect(cm.data).toEqual({ '.airflowignore': '..*/\n', 'a.py': 'A = 1\n', 'lib__b.py': 'B = 2\n' });
    expect(cm.binaryData).toEqual({ 'blob.bin': '/wD+' });
    const volume = podSpec(component(objects, 'scheduler')).volumes.find((v: K8sObject) => v.name === 'dags');
    expect(volume.configMap.items).toEqual([
      { key: '.airflowignore', path: '.airflowignore' }, { key: 'a.py', path: 'a.py' }, { key: 'blob.bin', path: 'blob.bin' }, { key: 'lib__b.py', path: 'lib/b.py' },
    ]);
  });

  test('configMap keeps the DAG folder\'s own .airflowignore and extends it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dags-'));
    fs.writeFileSync(path.join(dir, 'a.py'), 'A = 1\n');
    fs.writeFileSync(path.join(dir, '.airflowignore'), 'scratch/*');
    const cm = find(synthPlatform(withAirflow({ dags: DagSource.configMap({ directory: dir }) })), 'ConfigMap', 'airflow-dags');
    expect(cm.data['.airflowignore']).toBe('scratch/*\n..*/\n');
  });

  test('gitSync adds a one-time clone and a sidecar to every DAG component and points dags_folder at the link', () => {
    const objects = synthPlatform(withAirflow({ dags: DagSource.gitSync({ repo: 'https://github.com/example/dags.git', branch: 'main', subPath: 'pipelines', period: '30s', credentialsSecret: 'git-creds' }) }));
    expect(objects.some((o) => o.metadata.name === 'airflow-dags')).toBe(false);
    for (const name of DAG_COMPONENTS as (keyof typeof COMPONENTS)[]) {
      const spec = podSpec(component(objects, name));
      const sidecar = spec.containers.find((c: K8sObject) => c.name === 'git-sync');
      const init = spec.initContainers.find((c: K8sObject) => c.name === 'git-sync-init');
      expect(sidecar.image).toBe(IMAGES.gitSync);
      expect(sidecar.args).toEqual(['--repo=https://github.com/example/dags.git', '--ref=main', '--root=/git', '--link=repo', '--depth=1', '--period=30s']);
      expect(init.args).toContain('--one-time');
      expect(envOf(sidecar).GITSYNC_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'git-creds', key: 'password' });
      expect(sidecar.securityContext).toMatchObject({ runAsUser: 65533, runAsNonRoot: true, allowPrivilegeEscalation: false });
      expect(spec.volumes.find((v: K8sObject) => v.name === 'dags')).toEqual({ name: 'dags', emptyDir: {} });
    }
    expect(podSpec(component(objects, 'api-server')).containers.map((c: K8sObject) => c.name)).toEqual(['airflow']);
    expect(find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('dags_folder = /opt/airflow/dags/repo/pipelines\n');
  });

  test('persistentVolumeClaim mounts an existing claim read-only', () => {
    const objects = synthPlatform(withAirflow({ dags: DagSource.persistentVolumeClaim('shared-dags') }));
    const spec = podSpec(component(objects, 'dag-processor'));
    expect(spec.volumes.find((v: K8sObject) => v.name === 'dags')).toEqual({ name: 'dags', persistentVolumeClaim: { claimName: 'shared-dags', readOnly: true } });
    expect(mainContainer(component(objects, 'dag-processor')).volumeMounts).toContainEqual({ mountPath: '/opt/airflow/dags', name: 'dags', readOnly: true });
  });

  test('hostPath is allowed only in a namespace that enforces privileged', () => {
    const objects = synthPlatform(withAirflow({ dags: DagSource.hostPath('/opt/dags') }, { namespace: { podSecurity: { enforce: 'privileged' } } }));
    expect(podSpec(component(objects, 'scheduler')).volumes.find((v: K8sObject) => v.name === 'dags')).toEqual({ name: 'dags', hostPath: { path: '/opt/dags', type: 'Directory' } });
    expect(find(objects, 'Namespace', 'spark-clu').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });
});

describe.each([
  ['configMap', () => DagSource.configMap({ directory: DAGS_DIR }), {}],
  ['gitSync', () => DagSource.gitSync({ repo: 'https://github.com/example/dags.git', subPath: 'dags' }), {}],
  ['persistentVolumeClaim', () => DagSource.persistentVolumeClaim('shared-dags'), {}],
  ['hostPath', () => DagSource.hostPath('/opt/dags'), { namespace: { podSecurity: { enforce: 'privileged' as const } } }],
] as const)('with DagSource.%s', (kind, source, extra) => {
  const objects = synthPlatform(withAirflow({ dags: source() }, extra));

  test('holds the expected Airflow inventory', () => {
    const airflow = inventory(objects).filter((n) => n.includes('/airflow-') && !n.startsWith('NetworkPolicy/'));
    const dagsConfigMap = kind === 'configMap' ? ['ConfigMap/airflow-dags'] : [];
    expect(airflow).toEqual([
      'Role/airflow-launch-pods (spark-clu-jobs)', 'RoleBinding/airflow-launch-pods (spark-clu-jobs)', 'ConfigMap/airflow-config', ...dagsConfigMap,
      'Service/airflow-postgresql', 'StatefulSet/airflow-postgresql', 'PersistentVolumeClaim/airflow-postgresql-data',
      'Job/airflow-db-migrate-<hash>', 'Deployment/airflow-api-server', 'Service/airflow-scheduler', 'StatefulSet/airflow-scheduler',
      'Deployment/airflow-dag-processor', 'Service/airflow-triggerer', 'StatefulSet/airflow-triggerer', 'Service/airflow-api-server', 'Service/airflow-ui',
    ]);
  });

  test('matches the snapshot of its DAG-related objects', () => {
    const dagParts = DAG_COMPONENTS.map((name) => {
      const spec = podSpec(component(objects, name as keyof typeof COMPONENTS));
      return { name, volumes: spec.volumes, containers: spec.containers.map((c: K8sObject) => ({ name: c.name, args: c.args, mounts: c.volumeMounts })), init: spec.initContainers.map((c: K8sObject) => c.name) };
    });
    expect({ cfg: find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg'], dagParts }).toMatchSnapshot();
  });
});

describe('KubernetesExecutor', () => {
  const objects = synthPlatform(withAirflow({ executor: 'KubernetesExecutor' }));
  const JOBS = 'spark-clu-jobs';
  const inJobs = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === JOBS) as K8sObject;

  test('workers run in the jobs namespace as its own ServiceAccount, with no database URL, fernet key or JWT secret', () => {
    const cm = find(objects, 'ConfigMap', 'airflow-pod-template');
    expect(cm.metadata.namespace).toBe('spark-clu'); // mounted by the scheduler
    const template = parse(cm.data['pod_template.yaml']);
    expect(template.kind).toBe('Pod');
    expect(template.spec.serviceAccountName).toBe('airflow-worker');
    expect(inJobs('ServiceAccount', 'airflow-worker').automountServiceAccountToken).toBe(false);
    expect(template.spec.automountServiceAccountToken).toBe(true); // it runs KubernetesPodOperator tasks
    const base = template.spec.containers[0];
    expect(base.name).toBe('base');
    expect(base.image).toBe(IMAGES.airflow);
    const env = envOf(base);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([...DAG_CONTRACT_ENV]));
    // Airflow 3 workers talk only to the execution API; the log server verifies the UI's requests
    expect(Object.keys(env).filter((n) => env[n].valueFrom)).toEqual(['AIRFLOW__API__SECRET_KEY']);
    expect(base.volumeMounts).toContainEqual({ name: 'dags', mountPath: '/opt/airflow/dags', readOnly: true });
    expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 50000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(base.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const cfg = find(objects, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('executor = KubernetesExecutor\n');
    expect(cfg).toContain(`[kubernetes_executor]\nnamespace = ${JOBS}\n`);
    // what the workers mount is there too, the same
    expect(inJobs('ConfigMap', 'airflow-config').data).toEqual(cm && find(objects, 'ConfigMap', 'airflow-config').data);
    expect(inJobs('ConfigMap', 'airflow-dags').data).toEqual(find(objects, 'ConfigMap', 'airflow-dags').data);
  });

  test('lets the scheduler manage worker pods, and workers launch task pods, only in the jobs namespace', () => {
    const role = inJobs('Role', 'airflow-kubernetes-executor');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    expect(inJobs('RoleBinding', 'airflow-kubernetes-executor').subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'airflow', namespace: 'spark-clu' }]);
    expect(inJobs('RoleBinding', 'airflow-worker-launch-pods').subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'airflow-worker', namespace: JOBS }]);
    expect(objects.filter((o) => ['Role', 'RoleBinding'].includes(o.kind) && o.metadata.namespace === 'spark-clu' && o.metadata.name.startsWith('airflow'))).toEqual([]);
    expect(mainContainer(component(objects, 'scheduler')).volumeMounts).toContainEqual({ mountPath: '/opt/airflow/pod-templates', name: 'pod-templates', readOnly: true });
  });

  test('no path from a worker (task code) to the platform namespace', () => {
    expect(userCodeIdentities(objects, JOBS)).toContain(`${JOBS}/airflow-worker`);
    for (const who of userCodeIdentities(objects, JOBS)) expect([who, reachInto(reach(objects, who), 'spark-clu')]).toEqual([who, []]);
  });

  test('workers reach the execution API and the Kubernetes API from the jobs namespace', () => {
    const egress = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'airflow-worker-to-api-server-egress') as K8sObject;
    expect(egress.metadata.namespace).toBe(JOBS);
    const ingress = find(objects, 'NetworkPolicy', 'airflow-worker-to-api-server-ingress');
    expect(ingress.metadata.namespace).toBe('spark-clu');
    expect(ingress.spec.ingress[0].from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': JOBS } });
    expect(inJobs('NetworkPolicy', 'airflow-worker-kube-api-egress')).toBeDefined();
  });
});

describe('task logs', () => {
  const volumeOf = (w: K8sObject, name: string) => podSpec(w).volumes.find((v: K8sObject) => v.name === name);

  test('LocalExecutor with persistence: the scheduler and the triggerer keep their logs on claims of their own', () => {
    const objects = synthPlatform(withAirflow({ logs: { persistence: { size: '2Gi', storageClassName: 'standard' } } }));
    for (const name of ['scheduler', 'triggerer'] as const) {
      // a claim per pod (logs-airflow-<name>-<ordinal>), from the StatefulSet's claim template
      const [template] = component(objects, name).spec.volumeClaimTemplates;
      expect(template.metadata.name).toBe('logs');
      expect(template.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'standard' });
      expect(volumeOf(component(objects, name), 'logs')).toBeUndefined();
      expect(mainContainer(component(objects, name)).volumeMounts).toContainEqual({ mountPath: '/opt/airflow/logs', name: 'logs' });
    }
    // the api-server reads them from the log servers; its own logs stay on an emptyDir
    expect(volumeOf(component(objects, 'api-server'), 'logs')).toEqual({ name: 'logs', emptyDir: {} });
  });

  test('without persistence every log volume is an emptyDir (the default)', () => {
    const objects = synthPlatform(withAirflow({}));
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.labels?.['app.kubernetes.io/name'] !== 'spark').map((o) => o.metadata.name)).toEqual(['airflow-postgresql-data']);
  });

  test('KubernetesExecutor with persistence is refused: workers run in the jobs namespace, claims cannot cross it', () => {
    expect(() => synthPlatform(withAirflow({ executor: 'KubernetesExecutor', logs: { persistence: {} } }))).toThrow(
      'airflow.logs.persistence = {}: cannot be used with the KubernetesExecutor: its worker pods run in the jobs namespace "spark-clu-jobs" and a claim cannot be mounted across namespaces',
    );
  });

  test('KubernetesExecutor: the api-server may read running tasks\' logs from the worker pods', () => {
    const objects = synthPlatform(withAirflow({ executor: 'KubernetesExecutor' }));
    const ingress = find(objects, 'NetworkPolicy', 'airflow-worker-logs-ingress');
    expect(ingress.spec.podSelector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'worker' });
    expect(ingress.metadata.namespace).toBe('spark-clu-jobs');
    expect(ingress.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'spark-clu' } }, podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'api-server' }) } }],
      ports: [{ port: 8793, protocol: 'TCP' }],
    }]);
  });
});

describe('addresses', () => {
  test('[api] base_url is where users open the UI: the Ingress, the NodePort when exposed, port-forward otherwise, or as set', () => {
    const cfg = (config: PlatformConfig) => find(synthPlatform(config), 'ConfigMap', 'airflow-config').data['airflow.cfg'] as string;
    expect(cfg(ENVIRONMENTS.dev)).toContain('base_url = http://localhost:30001\n');
    expect(cfg(ENVIRONMENTS.prod)).toContain('base_url = https://airflow.example.com\n');
    expect(cfg(withAirflow({}))).toContain('base_url = http://localhost:8080\n');
    expect(cfg(withAirflow({ ui: { baseUrl: 'https://airflow.example.com/ops' } }))).toContain('base_url = https://airflow.example.com/ops\n');
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: no address depends on the cluster domain (cluster.local)', (env) => {
    expect(JSON.stringify(synthPlatform(ENVIRONMENTS[env]))).not.toContain('cluster.local');
  });
});

describe('Airflow config validation', () => {
  function message(config: PlatformConfig): string {
    try {
      synthPlatform(config);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected a ValidationError');
  }

  test('fails when hostPath DAGs are used in a namespace that enforces restricted', () => {
    expect(message(withAirflow({ dags: DagSource.hostPath('/opt/dags') }))).toBe(
      'Invalid configuration for environment "dev":\n  - airflow.dags = "hostPath:/opt/dags": hostPath volumes are forbidden by the "restricted" Pod Security Standard this namespace enforces; use DagSource.configMap() or DagSource.gitSync(), or (dev only) set namespace.podSecurity.enforce to "privileged"',
    );
  });

  test('fails when the DAG ConfigMap would exceed 1 MiB, naming the largest files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'big-dags-'));
    fs.writeFileSync(path.join(dir, 'dag.py'), 'x = 1\n');
    fs.writeFileSync(path.join(dir, 'data.csv'), 'a'.repeat(700 * 1024));
    fs.writeFileSync(path.join(dir, 'model.json'), 'b'.repeat(400 * 1024));
    expect(message(withAirflow({ dags: DagSource.configMap({ directory: dir }) }))).toBe(
      `Invalid configuration for environment "dev":\n  - airflow.dags.directory = ${JSON.stringify(dir)}: holds 1126411 bytes of DAG files, over the 1048576-byte ConfigMap limit; largest: data.csv (716800 bytes), model.json (409600 bytes), dag.py (6 bytes); move data files out of the DAG folder or use DagSource.gitSync() or DagSource.persistentVolumeClaim()`,
    );
  });

  test.each(['github.com/example/dags', 'http://github.com/example/dags.git', 'https://user:token@github.com/example/dags.git', 'file:///etc/passwd'])('fails on the git URL %j', (repo) => {
    expect(message(withAirflow({ dags: DagSource.gitSync({ repo }) }))).toMatch(new RegExp(`^Invalid configuration for environment "dev":\\n  - airflow\\.dags\\.repo = ${JSON.stringify(repo).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: must (be a git URL|not embed credentials)`));
  });

  test('fails on a bad git-sync period and subPath', () => {
    expect(message(withAirflow({ dags: DagSource.gitSync({ repo: 'https://github.com/example/dags.git', period: '1s', subPath: '../etc' }) }))).toBe(
      'Invalid configuration for environment "dev":\n' +
        '  - airflow.dags.subPath = "../etc": must be a relative path inside the repository without ".."\n' +
        '  - airflow.dags.period = "1s": must be a duration of at least 10s, e.g. "30s", "5m"',
    );
  });

  test('fails when an external database has no Secret name', () => {
    expect(message(withAirflow({ database: AirflowDatabase.external({ secretName: '' }) }))).toBe(
      'Invalid configuration for environment "dev":\n  - airflow.database.secretName = "": must name the Secret holding the database URL (a DNS-1123 subdomain); an external database needs it',
    );
  });

  test('fails on an executor typo', () => {
    expect(message(withAirflow({ executor: 'KubernetesExecuter' as never }))).toBe(
      'Invalid configuration for environment "dev":\n  - airflow.executor = "KubernetesExecuter": must be one of "LocalExecutor", "KubernetesExecutor"',
    );
  });

  test('fails when the Spark and Airflow UIs ask for the same NodePort', () => {
    expect(message(withAirflow({ ui: { expose: true, nodePort: 30000 } }, { spark: { ui: { expose: true, nodePort: 30000 } } }))).toBe(
      'Invalid configuration for environment "dev":\n  - airflow.ui.nodePort = 30000: must be unique within the environment; spark.ui.nodePort already uses it',
    );
  });

  test('fails when the Airflow image is not pinned', () => {
    expect(message(withAirflow({ image: 'apache/airflow:latest' }))).toBe(
      'Invalid configuration for environment "dev":\n  - airflow.image = "apache/airflow:latest": must be pinned: "<repository>:<version tag>" (not "latest") or "<repository>@sha256:<digest>"',
    );
  });

  test('fails when the submitter and Airflow share a ServiceAccount', () => {
    expect(message(withAirflow({}, { serviceAccounts: { submitter: 'airflow' } }))).toBe(
      'Invalid configuration for environment "dev":\n  - serviceAccounts.submitter = "airflow": must differ from airflow.serviceAccountName: each identity gets only its own grants',
    );
  });
});

describe('the README documents the DAG contract', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `(SPARK_[A-Z_]+)` \| (.*) \|$/gm)].map((m) => ({ name: m[1], text: m[2] }));

  test('its table names every contract variable, once, in the order of DAG_CONTRACT_ENV', () => {
    expect(rows.map((r) => r.name)).toEqual([...DAG_CONTRACT_ENV]);
  });

  test('the dev values it quotes are the ones dev synthesizes', () => {
    const objects = synthPlatform(ENVIRONMENTS.dev);
    const scheduler = podSpec(find(objects, 'StatefulSet', 'airflow-scheduler')).containers[0];
    const env = Object.fromEntries((scheduler.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
    for (const { name, text } of rows) {
      const quoted = /\(`([^`]+)`\)/.exec(text)?.[1];
      if (quoted !== undefined && !quoted.includes('<')) expect([name, quoted]).toEqual([name, env[name]]);
    }
  });
});
