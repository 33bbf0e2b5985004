import { Construct } from 'constructs';
import { GitSyncDagSource } from '../dag-source';
import { selectorLabels } from '../labels';
import { NetworkFlows, PodGroup } from '../network';
import { ExternalDatabase, InClusterDatabase } from './database';
import { AIRFLOW_PORTS, DAG_COMPONENTS, ResolvedAirflow } from './options';

/** The pods of one Airflow component (in `namespace`, by default the chart's). */
export function airflowPods(component: string, namespace?: string): PodGroup {
  return { name: `airflow-${component}`, labels: selectorLabels('airflow', component, 'airflow'), ...(namespace ? { namespace } : {}) };
}

/** The network flows Airflow needs; each becomes NetworkPolicies (see NetworkFlows). */
export function declareAirflowFlows(scope: Construct, c: ResolvedAirflow): void {
  const flows = NetworkFlows.of(scope);
  // KubernetesExecutor workers run in the jobs namespace.
  const group = (component: string) => airflowPods(component, component === 'worker' ? c.jobsNamespace : c.namespace);
  const allAirflow: PodGroup = { name: 'airflow', labels: { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'airflow' } };
  const pods = (group: PodGroup) => ({ kind: 'pods' as const, group });
  flows.allow({ name: 'airflow-to-api-server', from: pods(allAirflow), to: pods(group('api-server')), ports: [{ port: AIRFLOW_PORTS.apiServer }], purpose: 'task execution API (Airflow 3 task SDK) and component calls' });
  flows.allow({ name: 'airflow-scheduler-logs', from: pods(group('api-server')), to: pods(group('scheduler')), ports: [{ port: AIRFLOW_PORTS.workerLogs }], purpose: 'the UI reads task logs from the scheduler\'s log server' });
  flows.allow({ name: 'airflow-triggerer-logs', from: pods(group('api-server')), to: pods(group('triggerer')), ports: [{ port: AIRFLOW_PORTS.triggererLogs }], purpose: 'the UI reads trigger logs from the triggerer\'s log server' });
  if (c.database instanceof InClusterDatabase) {
    flows.allow({ name: 'airflow-to-postgresql', from: pods(allAirflow), to: pods({ name: 'airflow-postgresql', labels: selectorLabels('postgresql', 'database', 'airflow-postgresql') }), ports: [{ port: AIRFLOW_PORTS.postgres }], purpose: 'metadata database' });
  } else if (c.database instanceof ExternalDatabase) {
    flows.allow({ name: 'airflow-to-external-database', from: pods(allAirflow), to: { kind: 'cidr', cidr: c.database.options.cidr ?? '0.0.0.0/0' }, ports: [{ port: c.database.options.port ?? 5432 }], purpose: 'external metadata database' });
  }
  for (const component of ['scheduler', 'triggerer']) {
    flows.allowApiServer(`airflow-${component}-kube-api`, group(component), 'KubernetesPodOperator: create, watch and read task pods');
  }
  if (c.executor === 'KubernetesExecutor') {
    flows.allowApiServer('airflow-worker-kube-api', group('worker'), 'KubernetesExecutor worker pods run KubernetesPodOperator tasks');
    flows.allow({ name: 'airflow-worker-to-api-server', from: pods(group('worker')), to: pods(group('api-server')), ports: [{ port: AIRFLOW_PORTS.apiServer }], purpose: 'workers run tasks through the task execution API' });
    flows.allow({ name: 'airflow-worker-logs', from: pods(group('api-server')), to: pods(group('worker')), ports: [{ port: AIRFLOW_PORTS.workerLogs }], purpose: 'the UI reads the logs of running tasks from the worker pod\'s log server' });
  }
  if (c.ui.expose) {
    flows.allow({ name: 'airflow-ui', from: { kind: 'anywhere' }, to: pods(group('api-server')), ports: [{ port: AIRFLOW_PORTS.apiServer }], purpose: `the Airflow UI on NodePort ${c.ui.nodePort}` });
  }
  if (c.dags instanceof GitSyncDagSource) {
    for (const component of [...DAG_COMPONENTS, ...(c.executor === 'KubernetesExecutor' ? ['worker'] : [])]) {
      flows.allow({ name: `airflow-${component}-git-sync`, from: pods(group(component)), to: { kind: 'anywhere' }, ports: [{ port: 443 }, { port: 22 }], purpose: 'git-sync pulls the DAG repository' });
    }
  }
}
