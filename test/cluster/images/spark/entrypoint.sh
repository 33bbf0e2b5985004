#!/bin/bash
# Stand-in for the apache/spark image's /opt/entrypoint.sh (our own code, same contract):
#   driver ARGS...    spark-submit --deploy-mode client, bound to $SPARK_DRIVER_BIND_ADDRESS,
#                     as Spark's Kubernetes backend starts driver pods
#   executor          KubernetesExecutorBackend from the SPARK_EXECUTOR_* / SPARK_DRIVER_URL env
#                     the driver puts on executor pods
#   anything else     exec'd unchanged (how the master and worker Deployments run spark-class)
# Driver and executor run under tini (signals, zombie reaping) and get a passwd entry through
# nss_wrapper when their uid has none, as upstream does.
set -eo pipefail

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')"
  export JAVA_HOME
fi

SPARK_CLASSPATH="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}${SPARK_HOME}/jars/*"
executor_java_opts=()
for name in "${!SPARK_JAVA_OPT_@}"; do
  executor_java_opts+=("${!name}")
done
if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then SPARK_CLASSPATH="$SPARK_CLASSPATH:$SPARK_EXTRA_CLASSPATH"; fi
if [ -n "${PYSPARK_PYTHON+x}" ]; then export PYSPARK_PYTHON; fi
if [ -n "${PYSPARK_DRIVER_PYTHON+x}" ]; then export PYSPARK_DRIVER_PYTHON; fi
if [ -n "${HADOOP_HOME:-}" ] && [ -z "${SPARK_DIST_CLASSPATH:-}" ]; then
  SPARK_DIST_CLASSPATH="$("$HADOOP_HOME/bin/hadoop" classpath)"
  export SPARK_DIST_CLASSPATH
fi
if [ -n "${HADOOP_CONF_DIR:-}" ]; then SPARK_CLASSPATH="$HADOOP_CONF_DIR:$SPARK_CLASSPATH"; fi
SPARK_CLASSPATH="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$SPARK_CLASSPATH:$PWD"

# A uid without a passwd entry (e.g. a pod's runAsUser) makes Hadoop's user lookup fail.
fake_passwd_entry() {
  local uid gid wrapper
  uid="$(id -u)"; gid="$(id -g)"
  getent passwd "$uid" >/dev/null && return 0
  for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    [ -f "$wrapper" ] || continue
    NSS_WRAPPER_PASSWD="$(mktemp)"; NSS_WRAPPER_GROUP="$(mktemp)"
    printf 'spark:x:%s:%s:anonymous uid:%s:/bin/false\n' "$uid" "$gid" "$SPARK_HOME" > "$NSS_WRAPPER_PASSWD"
    printf 'spark:x:%s:\n' "$gid" > "$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return 0
  done
}

case "${1:-}" in
  driver)
    shift 1
    fake_passwd_entry
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift 1
    fake_passwd_entry
    exec /usr/bin/tini -s -- "$JAVA_HOME/bin/java" "${executor_java_opts[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$SPARK_CLASSPATH:${SPARK_DIST_CLASSPATH:-}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac
