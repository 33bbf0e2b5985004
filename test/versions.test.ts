import * as fs from 'fs';
import * as path from 'path';
import { IMAGES, JOB_CLI_VERSION, SPARK_VERSION } from '../lib';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('one Spark version everywhere', () => {
  test('the Spark image tag carries SPARK_VERSION', () => {
    expect(IMAGES.spark).toMatch(new RegExp(`^apache/spark:${SPARK_VERSION.replace(/\./g, '\\.')}-`));
  });

  test('the job image is built FROM the same Spark image', () => {
    const from = /^ARG SPARK_IMAGE=(\S+)$/m.exec(read('job/Dockerfile'));
    expect(from?.[1]).toBe(IMAGES.spark);
  });

  test('the job image tag carries the Spark version and the CLI version of job/package.json', () => {
    const pkg = JSON.parse(read('job/package.json')) as { version: string };
    expect(pkg.version).toBe(JOB_CLI_VERSION);
    expect(IMAGES.sparkJob.endsWith(`:${SPARK_VERSION}-${JOB_CLI_VERSION}`)).toBe(true);
  });

  test('the pyspark the job tests run a real spark-submit with is the same version', () => {
    const pin = /^PYSPARK_VERSION=([0-9.]+)$/m.exec(read('job/scripts/ensure-tools.sh'));
    expect(pin?.[1]).toBe(SPARK_VERSION);
  });
});
