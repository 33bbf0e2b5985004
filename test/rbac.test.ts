import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { DagSource, SparkSubmitterRbac } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { DAGS_DIR } from '../stacks/paths';
import { find, K8sObject, synthPlatform } from './support/synth';
import { grantsBySubject, matrix, reach, reachInto, userCodeIdentities } from './support/rbac-paths';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

const PLATFORM = 'spark-clu';
const JOBS = 'spark-clu-jobs';

/** Every grant of each ServiceAccount (`ns/name`), per namespace: the RBAC matrix. */
function matrixBySubject(objects: K8sObject[]): Record<string, Record<string, string[]>> {
  return Object.fromEntries([...grantsBySubject(objects)].map(([who, grants]) => [who, matrix(grants)]));
}

const LAUNCH_PODS = [
  'events:list',
  'pods/exec:create', 'pods/exec:get',
  'pods/log:get',
  'pods:create', 'pods:delete', 'pods:get', 'pods:list', 'pods:patch', 'pods:watch',
];

describe.each(Object.keys(ENVIRONMENTS))('RBAC in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);

  test('each ServiceAccount holds exactly the grants it needs, in the namespace it needs them', () => {
    const expected: Record<string, Record<string, string[]>> = {
      [`${JOBS}/spark-submitter`]: {
        [JOBS]: [
          'configmaps:create', 'configmaps:delete', 'configmaps:get', 'configmaps:list', 'configmaps:patch',
          'persistentvolumeclaims:create', 'persistentvolumeclaims:delete', 'persistentvolumeclaims:get', 'persistentvolumeclaims:list',
          'pods/log:get',
          'pods:create', 'pods:delete', 'pods:get', 'pods:list', 'pods:watch',
          // each Kubernetes app's authentication key (job/src/submit.ts): created, never read
          'secrets:create',
          'services:create', 'services:delete', 'services:get', 'services:list', 'services:patch',
        ],
      },
      [`${JOBS}/spark-driver`]: {
        [JOBS]: [
          'configmaps:create', 'configmaps:delete', 'configmaps:deletecollection', 'configmaps:get', 'configmaps:list', 'configmaps:patch',
          'persistentvolumeclaims:create', 'persistentvolumeclaims:delete', 'persistentvolumeclaims:deletecollection', 'persistentvolumeclaims:get', 'persistentvolumeclaims:list',
          'pods:create', 'pods:delete', 'pods:deletecollection', 'pods:get', 'pods:list', 'pods:watch',
          // Spark 4 deletes the app's Services by label when the driver stops (a 403 seen on a real node)
          'services:create', 'services:delete', 'services:deletecollection', 'services:get', 'services:list', 'services:patch',
        ],
      },
      // Airflow launches and follows the task pods: only in the jobs namespace, nothing in its own.
      [`${PLATFORM}/airflow`]: { [JOBS]: LAUNCH_PODS },
    };
    if (env !== 'prod') {
      expected[`${PLATFORM}/secrets-bootstrap`] = {
        [PLATFORM]: ['secrets:create', 'secrets:get(airflow-secrets)', 'secrets:get(spark-auth)'],
        // the copy of spark-auth for the standalone task pods
        [JOBS]: ['secrets:create', 'secrets:get(spark-auth)', 'secrets:update(spark-auth)'],
      };
    }
    expect(matrixBySubject(objects)).toEqual(expected);
  });

  test('no path from a pod that runs application code to the platform namespace', () => {
    const userCode = userCodeIdentities(objects, JOBS);
    expect(userCode).toEqual([`${JOBS}/spark-driver`, `${JOBS}/spark-submitter`]);
    for (const who of userCode) {
      const r = reach(objects, who);
      // not through Secrets, pod creation, exec, ConfigMap patching, Services or other identities
      expect([who, reachInto(r, PLATFORM)]).toEqual([who, []]);
    }
  });

  test('the path analysis finds the paths it is meant to find (a grant in the platform namespace is caught)', () => {
    // Control: give the driver the old single-namespace grants (create pods, patch ConfigMaps
    // and Services where the platform is) and the analysis must report the takeover.
    const tampered = objects.map((o) => (o.kind === 'RoleBinding' && o.metadata.name === 'spark-driver-executors'
      ? { ...o, metadata: { ...o.metadata, namespace: PLATFORM } }
      : o.kind === 'Role' && o.metadata.name === 'spark-driver-executors' ? { ...o, metadata: { ...o.metadata, namespace: PLATFORM } } : o));
    const into = reachInto(reach(tampered, `${JOBS}/spark-driver`), PLATFORM);
    expect(into).toEqual(expect.arrayContaining([`pods in ${PLATFORM}`, `secret ${PLATFORM}/*`, `services in ${PLATFORM}`, `identity ${PLATFORM}/airflow`]));
    if (env === 'dev') {
      // patching the DAG ConfigMap runs code in the scheduler: its Secrets by name
      expect(into).toEqual(expect.arrayContaining([`configmap ${PLATFORM}/*`, `secret ${PLATFORM}/airflow-secrets`]));
    }
    // Control: the submitter's Role (secrets: create) moved into the platform namespace mints
    // tokens of the platform's ServiceAccounts.
    const minted = objects.map((o) => ((o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.name === 'spark-submitter-submit'
      ? { ...o, metadata: { ...o.metadata, namespace: PLATFORM } } : o));
    expect(reachInto(reach(minted, `${JOBS}/spark-submitter`), PLATFORM)).toEqual(expect.arrayContaining([`identity ${PLATFORM}/airflow`]));
  });

  test('Airflow reaches the jobs namespace, never the platform\'s Secrets through it', () => {
    const r = reach(objects, `${PLATFORM}/airflow`);
    expect([...r.podNamespaces]).toEqual([JOBS]);
    expect([...r.secrets].filter((s) => s.startsWith(`${PLATFORM}/`))).toEqual([]);
  });

  test('no ServiceAccount but the bootstrap reads or changes Secrets; the submitter only creates them, in the jobs namespace', () => {
    for (const [subject, grants] of grantsBySubject(objects)) {
      if (subject === `${PLATFORM}/secrets-bootstrap`) continue;
      const onSecrets = grants.filter((g) => g.resource === 'secrets').map((g) => `${g.namespace}:${g.verb}`);
      expect([subject, onSecrets]).toEqual([subject, subject === `${JOBS}/spark-submitter` ? [`${JOBS}:create`] : []]);
    }
  });

  test('no wildcard verb, resource or API group anywhere, and only the core API group', () => {
    for (const role of objects.filter((o) => o.kind === 'Role')) {
      for (const rule of role.rules as Rule[]) {
        for (const value of [...rule.apiGroups, ...rule.resources, ...rule.verbs, ...(rule.resourceNames ?? [])]) expect(value).not.toContain('*');
        expect(rule.apiGroups).toEqual(['']);
      }
    }
  });

  test('no cluster-scoped RBAC', () => {
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
  });

  test('every binding subject is a ServiceAccount that exists, in the namespace it names', () => {
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
      for (const s of binding.subjects) expect(accounts).toContain(`${s.namespace}/${s.name}`);
    }
  });

  test('tokens are mounted only where the API is called', () => {
    // ServiceAccounts never automount: the pods that call the API say so (or project the token).
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === JOBS)) expect([sa.metadata.name, sa.automountServiceAccountToken]).toEqual([sa.metadata.name, false]);
    const templates = find(objects, 'ConfigMap', 'spark-pod-templates').data;
    expect((parse(templates['driver.yaml']) as K8sObject).spec.automountServiceAccountToken).toBe(true);
    expect((parse(templates['executor.yaml']) as K8sObject).spec.automountServiceAccountToken).toBe(false);
  });

  test('Spark driver and executor pod templates meet Pod Security restricted', () => {
    const cm = find(objects, 'ConfigMap', 'spark-pod-templates');
    expect(Object.keys(cm.data).sort()).toEqual(['driver.yaml', 'executor.yaml', 'spark-defaults.conf']);
    for (const [file, container] of [['driver.yaml', 'spark-kubernetes-driver'], ['executor.yaml', 'spark-kubernetes-executor']]) {
      const pod = parse(cm.data[file]) as K8sObject;
      expect(pod.kind).toBe('Pod');
      expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 185, runAsGroup: 185, fsGroup: 185, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.spec.containers[0].name).toBe(container);
      expect(pod.spec.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
  });
});

