import { AirflowDatabase, DagSource, PlatformConfig } from '../lib';
import { DAGS_DIR } from './paths';

/** Production: workers only on dedicated Spark nodes, Guaranteed QoS, no UI exposed on nodes. */
export const prod: PlatformConfig = {
  environment: 'prod',
  // The addresses behind the `kubernetes` Service of the prod cluster
  // (kubectl -n default get endpoints kubernetes): only pods that call the API may reach them.
  // The cluster's ingress-nginx controller (namespace ingress-nginx) serves the UIs below.
  network: { apiServerCidr: '10.0.0.1/32', ingressController: { namespace: 'ingress-nginx' } },
  spark: {
    master: { resources: { cpu: { request: '1', limit: '2' }, memory: { request: '2Gi', limit: '2Gi' }, }, daemonMemory: '1Gi' },
    worker: {
      resources: { cpu: { request: '4', limit: '4' }, memory: { request: '16Gi', limit: '16Gi' } },
      daemonMemory: '1Gi',
      nodeSelector: { 'node-role.kubernetes.io/spark': 'true' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'spark', effect: 'NoSchedule' }],
    },
    ui: { expose: false, ingress: { host: 'spark.example.com', className: 'nginx', tlsSecretName: 'spark-ui-tls' } },
    // prod supplies its own spark-auth Secret (Pulumi secret config or an external secret manager).
    authentication: { bootstrap: false },
  },
  history: {
    // Event logs in the company's S3-compatible store (path-style, its own endpoint and addresses).
    // The Secret spark-event-log-s3 in the jobs namespace holds AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    eventLog: {
      objectStore: {
        url: 's3a://spark-events/prod', endpoint: 'https://s3.storage.example.com', pathStyleAccess: true,
        cidr: '10.0.80.0/24', credentialsSecretName: 'spark-event-log-s3',
      },
    },
    ui: { ingress: { host: 'spark-history.example.com', className: 'nginx', tlsSecretName: 'spark-history-tls' } },
  },
  // The cluster's Prometheus operator (kube-prometheus-stack) picks up our monitors by this label.
  monitoring: { scraperNamespace: 'monitoring', prometheusOperator: true, monitorLabels: { release: 'kube-prometheus-stack' } },
  airflow: {
    dags: DagSource.configMap({ directory: DAGS_DIR }),
    // cidr: the database's addresses, so Airflow reaches nothing else on 5432
    database: AirflowDatabase.external({ secretName: 'airflow-database', secretKey: 'connection', cidr: '10.0.64.0/20' }),
    // prod supplies its own airflow-secrets (Pulumi secret config or an external secret manager).
    secrets: { bootstrap: false },
    resources: {
      scheduler: { cpu: { request: '1', limit: '2' }, memory: { request: '2Gi', limit: '4Gi' } },
      apiServer: { cpu: { request: '500m', limit: '1' }, memory: { request: '1Gi', limit: '2Gi' } },
    },
    // Two of each on different nodes where possible; a drain evicts one at a time.
    replicas: { apiServer: 2, scheduler: 2 },
    // base_url follows: https://airflow.example.com
    ui: { expose: false, ingress: { host: 'airflow.example.com', className: 'nginx', tlsSecretName: 'airflow-ui-tls' } },
  },
};
