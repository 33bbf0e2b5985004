import { AirflowDatabase, DagSource, PlatformConfig } from '../lib';
import { DAGS_DIR } from './paths';

/** Development: a single small node (e.g. kind or minikube); UIs on NodePorts like the original setup. */
export const dev: PlatformConfig = {
  environment: 'dev',
  spark: {
    master: { resources: { cpu: { request: '250m', limit: '1' }, memory: { request: '1Gi', limit: '1Gi' } } },
    worker: { resources: { cpu: { request: '500m', limit: '1' }, memory: { request: '2Gi', limit: '2Gi' } } },
    ui: { expose: true, nodePort: 30000 },
  },
  airflow: {
    dags: DagSource.configMap({ directory: DAGS_DIR }),
    database: AirflowDatabase.inCluster({ storage: '8Gi' }),
    ui: { expose: true, nodePort: 30001 },
  },
};
