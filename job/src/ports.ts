/**
 * The ports Spark applications listen on, pinned by `spark-job submit` so that NetworkPolicies
 * can name them (lib/spark-cluster.ts SPARK_APP_PORTS and lib/spark-rbac.ts SPARK_K8S_PORTS open
 * exactly these; test/ports.test.ts keeps both sides equal). Left unset, Spark picks random
 * ports for the executors' block managers: shuffle fetches, torrent broadcasts and task results
 * over 1 MiB are then dropped by the policies (found on a real node).
 */

/** Kubernetes cluster mode: every driver and executor is a pod of its own, so one port each. */
export const K8S_PORTS = {
  /** `spark.driver.port`: executors register with the driver. */
  driver: 7078,
  /** `spark.driver.blockManager.port`: executors fetch broadcasts from the driver. */
  driverBlockManager: 7079,
  /** `spark.blockManager.port`: the executors' block managers (shuffle, results over 1 MiB). */
  blockManager: 7079,
} as const;

/**
 * Standalone client mode: the driver runs in the task pod; executors share the worker pods, so
 * each takes the next free port from `blockManager` up to `spark.port.maxRetries` (16) more.
 */
export const STANDALONE_PORTS = {
  driver: 7078,
  driverBlockManager: 7079,
  blockManager: 7080,
} as const;

/** The spark-submit confs that pin the ports of `ports`. */
export function portConfs(ports: { readonly driver: number; readonly driverBlockManager: number; readonly blockManager: number }): Record<string, string> {
  return {
    'spark.driver.port': String(ports.driver),
    'spark.driver.blockManager.port': String(ports.driverBlockManager),
    'spark.blockManager.port': String(ports.blockManager),
  };
}
