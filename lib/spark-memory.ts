/**
 * Memory arithmetic of a Spark standalone worker container.
 *
 * In standalone mode the executors run as child JVMs inside the worker's container, so
 * the container's memory limit must hold: the worker daemon's heap (SPARK_DAEMON_MEMORY),
 * the executors' heaps (at most SPARK_WORKER_MEMORY in total) and each JVM's off-heap
 * overhead (metaspace, code cache, thread stacks, direct buffers, Python workers).
 * The old single-file setup let SPARK_WORKER_MEMORY default to "all host RAM minus 1 GiB",
 * the JVMs outgrew the container and the kernel killed them (exit code 137).
 *
 * We budget every JVM with Spark's own overhead rule for containers
 * (`spark.executor.memoryOverhead` = max(384MiB, 10% of the heap)).
 */

/** Smallest off-heap overhead budgeted per JVM, in MiB (Spark's minimum memoryOverhead). */
export const MIN_JVM_OVERHEAD_MIB = 384;
/** Off-heap overhead budgeted per JVM as a fraction of its heap (Spark's memoryOverheadFactor). */
export const JVM_OVERHEAD_FACTOR = 0.1;
/** Smallest SPARK_WORKER_MEMORY we accept: Spark refuses executors under 450MiB (1.5 x 300MiB reserved). */
export const MIN_WORKER_MEMORY_MIB = 512;

/** Off-heap overhead budgeted for a JVM with the given heap. */
export function jvmOverheadMiB(heapMiB: number): number {
  return Math.max(MIN_JVM_OVERHEAD_MIB, Math.ceil(heapMiB * JVM_OVERHEAD_FACTOR));
}

/** How a worker container's memory limit is divided. All values in MiB. */
export interface WorkerMemoryPlan {
  /** The container's memory limit. */
  readonly limitMiB: number;
  /** SPARK_DAEMON_MEMORY: heap of the worker daemon JVM. */
  readonly daemonHeapMiB: number;
  /** Off-heap budget of the worker daemon JVM. */
  readonly daemonOverheadMiB: number;
  /** SPARK_WORKER_MEMORY: total heap the worker hands out to executors. */
  readonly workerMemoryMiB: number;
  /** Off-heap budget of the executor JVM(s). */
  readonly executorOverheadMiB: number;
  /** Sum of the four parts above; never more than the limit. */
  readonly totalMiB: number;
}

/** The arithmetic as one line, e.g. for error messages and docs. */
export function describePlan(parts: { daemonHeapMiB: number; workerMemoryMiB: number }, workerLabel = 'SPARK_WORKER_MEMORY'): string {
  const daemonOverhead = jvmOverheadMiB(parts.daemonHeapMiB);
  const executorOverhead = jvmOverheadMiB(parts.workerMemoryMiB);
  const total = parts.daemonHeapMiB + daemonOverhead + parts.workerMemoryMiB + executorOverhead;
  return (
    `SPARK_DAEMON_MEMORY ${parts.daemonHeapMiB}Mi + daemon JVM overhead ${daemonOverhead}Mi + ` +
    `${workerLabel} ${parts.workerMemoryMiB}Mi + executor JVM overhead ${executorOverhead}Mi = ${total}Mi`
  );
}

function plan(limitMiB: number, daemonHeapMiB: number, workerMemoryMiB: number): WorkerMemoryPlan {
  const daemonOverheadMiB = jvmOverheadMiB(daemonHeapMiB);
  const executorOverheadMiB = jvmOverheadMiB(workerMemoryMiB);
  return {
    limitMiB,
    daemonHeapMiB,
    daemonOverheadMiB,
    workerMemoryMiB,
    executorOverheadMiB,
    totalMiB: daemonHeapMiB + daemonOverheadMiB + workerMemoryMiB + executorOverheadMiB,
  };
}

/** The largest SPARK_WORKER_MEMORY that fits, or undefined when even the minimum does not. */
export function largestWorkerMemoryMiB(limitMiB: number, daemonHeapMiB: number): number | undefined {
  const available = limitMiB - daemonHeapMiB - jvmOverheadMiB(daemonHeapMiB);
  // Start just above the closed-form estimate (ceil() in the overhead can leave a few MiB on
  // the table) and step down to the largest value that fits.
  let worker = Math.min(available - MIN_JVM_OVERHEAD_MIB, Math.floor(available / (1 + JVM_OVERHEAD_FACTOR)) + 2);
  while (worker > 0 && worker + jvmOverheadMiB(worker) > available) worker -= 1;
  return worker >= MIN_WORKER_MEMORY_MIB ? worker : undefined;
}

/** Result of planning: a plan, or the reason none fits. */
export type PlanResult =
  | {
    /** The plan fits. */
    readonly ok: true;
    /** How the limit is divided. */
    readonly plan: WorkerMemoryPlan;
  }
  | {
    /** Nothing fits. */
    readonly ok: false;
    /** Why, with the arithmetic. */
    readonly reason: string;
  };

/**
 * Plans a worker's memory. With `workerMemoryMiB` undefined, derives the largest value that fits;
 * otherwise checks that the given value fits.
 */
export function planWorkerMemory(limitMiB: number, daemonHeapMiB: number, workerMemoryMiB?: number): PlanResult {
  if (workerMemoryMiB === undefined) {
    const derived = largestWorkerMemoryMiB(limitMiB, daemonHeapMiB);
    if (derived === undefined) {
      const needed = plan(limitMiB, daemonHeapMiB, MIN_WORKER_MEMORY_MIB).totalMiB;
      return {
        ok: false,
        reason:
          `leaves no room for an executor: ${describePlan({ daemonHeapMiB, workerMemoryMiB: MIN_WORKER_MEMORY_MIB }, 'minimum SPARK_WORKER_MEMORY')}` +
          ` > limit ${limitMiB}Mi; raise the limit to at least ${needed}Mi (JVM overhead = max(${MIN_JVM_OVERHEAD_MIB}Mi, 10% of heap))`,
      };
    }
    return { ok: true, plan: plan(limitMiB, daemonHeapMiB, derived) };
  }
  const candidate = plan(limitMiB, daemonHeapMiB, workerMemoryMiB);
  if (candidate.totalMiB > limitMiB) {
    const largest = largestWorkerMemoryMiB(limitMiB, daemonHeapMiB);
    const advice = largest === undefined ? `raise the memory limit to at least ${candidate.totalMiB}Mi` : `lower it to at most ${largest}Mi or raise the memory limit to at least ${candidate.totalMiB}Mi`;
    return {
      ok: false,
      reason: `does not fit the container: ${describePlan({ daemonHeapMiB, workerMemoryMiB })} > limit ${limitMiB}Mi; ${advice}`,
    };
  }
  if (workerMemoryMiB < MIN_WORKER_MEMORY_MIB) {
    return { ok: false, reason: `is below the ${MIN_WORKER_MEMORY_MIB}Mi Spark needs for one executor` };
  }
  return { ok: true, plan: candidate };
}
