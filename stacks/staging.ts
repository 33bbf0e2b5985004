import { AirflowDatabase, DagSource, PlatformConfig } from '../lib';
import { DAGS_DIR } from './paths';

/** Staging: production-shaped, smaller workers; UIs reached with kubectl port-forward. */
export const staging: PlatformConfig = {
  environment: 'staging',
  // The addresses behind the `kubernetes` Service of the staging cluster
  // (kubectl -n default get endpoints kubernetes): only pods that call the API may reach them.
  // The cluster's ingress-nginx controller (namespace ingress-nginx) serves the UIs below.
  network: { apiServerCidr: '10.0.0.1/32', ingressController: { namespace: 'ingress-nginx' } },
  spark: {
    master: { resources: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } } },
    worker: { resources: { cpu: { request: '2', limit: '2' }, memory: { request: '4Gi', limit: '4Gi' } } },
    ui: { expose: false, ingress: { host: 'spark.staging.example.com', className: 'nginx', tlsSecretName: 'spark-ui-tls' } },
  },
  history: {
    // Event logs in S3 (the bucket exists; the history server creates the prefix). The Secret
    // spark-event-log-s3 in the jobs namespace holds AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    eventLog: { objectStore: { url: 's3a://example-spark-events/staging', region: 'eu-west-1', credentialsSecretName: 'spark-event-log-s3' } },
    ui: { ingress: { host: 'spark-history.staging.example.com', className: 'nginx', tlsSecretName: 'spark-history-tls' } },
  },
  // The cluster's Prometheus operator (kube-prometheus-stack) picks up our monitors by this label.
  monitoring: { scraperNamespace: 'monitoring', prometheusOperator: true, monitorLabels: { release: 'kube-prometheus-stack' } },
  airflow: {
    dags: DagSource.configMap({ directory: DAGS_DIR }),
    // The URL lives in a Secret you create (or Pulumi creates from secret config).
    database: AirflowDatabase.external({ secretName: 'airflow-database', secretKey: 'connection' }),
    // Two of each on different nodes where possible; a drain evicts one at a time.
    replicas: { apiServer: 2, scheduler: 2 },
    // base_url follows: https://airflow.staging.example.com
    ui: { expose: false, ingress: { host: 'airflow.staging.example.com', className: 'nginx', tlsSecretName: 'airflow-ui-tls' } },
  },
};
