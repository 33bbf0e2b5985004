import { describePlan, jvmOverheadMiB, largestWorkerMemoryMiB, planWorkerMemory } from '../lib';

describe('worker memory arithmetic', () => {
  test('JVM overhead is max(384Mi, 10% of heap)', () => {
    expect(jvmOverheadMiB(512)).toBe(384);
    expect(jvmOverheadMiB(3840)).toBe(384);
    expect(jvmOverheadMiB(8192)).toBe(820);
  });

  test.each([
    // limit, daemon heap, expected SPARK_WORKER_MEMORY
    [2048, 512, 768],
    [4096, 512, 2816],
    [16384, 1024, 13614],
  ])('a %iMi limit with a %iMi daemon gives SPARK_WORKER_MEMORY %iMi', (limit, daemon, expected) => {
    const result = planWorkerMemory(limit, daemon);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan.workerMemoryMiB).toBe(expected);
    // Everything fits under the limit, and one more MiB would not.
    expect(result.plan.totalMiB).toBeLessThanOrEqual(limit);
    const oneMore = expected + 1 + jvmOverheadMiB(expected + 1) + daemon + jvmOverheadMiB(daemon);
    expect(oneMore).toBeGreaterThan(limit);
  });

  test('the derived value is the largest that fits, for every limit from 1.5Gi to 64Gi', () => {
    for (let limit = 1536; limit <= 65536; limit += 37) {
      const worker = largestWorkerMemoryMiB(limit, 512);
      if (worker === undefined) continue;
      expect(512 + jvmOverheadMiB(512) + worker + jvmOverheadMiB(worker)).toBeLessThanOrEqual(limit);
      expect(512 + jvmOverheadMiB(512) + worker + 1 + jvmOverheadMiB(worker + 1)).toBeGreaterThan(limit);
    }
  });

  test('a limit with no room for an executor explains the arithmetic', () => {
    const result = planWorkerMemory(1024, 512);
    expect(result).toEqual({
      ok: false,
      reason:
        'leaves no room for an executor: SPARK_DAEMON_MEMORY 512Mi + daemon JVM overhead 384Mi + minimum SPARK_WORKER_MEMORY 512Mi + executor JVM overhead 384Mi = 1792Mi > limit 1024Mi; raise the limit to at least 1792Mi (JVM overhead = max(384Mi, 10% of heap))',
    });
  });

  test('an explicit SPARK_WORKER_MEMORY that does not fit is rejected with the largest that would', () => {
    const result = planWorkerMemory(4096, 512, 3072);
    expect(result).toEqual({
      ok: false,
      reason:
        'does not fit the container: SPARK_DAEMON_MEMORY 512Mi + daemon JVM overhead 384Mi + SPARK_WORKER_MEMORY 3072Mi + executor JVM overhead 384Mi = 4352Mi > limit 4096Mi; lower it to at most 2816Mi or raise the memory limit to at least 4352Mi',
    });
  });

  test('describePlan sums the parts', () => {
    expect(describePlan({ daemonHeapMiB: 512, workerMemoryMiB: 2816 })).toBe(
      'SPARK_DAEMON_MEMORY 512Mi + daemon JVM overhead 384Mi + SPARK_WORKER_MEMORY 2816Mi + executor JVM overhead 384Mi = 4096Mi',
    );
  });
});
