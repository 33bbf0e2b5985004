#!/usr/bin/env bash
# Records what a REAL spark-submit (pyspark==4.1.2, Java 17) prints, for the parser tests, and
# runs the built CLI end to end with it. Writes test/fixtures/spark-4.1.2-<case>.{stdout,stderr,exitcode}.txt
#   capture-spark-output.sh [k8s|standalone|all]   (default all; standalone takes ~2 minutes)
# k8s: cluster-mode submits with waitAppCompletion=false against scripts/fake-kube-api.mjs:
#   deployed (pod created), forbidden (403 on pod create), already-exists (409 on pod create),
#   connection-refused (nothing listening); then `spark-job submit` end to end.
# standalone: a real local standalone master and worker (loopback only, REST gateway off):
#   apps/pi.py in client mode; then `spark-job submit --target standalone`, also with --fail.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../test/fixtures"
export SPARK_HOME
SPARK_HOME="$("$here/ensure-tools.sh" pyspark)"
export PATH="$(dirname "$(dirname "$SPARK_HOME")")/../../bin:$PATH"
# Reproducible, machine-independent output: no kubeconfig, loopback only.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export KUBECONFIG="$tmp/no-kubeconfig" SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=localhost
unset SPARK_CONF_DIR

# The driver pod name spark-job derives for this app and run (from the built CLI).
[ -f "$here/../dist/spark-job.js" ] || (cd "$here/.." && node scripts/build.mjs >&2)
RUN_ID='manual__2026-11-23T14:00:00.123456+00:00'
POD="$(node -e 'console.log(require(process.argv[1]).driverPodName("spark pi", process.argv[2]))' "$here/../dist/spark-job.js" "$RUN_ID")"

submit() { # <master-url> <case>
  local rc=0
  "$SPARK_HOME/bin/spark-submit" \
    --master "$1" --deploy-mode cluster --name "spark pi" \
    --class org.apache.spark.examples.SparkPi \
    --conf spark.kubernetes.namespace=spark-clu \
    --conf spark.kubernetes.driver.pod.name="$POD" \
    --conf spark.kubernetes.submission.waitAppCompletion=false \
    --conf spark.kubernetes.container.image=apache/spark:4.1.2-scala2.13-java17-python3-ubuntu \
    local:///opt/spark/examples/jars/spark-examples.jar 100 \
    > "$fixtures/spark-4.1.2-$2.stdout.txt" 2> "$fixtures/spark-4.1.2-$2.stderr.txt" || rc=$?
  echo "$2: spark-submit exit code $rc" >&2
  echo "$rc" > "$fixtures/spark-4.1.2-$2.exitcode.txt"
}

what="${1:-all}"
freeport() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

capture_k8s() {
for mode in ok forbidden conflict; do
  rm -f "$tmp/port"
  node "$here/fake-kube-api.mjs" "$tmp/port" "$mode" 2> "$tmp/api-$mode.log" &
  api=$!
  for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  case "$mode" in ok) name=deployed ;; forbidden) name=forbidden ;; conflict) name=already-exists ;; esac
  submit "k8s://http://127.0.0.1:$(cat "$tmp/port")" "$name"
  kill "$api"; wait "$api" || true
  sed 's/^/  /' "$tmp/api-$mode.log" >&2
done

# Connection refused: a port that was just free.
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
submit "k8s://http://127.0.0.1:$port" connection-refused

# End to end: the built CLI, the real spark-submit and the fake API together.
rm -f "$tmp/port"
node "$here/fake-kube-api.mjs" "$tmp/port" ok 2> "$tmp/api-e2e.log" &
api=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port="$(cat "$tmp/port")"
cat > "$tmp/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "http://127.0.0.1:$port", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: fake, context: {cluster: fake, user: u}}]
current-context: fake
KC
rc=0
KUBECONFIG="$tmp/kubeconfig" SPARK_JOB_XCOM_FILE="$tmp/xcom/return.json" SPARK_JOB_K8S_MASTER="k8s://http://127.0.0.1:$port" \
  node "$here/../dist/spark-job.js" submit --name "spark pi" --run-id "$RUN_ID" --namespace spark-clu \
  --dag-id example_spark_pi --task-id submit -- \
  --class org.apache.spark.examples.SparkPi \
  --conf spark.kubernetes.container.image=apache/spark:4.1.2-scala2.13-java17-python3-ubuntu \
  local:///opt/spark/examples/jars/spark-examples.jar 100 > "$tmp/e2e.out" 2>&1 || rc=$?
