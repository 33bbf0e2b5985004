import { parseCpuMillis, parseMemoryBytes, parseQuantity } from '../lib';

describe('Kubernetes quantities', () => {
  test.each([
    ['1', 1], ['0.5', 0.5], ['250m', 0.25], ['2k', 2000], ['1e3', 1000], ['1Ki', 1024], ['2Mi', 2 * 2 ** 20], ['2Gi', 2 * 2 ** 30], ['1G', 1e9],
  ])('parses %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  test.each(['', 'abc', '1.5.5', '-1', '2GB', '1 Gi', ' 1Gi', 'Gi', '1gi'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  test('CPU is converted to millicores and rejects sub-millicore precision', () => {
    expect(parseCpuMillis('1.5')).toBe(1500);
    expect(parseCpuMillis('100m')).toBe(100);
    expect(parseCpuMillis('0.0001')).toBeUndefined();
    expect(parseCpuMillis('0')).toBeUndefined();
  });

  test('memory must be a positive whole number of bytes', () => {
    expect(parseMemoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(parseMemoryBytes('0')).toBeUndefined();
    expect(parseMemoryBytes('500m')).toBeUndefined();
  });
});
