import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { DagSource, SparkSubmitterRbac } from '../lib';
import { ENVIRONMENTS } from '../stacks/environments';
import { DAGS_DIR } from '../stacks/paths';
import { find, K8sObject, synthPlatform } from './support/synth';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** Flattens Role rules into sorted `resource:verb` grants. */
function grants(role: K8sObject): string[] {
  return (role.rules as Rule[]).flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}${r.resourceNames ? `(${r.resourceNames.join(',')})` : ''}`))).sort();
}

/** Every grant each ServiceAccount holds through RoleBindings. */
function grantsBySubject(objects: K8sObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
    expect(binding.roleRef.kind).toBe('Role');
    const role = find(objects, 'Role', binding.roleRef.name);
    for (const s of binding.subjects) {
      expect(s.kind).toBe('ServiceAccount');
      out[s.name] = [...new Set([...(out[s.name] ?? []), ...grants(role)])].sort();
    }
  }
  return out;
}

describe.each(Object.keys(ENVIRONMENTS))('RBAC in %s', (env) => {
  const objects = synthPlatform(ENVIRONMENTS[env]);

  test('each ServiceAccount holds exactly the grants it needs', () => {
    const expected: Record<string, string[]> = {
      'spark-submitter': [
        'configmaps:create', 'configmaps:delete', 'configmaps:get', 'configmaps:list', 'configmaps:patch',
        'persistentvolumeclaims:create', 'persistentvolumeclaims:delete', 'persistentvolumeclaims:get', 'persistentvolumeclaims:list',
        'pods/log:get',
        'pods:create', 'pods:delete', 'pods:get', 'pods:list', 'pods:watch',
        'services:create', 'services:delete', 'services:get', 'services:list', 'services:patch',
      ],
      'spark-driver': [
        'configmaps:create', 'configmaps:delete', 'configmaps:deletecollection', 'configmaps:get', 'configmaps:list', 'configmaps:patch',
        'persistentvolumeclaims:create', 'persistentvolumeclaims:delete', 'persistentvolumeclaims:deletecollection', 'persistentvolumeclaims:get', 'persistentvolumeclaims:list',
        'pods:create', 'pods:delete', 'pods:deletecollection', 'pods:get', 'pods:list', 'pods:watch',
        // Spark 4 deletes the app's Services by label when the driver stops (a 403 seen on a real node)
        'services:create', 'services:delete', 'services:deletecollection', 'services:get', 'services:list', 'services:patch',
      ],
      airflow: [
        'events:list',
        'pods/exec:create', 'pods/exec:get',
        'pods/log:get',
        'pods:create', 'pods:delete', 'pods:get', 'pods:list', 'pods:patch', 'pods:watch',
      ],
    };
    if (env !== 'prod') expected['secrets-bootstrap'] = ['secrets:create', 'secrets:get(airflow-secrets)', 'secrets:get(spark-auth)'];
    expect(grantsBySubject(objects)).toEqual(expected);
  });

  test('the submitter cannot read Secrets, and nothing but the bootstrap touches them', () => {
    const bySubject = grantsBySubject(objects);
    for (const [subject, list] of Object.entries(bySubject)) {
      if (subject === 'secrets-bootstrap') continue;
      expect(list.filter((g) => g.startsWith('secrets:'))).toEqual([]);
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

  test('every binding subject is a ServiceAccount of this namespace that exists', () => {
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
      for (const s of binding.subjects) {
        expect(s.namespace).toBe('spark-clu');
        expect(accounts).toContain(s.name);
      }
    }
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
    expect(find(objects, 'RoleBinding', 'submit-sa-submit').subjects[0].name).toBe('submit-sa');
  });
});