kill "$api"; wait "$api" || true
echo "e2e: spark-job submit exit code $rc; API requests:" >&2
sed 's/^/  /' "$tmp/api-e2e.log" >&2
grep -E 'spark-job|Deployed' "$tmp/e2e.out" >&2 || true
echo "e2e: return.json:" >&2
cat "$tmp/xcom/return.json" >&2
[ "$rc" = 0 ] && grep -q "\"driverPod\": \"$POD\"" "$tmp/xcom/return.json" \
  && grep -q '"spark-airflow-k8s/dag-id":"example_spark_pi"' "$tmp/api-e2e.log" \
  && echo "e2e: OK" >&2
}

capture_standalone() {
  local venv mp rc app
  venv="$(dirname "$(dirname "$(dirname "$(dirname "$SPARK_HOME")")")")"
  export PYSPARK_PYTHON="$venv/bin/python"
  mp="$(freeport)"
  SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$mp" --webui-port "$(freeport)" > "$tmp/master.log" 2>&1 &
  local master=$!
  for _ in $(seq 120); do grep -qs "I have been elected leader" "$tmp/master.log" && break; sleep 0.5; done
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "spark://127.0.0.1:$mp" --host 127.0.0.1 \
    --cores 1 --memory 1g --webui-port "$(freeport)" --work-dir "$tmp/work" > "$tmp/worker.log" 2>&1 &
  local worker=$!
  for _ in $(seq 120); do grep -qs "Successfully registered with master" "$tmp/worker.log" && break; sleep 0.5; done
  app="$here/../apps/pi.py"

  rc=0
  "$SPARK_HOME/bin/spark-submit" --master "spark://127.0.0.1:$mp" --deploy-mode client --name "spark pi" \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 "$app" --partitions 2 \
    > "$fixtures/spark-4.1.2-standalone.stdout.txt" 2> "$fixtures/spark-4.1.2-standalone.stderr.txt" || rc=$?
  echo "$rc" > "$fixtures/spark-4.1.2-standalone.exitcode.txt"
  echo "standalone: spark-submit exit code $rc" >&2

  local ok=1
  for fail in no yes; do
    rc=0
    SPARK_JOB_XCOM_FILE="$tmp/xcom-standalone-$fail/return.json" SPARK_MASTER_URL="spark://127.0.0.1:$mp" POD_NAME=submit-pod \
      node "$here/../dist/spark-job.js" submit --target standalone --name "spark pi" --run-id "$RUN_ID" -- \
      "$app" --partitions 2 $([ "$fail" = yes ] && echo --fail) > "$tmp/e2e-standalone-$fail.out" 2> "$tmp/e2e-standalone-$fail.err" || rc=$?
    echo "e2e standalone (--fail: $fail): spark-job submit exit code $rc" >&2
    grep -E 'Pi is roughly|pi.py:|Connected to Spark cluster' "$tmp/e2e-standalone-$fail.out" >&2 || true
    head -1 "$tmp/e2e-standalone-$fail.err" >&2
    cat "$tmp/xcom-standalone-$fail/return.json" >&2
    if [ "$fail" = no ]; then [ "$rc" = 0 ] || ok=0; else [ "$rc" = 3 ] || ok=0; fi
    grep -q '"appId": "app-' "$tmp/xcom-standalone-$fail/return.json" || ok=0
  done
  kill "$worker" "$master"; wait "$worker" "$master" 2>/dev/null || true
  [ "$ok" = 1 ] && echo "e2e standalone: OK" >&2
}

case "$what" in
  k8s) capture_k8s ;;
  standalone) capture_standalone ;;
  all) capture_k8s && capture_standalone ;;
  *) echo "usage: capture-spark-output.sh [k8s|standalone|all]" >&2; exit 2 ;;
esac
