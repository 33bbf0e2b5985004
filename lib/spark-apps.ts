import { checkMemoryMiB } from './resources';
import { parseCpuMillis } from './quantity';
import { jvmOverheadMiB } from './spark-memory';
import { IssueCollector, ValidationIssue } from './validation';

/** Size of the driver or executor pods of Spark applications on Kubernetes. */
export interface SparkPodSize {
  /** Cores the JVM uses (`spark.driver.cores` / `spark.executor.cores`). @default 1 (Spark's default) */
  readonly cores?: number;
  /**
   * CPU the pod requests (`spark.kubernetes.{driver,executor}.request.cores`), a Kubernetes
   * quantity; below `cores` lets small clusters schedule apps that idle most of the time.
   * @default - `cores` (Spark's default)
   */
  readonly cpuRequest?: string;
  /** CPU limit of the pod (`spark.kubernetes.{driver,executor}.limit.cores`). @default - no CPU limit (Spark's default) */
  readonly cpuLimit?: string;
  /** JVM heap (`spark.driver.memory` / `spark.executor.memory`), whole MiB, e.g. "512Mi". @default "1Gi" (Spark's default) */
  readonly memory?: string;
  /**
   * Off-heap allowance (`spark.{driver,executor}.memoryOverhead`), whole MiB; the pod's memory
   * limit is heap + overhead. PySpark drivers run a Python process in it too.
   * @default - max(384Mi, 10% of memory) (Spark's rule)
   */
  readonly memoryOverhead?: string;
}

/** Executors: their size and how many an application starts. */
export interface SparkExecutorSize extends SparkPodSize {
  /** `spark.executor.instances`. @default 2 (Spark's default) */
  readonly instances?: number;
}

/**
 * Defaults for Spark applications submitted to Kubernetes from this platform (the DAG helper and
 * `spark-job submit --target k8s`): rendered into `spark-defaults.conf` of the pod templates
 * ConfigMap, which the submit pod uses as its `SPARK_CONF_DIR`. An application's own `--conf`
 * wins over them. Size them so that an app fits the nodes it runs on.
 */
export interface SparkApplicationDefaults {
  /** @default - Spark's defaults (1 core, 1 CPU requested, 1Gi heap) */
  readonly driver?: SparkPodSize;
  /** @default - Spark's defaults (2 instances of 1 core, 1 CPU requested, 1Gi heap) */
  readonly executor?: SparkExecutorSize;
}

/** What one pod of an application requests, for capacity planning. */
export interface SparkPodRequest {
  /** CPU request in millicores. */
  readonly cpuMillis: number;
  /** Memory request (= limit) in MiB: heap + overhead. */
  readonly memoryMiB: number;
}

/**
 * The validated defaults: the Spark conf they render to and what each pod requests.
 * @internal
 */
export interface ResolvedSparkApplications {
  readonly conf: Readonly<Record<string, string>>;
  readonly driver: SparkPodRequest;
  readonly executor: SparkPodRequest;
  readonly executorInstances: number;
}

const SPARK_DEFAULTS = { cores: 1, memoryMiB: 1024, instances: 2 };

/**
 * Validates {@link SparkApplicationDefaults} (field paths relative to it) and renders the conf.
 * @internal
 */
export function resolveSparkApplications(options: SparkApplicationDefaults | undefined): { resolved?: ResolvedSparkApplications; issues: readonly ValidationIssue[] } {
  const issues = new IssueCollector();
  const conf: Record<string, string> = {};
  const size = (role: 'driver' | 'executor', o: SparkPodSize | undefined): SparkPodRequest | undefined => {
    let ok = true;
    const cores = o?.cores ?? SPARK_DEFAULTS.cores;
    if (!Number.isInteger(cores) || cores < 1 || cores > 256) {
      issues.add(`${role}.cores`, o?.cores, 'must be an integer in 1-256');
      ok = false;
    } else if (o?.cores !== undefined) conf[`spark.${role}.cores`] = String(cores);
    let requestMillis = cores * 1000;
    if (o?.cpuRequest !== undefined) {
      const millis = parseCpuMillis(o.cpuRequest);
      if (millis === undefined) { issues.add(`${role}.cpuRequest`, o.cpuRequest, 'must be a positive CPU quantity, e.g. "100m", "1"'); ok = false; } else {
        requestMillis = millis;
        conf[`spark.kubernetes.${role}.request.cores`] = o.cpuRequest;
      }
    }
    if (o?.cpuLimit !== undefined) {
      const millis = parseCpuMillis(o.cpuLimit);
      if (millis === undefined) { issues.add(`${role}.cpuLimit`, o.cpuLimit, 'must be a positive CPU quantity, e.g. "1", "2"'); ok = false; } else if (millis < requestMillis) {
        issues.add(`${role}.cpuLimit`, o.cpuLimit, `must be at least the CPU request (${requestMillis}m)`); ok = false;
      } else conf[`spark.kubernetes.${role}.limit.cores`] = o.cpuLimit;
    }
    let heapMiB = SPARK_DEFAULTS.memoryMiB;
    if (o?.memory !== undefined) {
      const mib = checkMemoryMiB(issues, `${role}.memory`, o.memory);
      if (mib === undefined) ok = false;
      else if (mib < 450) { issues.add(`${role}.memory`, o.memory, 'must be at least 450Mi (Spark refuses smaller heaps)'); ok = false; } else {
        heapMiB = mib;
        conf[`spark.${role}.memory`] = `${mib}m`;
      }
    }
    let overheadMiB = jvmOverheadMiB(heapMiB);
    if (o?.memoryOverhead !== undefined) {
      const mib = checkMemoryMiB(issues, `${role}.memoryOverhead`, o.memoryOverhead);
      if (mib === undefined) ok = false;
      else {
        overheadMiB = mib;
        conf[`spark.${role}.memoryOverhead`] = `${mib}m`;
      }
    }
    return ok ? { cpuMillis: requestMillis, memoryMiB: heapMiB + overheadMiB } : undefined;
  };
  const driver = size('driver', options?.driver);
  const executor = size('executor', options?.executor);
  const instances = options?.executor?.instances ?? SPARK_DEFAULTS.instances;
  if (!Number.isInteger(instances) || instances < 1 || instances > 1000) issues.add('executor.instances', options?.executor?.instances, 'must be an integer in 1-1000');
  else if (options?.executor?.instances !== undefined) conf['spark.executor.instances'] = String(instances);
  if (issues.issues.length > 0 || !driver || !executor) return { issues: issues.issues };
  return { issues: [], resolved: { conf, driver, executor, executorInstances: instances } };
}
