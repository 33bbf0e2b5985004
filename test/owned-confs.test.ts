/**
 * The spark-submit confs `spark-job submit` owns (job/src/submit.ts) are the ones the DAG helper
 * rejects at parse time (dags/spark_tasks.py): one list on each side, kept equal here, so a DAG
 * author hears about a conf the CLI would refuse when the DAG is parsed, not when it runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { K8S_OWNED_CONFS, OWNED_CONFS } from '../job/src/submit';

function pythonSet(name: string): string[] {
  const text = fs.readFileSync(path.join(__dirname, '..', 'dags', 'spark_tasks.py'), 'utf8');
  const block = new RegExp(`^${name} = frozenset\\(\\s*\\{([\\s\\S]*?)\\}\\s*\\)`, 'm').exec(text);
  if (!block) throw new Error(`dags/spark_tasks.py has no ${name} = frozenset({...})`);
  return [...block[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
}

const DAG_ONLY = [
  // the DAG helper passes these as spark-job options (pod templates, driver service account)
  'spark.kubernetes.driver.podTemplateFile',
  'spark.kubernetes.executor.podTemplateFile',
  'spark.kubernetes.authenticate.driver.serviceAccountName',
];

describe('confs owned by spark-job', () => {
  test('every target: the DAG helper rejects what the CLI rejects (plus what it passes as options)', () => {
    expect(pythonSet('OWNED_CONFS')).toEqual([...OWNED_CONFS, ...DAG_ONLY].sort());
  });

  test('Kubernetes apps: the authentication confs are the same on both sides', () => {
    expect(pythonSet('K8S_OWNED_CONFS')).toEqual([...K8S_OWNED_CONFS].sort());
    expect(K8S_OWNED_CONFS).toEqual(expect.arrayContaining(['spark.authenticate', 'spark.network.crypto.enabled', 'spark.authenticate.secret']));
  });
});
