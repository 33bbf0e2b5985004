import { AirflowDatabase, DagSource, PlatformConfig } from '../lib';
import { DAGS_DIR } from './paths';

/** Staging: production-shaped, smaller workers; UIs reached with kubectl port-forward. */
export const staging: PlatformConfig = {
  environment: 'staging',
  // The addresses behind the `kubernetes` Service of the staging cluster
  // (kubectl -n default get endpoints kubernetes): only pods that call the API may reach them.
  network: { apiServerCidr: '10.0.0.1/32' },
  spark: {
    master: { resources: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } } },
    worker: { resources: { cpu: { request: '2', limit: '2' }, memory: { request: '4Gi', limit: '4Gi' } } },
    ui: { expose: false },
  },
  // The cluster's Prometheus operator (kube-prometheus-stack) picks up our monitors by this label.
  monitoring: { scraperNamespace: 'monitoring', prometheusOperator: true, monitorLabels: { release: 'kube-prometheus-stack' } },
  airflow: {
    dags: DagSource.configMap({ directory: DAGS_DIR }),
    // The URL lives in a Secret you create (or Pulumi creates from secret config).
    database: AirflowDatabase.external({ secretName: 'airflow-database', secretKey: 'connection' }),
    // Two of each on different nodes where possible; a drain evicts one at a time.
    replicas: { apiServer: 2, scheduler: 2 },
    ui: { expose: false },
  },
};
