import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureReturnJson } from '../src/fixture';
import { RETURN_VALUE_KEYS, buildReturnValue, renderReturnJson, writeReturnJson, xcomFile } from '../src/xcom';

const fixtures = join(__dirname, 'fixtures');

describe('return.json', () => {
  test('the committed test/fixtures/return.json is what the code makes (run `npm run fixture` after a change)', () => {
    expect(readFileSync(join(fixtures, 'return.json'), 'utf8')).toBe(fixtureReturnJson(fixtures));
  });

  test('has exactly the contract keys, in order, with the right types', () => {
    const value: unknown = JSON.parse(readFileSync(join(fixtures, 'return.json'), 'utf8'));
    expect(Object.keys(value as object)).toEqual([...RETURN_VALUE_KEYS]);
    expect(RETURN_VALUE_KEYS).toEqual(['driverPod', 'namespace', 'appName', 'appId', 'submissionId', 'submittedAt', 'target']);
    const v = value as Record<string, unknown>;
    for (const key of ['driverPod', 'namespace', 'appId', 'submissionId']) {
      expect(v[key] === null || typeof v[key] === 'string').toBe(true);
    }
    expect(typeof v.appName).toBe('string');
    expect(v.submittedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(['k8s', 'standalone']).toContain(v.target);
  });

  test('absent values are null, never missing', () => {
    const value = buildReturnValue({ appName: 'a', submittedAt: new Date(0), target: 'standalone' });
    expect(JSON.parse(renderReturnJson(value))).toEqual({
      driverPod: null,
      namespace: null,
      appName: 'a',
      appId: null,
      submissionId: null,
      submittedAt: '1970-01-01T00:00:00.000Z',
      target: 'standalone',
    });
  });

  test('rejects an invalid time', () => {
    expect(() => buildReturnValue({ appName: 'a', submittedAt: 'yesterday', target: 'k8s' })).toThrow('submittedAt is not a valid time: yesterday');
  });

  test('is written atomically: replaces an old file, creates the directory, leaves no temp file', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'spark-job-xcom-')), 'airflow', 'xcom');
    const path = join(dir, 'return.json');
    const value = buildReturnValue({ appName: 'a', driverPod: 'p', submittedAt: new Date(0), target: 'k8s' });
    writeReturnJson(value, path);
    writeFileSync(path, 'old');
    writeReturnJson(value, path);
    expect(readFileSync(path, 'utf8')).toBe(renderReturnJson(value));
    expect(readdirSync(dir)).toEqual(['return.json']);
  });

  test('defaults to /airflow/xcom/return.json and honours SPARK_JOB_XCOM_FILE', () => {
    expect(xcomFile({})).toBe('/airflow/xcom/return.json');
    expect(xcomFile({ SPARK_JOB_XCOM_FILE: '/tmp/x.json' })).toBe('/tmp/x.json');
  });
});
