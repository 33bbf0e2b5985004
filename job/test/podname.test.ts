import { createHash } from 'node:crypto';
import { driverPodName, isDns1123Label, isLabelKey, isLabelValue, toLabelValue } from '../src/podname';

describe('driverPodName', () => {
  const runIds = [
    'manual__2026-11-23T14:00:00.123456+00:00',
    'scheduled__2026-11-23T00:00:00+00:00',
    'backfill__2026-01-01T00:00:00+00:00',
    'dataset_triggered__2026-11-23T14:00:00.000001+00:00',
    'ÜberRun with spaces / and slashes',
  ];
  const names = ['spark pi', 'Nightly ETL (prod)', 'x', '___', 'a'.repeat(300), '-leading-and-trailing-', 'ünïcödé näme', '123-numeric'];

  test.each(names.flatMap((n) => runIds.map((r) => [n, r])))('is a DNS-1123 label of at most 63 chars for %j / %j', (name, runId) => {
    const pod = driverPodName(name, runId);
    expect(pod.length).toBeLessThanOrEqual(63);
    expect(isDns1123Label(pod)).toBe(true);
    expect(pod).toMatch(/-[0-9a-f]{12}-driver$/);
  });

  test('is deterministic and uses sha256(name NUL runId) as suffix', () => {
    const expected = createHash('sha256').update('spark pi\0manual__2026-11-23T14:00:00.123456+00:00').digest('hex').slice(0, 12);
    expect(driverPodName('spark pi', 'manual__2026-11-23T14:00:00.123456+00:00')).toBe(`spark-pi-${expected}-driver`);
    expect(driverPodName('spark pi', 'manual__2026-11-23T14:00:00.123456+00:00')).toBe(driverPodName('spark pi', 'manual__2026-11-23T14:00:00.123456+00:00'));
  });

  test('differs between runs, between apps, and where only the separator would tell them apart', () => {
    const a = driverPodName('spark pi', 'scheduled__2026-11-23T00:00:00+00:00');
    expect(driverPodName('spark pi', 'scheduled__2026-11-24T00:00:00+00:00')).not.toBe(a);
    expect(driverPodName('spark-pi', 'scheduled__2026-11-23T00:00:00+00:00')).not.toBe(a);
    expect(driverPodName('ab', 'c')).not.toBe(driverPodName('a', 'bc'));
  });

  test('falls back to the prefix "spark" when the name has no usable character', () => {
    expect(driverPodName('___', 'r')).toMatch(/^spark-[0-9a-f]{12}-driver$/);
  });
});

describe('label values', () => {
  test('keeps valid values unchanged', () => {
    expect(toLabelValue('example_spark_pi')).toBe('example_spark_pi');
  });

  test.each([
    'manual__2026-11-23T14:00:00.123456+00:00',
    'scheduled__2026-11-23T00:00:00+00:00',
    'a'.repeat(100),
    '+++',
    'ends with space ',
    '.leading.dot',
  ])('turns %j into a valid label value', (raw) => {
    const value = toLabelValue(raw);
    expect(isLabelValue(value)).toBe(true);
    expect(value.length).toBeLessThanOrEqual(63);
  });

  test('keeps values apart that sanitize alike', () => {
    expect(toLabelValue('2026-11-23T14:00:00+00:00')).not.toBe(toLabelValue('2026-11-23T14:00:00-00:00'));
  });

  test('validates keys', () => {
    expect(isLabelKey('team')).toBe(true);
    expect(isLabelKey('example.com/team')).toBe(true);
    expect(isLabelKey('Example.com/team')).toBe(false);
    expect(isLabelKey('/team')).toBe(false);
    expect(isLabelKey('team!')).toBe(false);
    expect(isLabelKey('a'.repeat(64))).toBe(false);
  });
});
