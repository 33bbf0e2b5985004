/**
 * The committed example return.json (test/fixtures/return.json), made by the real code path:
 * the captured output of a real spark-submit 4.1.2 is parsed and turned into the return value
 * exactly as `spark-job submit` does, with a fixed clock. Other languages' tests (the DAGs)
 * read that file as the contract. Regenerate with `npm run fixture`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeployment } from './parse';
import { buildReturnValue, renderReturnJson, type ReturnValue } from './xcom';

export const FIXTURE_CLOCK = new Date('2026-11-23T14:00:00.000Z');

export function fixtureReturnValue(fixturesDir: string): ReturnValue {
  const output = readFileSync(join(fixturesDir, 'spark-4.1.2-deployed.stderr.txt'), 'utf8');
  const deployment = parseDeployment(output);
  if (!deployment) {
    throw new Error('the captured spark-submit output has no deployment line');
  }
  return buildReturnValue({
    driverPod: deployment.driverPod,
    namespace: deployment.namespace,
    appName: deployment.appName,
    appId: deployment.appId,
    submissionId: deployment.submissionId,
    submittedAt: FIXTURE_CLOCK,
    target: 'k8s',
  });
}

export function fixtureReturnJson(fixturesDir: string): string {
  return renderReturnJson(fixtureReturnValue(fixturesDir));
}
