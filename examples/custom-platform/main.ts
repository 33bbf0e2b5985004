/**
 * A platform team's own cdk8s app built on the spark-airflow-k8s package: its own namespaces
 * (the platform's and the jobs'), two environments, DAGs from git, and a bigger Spark worker pool on dedicated nodes.
 *
 *   npm install spark-airflow-k8s cdk8s cdk8s-plus-28 constructs
 *   npx tsc && node main.js [outdir]      # writes <outdir>/<env>/analytics.k8s.yaml
 */
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { AirflowDatabase, DagSource, PlatformConfig, SparkAirflowPlatform } from 'spark-airflow-k8s';

const dags = DagSource.gitSync({
  repo: 'https://github.com/example-org/analytics-dags.git',
  branch: 'main',
  subPath: 'dags',
  period: '60s',
  credentialsSecret: 'analytics-dags-git',
});

const bigWorkers = {
  resources: { cpu: { request: '8', limit: '8' }, memory: { request: '32Gi', limit: '32Gi' } },
  daemonMemory: '1Gi',
  nodeSelector: { 'example.org/pool': 'spark' },
  tolerations: [{ key: 'example.org/pool', operator: 'Equal' as const, value: 'spark', effect: 'NoSchedule' as const }],
};

export const environments: Record<string, PlatformConfig> = {
  test: {
    environment: 'test',
    namespace: { name: 'analytics' },
    jobsNamespace: { name: 'analytics-jobs' },
    network: { apiServerCidr: '0.0.0.0/0' },
    spark: { worker: { resources: { cpu: { request: '2', limit: '4' }, memory: { request: '8Gi', limit: '8Gi' } } }, ui: { expose: true, nodePort: 31000 } },
    airflow: { dags, ui: { expose: true, nodePort: 31001 } },
  },
  live: {
    environment: 'live',
    namespace: { name: 'analytics' },
    jobsNamespace: { name: 'analytics-jobs' },
    network: { apiServerCidr: '10.20.0.2/32' },
    spark: { worker: bigWorkers, authentication: { bootstrap: false } },
    airflow: {
      dags,
      database: AirflowDatabase.external({ secretName: 'analytics-airflow-db' }),
      secrets: { bootstrap: false },
      executor: 'KubernetesExecutor',
    },
  },
};

export function synth(outdir: string): void {
  for (const [env, config] of Object.entries(environments)) {
    const app = new App({ outdir: path.join(outdir, env), outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new SparkAirflowPlatform(app, 'analytics', { config });
    app.synth();
  }
}

if (require.main === module) synth(process.argv[2] ?? 'dist');
