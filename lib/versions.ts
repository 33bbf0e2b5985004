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

/**
 * Hadoop of the Spark distribution (hadoop-client-api in /opt/spark/jars). The job image's S3A
 * connector (hadoop-aws, job/connectors/pom.xml) must be this version.
 */
export const HADOOP_VERSION = '3.4.2';

/** AWS SDK for Java v2 that HADOOP_VERSION was built and tested with (its hadoop-project pom): the S3A connector's SDK. */
export const AWS_SDK_V2_VERSION = '2.29.52';

/** Kubernetes API version the manifests target (cdk8s-plus-28). */
export const KUBERNETES_VERSION = '1.28';

/** Apache Airflow version of the image and of the test environment (requirements/airflow-lock.txt). */
export const AIRFLOW_VERSION = '3.3.2';

/** Python of the Airflow image. */
export const AIRFLOW_PYTHON_VERSION = '3.12';

/** Version of the spark-job CLI (job/package.json). */
export const JOB_CLI_VERSION = '0.1.0';

/** Fully pinned image references. Never `latest`, never untagged. */
export const IMAGES = {
  /**
   * Official Apache Spark image (user `spark`, uid/gid 185, SPARK_HOME /opt/spark).
   * `4.1.2-java17` is an alias of this tag; we pin the full one.
   */
  spark: `apache/spark:${SPARK_VERSION}-scala${SPARK_SCALA_VERSION}-java${SPARK_JAVA_VERSION}-python3-ubuntu`,
  /** The companion job image (job/Dockerfile): `<Spark version>-<CLI version>`, built FROM `spark` above. */
  sparkJob: `ghcr.io/spark-airflow-k8s/spark-job:${SPARK_VERSION}-${JOB_CLI_VERSION}`,
  /** Official Apache Airflow image; it ships the cncf.kubernetes provider. uid 50000, gid 0. */
  airflow: `apache/airflow:${AIRFLOW_VERSION}-python${AIRFLOW_PYTHON_VERSION}`,
  /** PostgreSQL for the in-cluster Airflow metadata database (uid 999). */
  postgres: 'postgres:17.6-bookworm',
  /** git-sync sidecar for DagSource.gitSync() (uid 65533). */
  gitSync: 'registry.k8s.io/git-sync/git-sync:v4.4.2',
  /** Prometheus StatsD exporter: Airflow's StatsD metrics as a /metrics endpoint (uid 65534), as the Airflow chart does. */
  statsdExporter: 'prom/statsd-exporter:v0.28.0',
} as const;

/**
 * Images only the tests run; the platform never deploys them. The real node (test/cluster) builds
 * each one from the Go module of the same version (test/versions.test.ts checks that they agree).
 */
export const TEST_IMAGES = {
  /** The real node's ingress controller: Traefik's Kubernetes Ingress provider serves our Ingresses. */
  ingressController: 'traefik:v3.6.12',
  /** The real node's object store: versitygw, an S3 server (Apache-2.0) that checks every request's signature. */
  objectStore: 'versity/versitygw:v1.8.0',
} as const;

/** uid/gid of the `spark` user in the apache/spark image. */
export const SPARK_UID = 185;

/** uid of the `airflow` user in the apache/airflow image (its gid is 0). */
export const AIRFLOW_UID = 50000;

/** uid/gid of the `postgres` user in the postgres image. */
export const POSTGRES_UID = 999;

/** uid/gid of the statsd-exporter image's user (nobody). */
export const STATSD_EXPORTER_UID = 65534;

/** uid/gid of the git-sync image's user. */
export const GIT_SYNC_UID = 65533;