describe('SparkSubmitterRbac', () => {
  test('grants nothing until an intent is called', () => {
    const chart = Testing.chart();
    new SparkSubmitterRbac(chart, 'Rbac');
    const kinds = Testing.synth(chart).map((o: K8sObject) => o.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'ServiceAccount', 'ServiceAccount']);
  });

  test('fails when submitter and driver share a ServiceAccount', () => {
    expect(() => new SparkSubmitterRbac(Testing.chart(), 'Rbac', { submitterServiceAccountName: 'spark', driverServiceAccountName: 'spark' })).toThrow(
      'Invalid configuration:\n  - driverServiceAccountName = "spark": must differ from submitterServiceAccountName',
    );
  });

  test('renamed ServiceAccounts flow into the DAG contract', () => {
    const objects = synthPlatform({ environment: 'dev', network: { apiServerCidr: '0.0.0.0/0' }, serviceAccounts: { submitter: 'submit-sa', driver: 'driver-sa' }, airflow: { dags: DagSource.configMap({ directory: DAGS_DIR }) } });
    const env = Object.fromEntries(find(objects, 'StatefulSet', 'airflow-scheduler').spec.template.spec.containers[0].env.map((e: K8sObject) => [e.name, e.value]));
    expect([env.SPARK_SUBMITTER_SERVICE_ACCOUNT, env.SPARK_DRIVER_SERVICE_ACCOUNT]).toEqual(['submit-sa', 'driver-sa']);
    expect(find(objects, 'RoleBinding', 'submit-sa-submit').subjects[0]).toMatchObject({ kind: 'ServiceAccount', name: 'submit-sa', namespace: JOBS });
  });
});
