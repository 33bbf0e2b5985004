import { AirflowDatabase, DagSource, PlatformConfig } from '../lib';
import { DAGS_DIR } from './paths';

/**
 * Development: a single small node (kind or minikube with their default 2 CPUs). Requests are
 * sized from what the pods use when idle, measured on the real node of test/cluster, so that the
 * platform plus one running Spark app (task pod, driver, two executors) fit a 2-CPU / 8 GiB node
 * next to a minikube control plane (test/capacity.test.ts computes it from dist/dev); limits let
 * them burst. UIs on NodePorts like the original setup.
 */
export const dev: PlatformConfig = {
  environment: 'dev',
  // kind and minikube put the API server at an address that changes with the cluster: any address
  // on 443/6443 for the pods that call it (narrow it where you know the address).
  network: { apiServerCidr: '0.0.0.0/0' },
  spark: {
    master: { resources: { cpu: { request: '50m', limit: '1' }, memory: { request: '256Mi', limit: '1Gi' } } },
    worker: { resources: { cpu: { request: '200m', limit: '1' }, memory: { request: '2Gi', limit: '2Gi' } } },
    ui: { expose: true, nodePort: 30000 },
  },
  // kind's and minikube's provisioners offer ReadWriteOnce claims only: fine on a single node.
  history: {
    eventLog: { size: '2Gi', accessMode: 'ReadWriteOnce' },
    resources: { cpu: { request: '20m', limit: '1' }, memory: { request: '256Mi', limit: '768Mi' } },
    daemonMemory: '256Mi',
    ui: { expose: true, nodePort: 30002 },
  },
  // Metrics open to a Prometheus in the namespace "monitoring" (no Prometheus operator needed).
  monitoring: { scraperNamespace: 'monitoring' },
  airflow: {
    dags: DagSource.configMap({ directory: DAGS_DIR }),
    database: AirflowDatabase.inCluster({
      storage: '8Gi',
      resources: { cpu: { request: '50m', limit: '1' }, memory: { request: '128Mi', limit: '1Gi' } },
    }),
    resources: {
      apiServer: { cpu: { request: '100m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' } },
      scheduler: { cpu: { request: '200m', limit: '1' }, memory: { request: '768Mi', limit: '2Gi' } },
      dagProcessor: { cpu: { request: '100m', limit: '1' }, memory: { request: '384Mi', limit: '1Gi' } },
      triggerer: { cpu: { request: '100m', limit: '1' }, memory: { request: '384Mi', limit: '1Gi' } },
    },
    // Task logs survive a scheduler restart (one small claim each for scheduler and triggerer).
    logs: { persistence: { size: '1Gi' } },
    ui: { expose: true, nodePort: 30001, baseUrl: 'http://localhost:30001' },
    // Development only: SimpleAuthManager, user admin, password from airflow-secrets (admin-password).
    auth: { manager: 'simple' },
  },
  sparkApplications: {
    driver: { cpuRequest: '100m', cpuLimit: '1', memory: '512Mi', memoryOverhead: '512Mi' },
    executor: { instances: 2, cpuRequest: '100m', cpuLimit: '1', memory: '512Mi' },
  },
};
