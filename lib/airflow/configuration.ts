import { renderIni } from '../config-files';
import { DAGS_MOUNT_PATH, GitSyncDagSource } from '../dag-source';
import type { AirflowAuthentication } from './auth';
import { metricsSettings } from './metrics';
import { AIRFLOW_PORTS, ResolvedAirflow } from './options';

/** Where the KubernetesExecutor's worker pod template is mounted in the scheduler. */
export const POD_TEMPLATE_DIR = '/opt/airflow/pod-templates';

/**
 * airflow.cfg: every non-secret setting, in one deterministic file whose values survive Airflow's
 * config parser (secrets come from the environment, see secrets.ts).
 */
export function renderAirflowConfig(c: ResolvedAirflow, auth: AirflowAuthentication, dnsSuffix: string): string {
  const dagsFolder = c.dags instanceof GitSyncDagSource ? [DAGS_MOUNT_PATH, 'repo', c.dags.subPath].filter(Boolean).join('/') : DAGS_MOUNT_PATH;
  const sections: Record<string, Record<string, string>> = {
    core: {
      executor: c.executor,
      dags_folder: dagsFolder,
      // The generated .airflowignore of DagSource.configMap() is written in glob syntax.
      dag_ignore_file_syntax: 'glob',
      load_examples: 'False',
      execution_api_server_url: `http://airflow-api-server.${dnsSuffix}:${AIRFLOW_PORTS.apiServer}/execution/`,
      ...auth.coreSettings,
    },
    api: { port: String(AIRFLOW_PORTS.apiServer), workers: '1', base_url: c.ui.baseUrl },
    scheduler: { enable_health_check: 'True', scheduler_health_check_server_port: String(AIRFLOW_PORTS.schedulerHealth) },
    logging: {
      base_log_folder: '/opt/airflow/logs',
      worker_log_server_port: String(AIRFLOW_PORTS.workerLogs),
      trigger_log_server_port: String(AIRFLOW_PORTS.triggererLogs),
    },
  };
  const metrics = metricsSettings(c, dnsSuffix);
  if (metrics) sections.metrics = metrics;
  if (c.executor === 'KubernetesExecutor') {
    sections.kubernetes_executor = {
      namespace: c.jobsNamespace,
      pod_template_file: `${POD_TEMPLATE_DIR}/pod_template.yaml`,
      delete_worker_pods: 'True',
    };
  }
  return renderIni(sections);
}
