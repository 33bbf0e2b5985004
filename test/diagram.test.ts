import * as fs from 'fs';
import * as path from 'path';
import { architectureDoc, mermaid, readmeWithDiagram, README_END, README_START } from '../scripts/diagram';
import { ENVIRONMENTS } from '../stacks/environments';

const ROOT = path.resolve(__dirname, '..');

describe('the generated architecture picture', () => {
  test.each(Object.keys(ENVIRONMENTS))('docs/architecture-%s.md is current (run `npm run diagram` when this fails)', (env) => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', `architecture-${env}.md`), 'utf8')).toBe(architectureDoc(env, ENVIRONMENTS[env]));
  });

  test('README.md shows the current dev diagram between the markers', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(README_START);
    expect(readme).toContain(README_END);
    expect(readme).toBe(readmeWithDiagram(readme));
  });

  test('shows workloads, Services with ports and NodePorts, accounts with their grants, flows and the launch path', () => {
    const dev = mermaid(ENVIRONMENTS.dev);
    expect(dev).toContain('DaemonSet spark-worker<br/>one per node<br/>:7078,8081');
    expect(dev).toContain('Service spark-master-ui<br/>8080 NodePort 30000');
    expect(dev).toContain('Service airflow-ui<br/>8080 NodePort 30001');
    expect(dev).toMatch(/ServiceAccount spark-submitter<br\/>.*pods: create delete get list watch|ServiceAccount spark-submitter<br\/>.*pods: create get list watch delete/);
    expect(dev).toContain('DaemonSet_spark_worker -- "7077" --> Deployment_spark_master');
    // two namespaces: the pods created at run time, and their accounts, are in the jobs one
    expect(dev).toContain('subgraph ns_spark_clu["platform namespace spark-clu · Pod Security restricted"]');
    expect(dev).toContain('subgraph ns_spark_clu_jobs["jobs namespace spark-clu-jobs · Pod Security restricted"]');
    expect(dev).toContain('sa_spark_clu_airflow ==creates pods==> pods_spark_clu_jobs_task_pods__spark_job_k8s');
    expect(dev).toContain('sa_spark_clu_jobs_spark_submitter ==creates pods==> pods_spark_clu_jobs_Spark_driver_pods');
    expect(dev).toContain('sa_spark_clu_jobs_spark_driver ==creates pods==> pods_spark_clu_jobs_Spark_executor_pods');
    expect(dev).toContain('ServiceAccount airflow<br/>in spark-clu-jobs:<br/>');
    // a flow across namespaces: standalone drivers (jobs) register with the master (platform)
    expect(dev).toContain('pods_spark_clu_jobs_task_pods__spark_job_standalone -- "7077" --> Deployment_spark_master');
    expect(dev).toContain('outside -- "8080" --> Deployment_airflow_api_server');
    // prod exposes nothing to the outside.
    expect(mermaid(ENVIRONMENTS.prod)).not.toMatch(/outside -- /);
  });
});
