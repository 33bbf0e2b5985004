/**
 * Every image and tool version the platform uses, in one place.
 *
 * Tests assert that the job image (job/Dockerfile), the DAG defaults and the
 * test tools (the `pyspark` wheel used for a real spark-submit) agree with
 * these values, so bump them here and let the tests tell you what else moves.
 */

/** Apache Spark version shared by the cluster image, the job image and the test tools. */
export const SPARK_VERSION = '4.1.2';

/** Scala build of the Spark image. */
export const SPARK_SCALA_VERSION = '2.13';

/** Java runtime inside the Spark image. */
export const SPARK_JAVA_VERSION = '17';

/** Kubernetes API version the manifests target (cdk8s-plus-28). */
export const KUBERNETES_VERSION = '1.28';

/** Fully pinned image references. Never `latest`, never untagged. */
export const IMAGES = {
  /**
   * Official Apache Spark image (user `spark`, uid/gid 185, SPARK_HOME /opt/spark).
   * `4.1.2-java17` is an alias of this tag; we pin the full one.
   */
  spark: `apache/spark:${SPARK_VERSION}-scala${SPARK_SCALA_VERSION}-java${SPARK_JAVA_VERSION}-python3-ubuntu`,
} as const;

/** uid/gid of the `spark` user in the apache/spark image. */
export const SPARK_UID = 185;
