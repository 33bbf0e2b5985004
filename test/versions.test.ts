import * as fs from 'fs';
import * as path from 'path';
import { AWS_SDK_V2_VERSION, HADOOP_VERSION, IMAGES, JOB_CLI_VERSION, SPARK_VERSION, TEST_IMAGES } from '../lib';

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

describe('the job image\'s S3A connector matches the Spark image\'s Hadoop', () => {
  const pom = read('job/connectors/pom.xml');
  const property = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1];

  test('hadoop-aws is HADOOP_VERSION, the SDK modules AWS_SDK_V2_VERSION', () => {
    expect(property('hadoop.version')).toBe(HADOOP_VERSION);
    expect(property('aws-sdk-v2.version')).toBe(AWS_SDK_V2_VERSION);
    // every dependency takes its version from those two properties
    const versions = [...pom.matchAll(/<dependency>[\s\S]*?<version>([^<]+)<\/version>[\s\S]*?<\/dependency>/g)].map((m) => m[1]);
    expect(versions.length).toBe(4);
    expect(new Set(versions)).toEqual(new Set(['${hadoop.version}', '${aws-sdk-v2.version}']));
  });
});

describe('the real node builds each stand-in from the Go module of the pinned version', () => {
  const required = (goMod: string, module: string) => new RegExp(`^require ${module.replace(/[./]/g, '\\$&')} (v\\S+)$`, 'm').exec(read(goMod))?.[1];

  test('statsd_exporter (test/cluster/statsd) is the version of IMAGES.statsdExporter', () => {
    expect(`prom/statsd-exporter:${required('test/cluster/statsd/go.mod', 'github.com/prometheus/statsd_exporter')}`).toBe(IMAGES.statsdExporter);
  });

  test('versitygw (test/cluster/versitygw) is the version of TEST_IMAGES.objectStore', () => {
    expect(`versity/versitygw:${required('test/cluster/versitygw/go.mod', 'github.com/versity/versitygw')}`).toBe(TEST_IMAGES.objectStore);
  });

  test('Traefik (test/cluster/traefik) is the version of TEST_IMAGES.ingressController', () => {
    expect(`traefik:${required('test/cluster/traefik/go.mod', 'github.com/traefik/traefik/v3')}`).toBe(TEST_IMAGES.ingressController);
  });
});
