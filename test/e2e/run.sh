#!/usr/bin/env bash
# End-to-end test of the synthesized manifests and the job CLI against a real control plane
# (test/e2e/cluster.sh: kube-apiserver v1.28 with RBAC + PodSecurity, controllers, scheduler,
# kwok playing the kubelets of two fake Nodes). Issue #8 items 2-4.
#
#   1. apply   for dist/staging, dist/prod, dist/dev (in that order, dev stays for 3-5):
#              the Namespace, then `kubectl apply --server-side --dry-run=server` and a real
#              `kubectl apply --server-side` of the whole dir: zero errors, zero warnings
#              (PodSecurity warnings included); every Deployment/DaemonSet/StatefulSet rolls out
#              and every Job gets its pod on kwok; staging/prod: namespace deleted, waited for.
#   2. rbac    `kubectl auth can-i --as=system:serviceaccount:<ns>:<sa>`: each ServiceAccount
#              may do what it needs, in the namespace it needs it, and nothing else we check
#              (secrets, cluster scope, other namespaces, escalate/bind); every ServiceAccount
#              of the jobs namespace (user code) has no rule at all in the platform namespace
#              (`kubectl auth can-i --list`), in every env.
#   3. submit  the real CLI (job/dist/spark-job.js) with the real spark-submit of pyspark 4.1.2,
#              authenticated as spark-submitter (token), pod templates from the ConfigMap
#              spark-pod-templates: driver pod name and labels, return.json; a retry adopts it.
#   4. monitor spark-job monitor while this script plays the kubelet (status patches):
#              Succeeded (with the watch cut once by a proxy) -> 0, Failed -> 1, OOMKilled -> 3,
#              deleted -> 4; the driver log is unavailable without a kubelet (documented notice).
#   5. kwok    dev: deleting a spark-worker pod -> the DaemonSet replaces it.
#
# Output: `PASS <check>` / `FAIL <check>` (details indented below a FAIL), `TIME <what> <s>`,
# then `N passed, N failed` alone on the last line; exit 1 on any failure.
# Needs: dist/<env> (npm run synth) and job/dist/spark-job.js (npm run build), Java 17,
# python3 (pyspark 4.1.2 is installed into ~/.cache by job/scripts/ensure-tools.sh).
# Env: E2E_ENVS="staging prod dev" (dev must be last: phases 3-5 run on it),
#      E2E_DIST=<dir> manifests root instead of ./dist (e.g. a mutated copy, to see checks fail),
#      E2E_KEEP=1 keeps the work dir (logs, outputs) and the cluster logs.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CLI="$ROOT/job/dist/spark-job.js"
M="$HERE/lib/manifests.mjs"
NS=spark-clu          # the platform namespace
JOBS=spark-clu-jobs   # task pods, Spark drivers and executors
DIST="${E2E_DIST:-$ROOT/dist}"
read -r -a ENVS <<<"${E2E_ENVS:-staging prod dev}"
SPARK_IMAGE=apache/spark:4.1.2-scala2.13-java17-python3-ubuntu
DRIVER_CONTAINER=spark-kubernetes-driver
APP_NAME="spark pi"
RUN_ID="manual__2026-11-23T14:00:00.123456+00:00"
NOWHERE_LABEL=e2e.spark-airflow-k8s/no-such-node

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_TOTAL="$(now)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sak-e2e-run.XXXXXX")"
export E2E_DIR="$WORK/cluster"
BG_PIDS=()
passed=0
failed=0

# --- teardown: every process we started, by pid; the cluster; the temp dirs -------------
teardown() {
  [[ -z "${TORN_DOWN:-}" ]] || return 0
  TORN_DOWN=1
  local pid
  # each background process leads its own process group (setsid): signal the whole group,
  # so spark-submit's JVM goes with the node process that started it
  for pid in "${BG_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # cluster.sh stop: TERM (then KILL) to each component by pid file; removes $E2E_DIR
  # unless E2E_KEEP=1
  [[ ! -d "$E2E_DIR/pids" ]] || "$HERE/cluster.sh" stop >/dev/null 2>&1 || true
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then
    echo "# kept work dir: $WORK"
  else
    rm -rf "$WORK"
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  teardown
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# --- reporting ---------------------------------------------------------------------------
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL $1"
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/    /'; done
  failed=$((failed + 1))
}
# check <name> <command...>: PASS when the command succeeds; its output is shown on FAIL
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then pass "$name"; else fail "$name" "$(tail -n 20 <<<"$out")"; fi
}
timing() { echo "TIME $1 $2s"; }
# no_drift <dir>: kubectl diff --server-side is empty. kubectl reads the live object and dry-runs the
# apply in two requests; a Job whose status changes in between (kwok completes pods at once) shows
# a status-only difference once. A drift is what is still there on the third look, 3 s apart.
no_drift() {
  local try out
  for try in 1 2 3; do
    if out="$(kubectl diff --server-side -f "$1" 2>&1)"; then return 0; fi
    sleep 3
  done
  echo "$out"
  return 1
}

# run_clean <name> <outfile> <command...>: PASS when exit 0 and nothing on stderr (warnings count)
run_clean() {
  local name="$1" out="$2" rc=0
  shift 2
  "$@" >"$out.out" 2>"$out.err" || rc=$?
  if ((rc == 0)) && [[ ! -s "$out.err" ]]; then
    pass "$name"
  else
    fail "$name" "exit code $rc; stderr:" "$(head -n 30 "$out.err")"
  fi
}

# wait_line <file> <extended regex> <seconds>
wait_line() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qE -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_exit <pid> <seconds>: sets WAIT_RC to its exit code (124 after a timeout: then it is
# killed). Must run in this shell, not in $(...): only the parent can wait for (and reap) it.
wait_exit() {
  local pid="$1" i
  WAIT_RC=0
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    WAIT_RC=124
    return
  fi
  wait "$pid" || WAIT_RC=$?
}

# bg <outbase> <command...>: start in its own process group; sets BG (pid), remembered for teardown
bg() {
  local out="$1"
  shift
  setsid "$@" >"$out.out" 2>"$out.err" </dev/null &
  BG=$!
  BG_PIDS+=("$BG")
}

# --- 0. prerequisites, control plane -----------------------------------------------------
for e in "${ENVS[@]}"; do
  ls "$DIST/$e/"*.yaml >/dev/null 2>&1 || { echo "no manifests in dist/$e: run npm run synth" >&2; exit 2; }
done
[[ "${ENVS[-1]}" == dev ]] || { echo "E2E_ENVS must end with dev (phases 3-5 run on it)" >&2; exit 2; }
[[ -f "$CLI" ]] || { echo "no $CLI: run npm run build (or npm run build -w job)" >&2; exit 2; }

t="$(now)"
if ! env_lines="$("$HERE/cluster.sh" start 2>"$WORK/cluster-start.log")"; then
  cat "$WORK/cluster-start.log" >&2
  fail "control plane starts" "$(tail -n 5 "$WORK/cluster-start.log")"
  echo "$passed passed, $failed failed"
  exit 1
fi
eval "$env_lines"
pass "control plane starts (kube-apiserver $(kubectl version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n 1), kwok nodes Ready)"
timing "control-plane-start" "$(since "$t")"
SERVER="$(cat "$E2E_DIR/server")"
CA="$E2E_DIR/pki/ca.crt"
API_PORT="${SERVER##*:}"

# SPARK_HOME of pyspark 4.1.2 in the background while the manifests are applied
bg "$WORK/ensure-pyspark" "$ROOT/job/scripts/ensure-tools.sh" pyspark
PYSPARK_PID=$BG

# --- 1+2. apply every env, roll out, RBAC ------------------------------------------------
# can <ns>:<sa> yes|no <verb> <resource> [kubectl auth can-i flags...]
RBAC_BAD=()
can() {
  local who="$1" want="$2" verb="$3" res="$4" got
  shift 4
  # stdout is yes/no; stderr has kubectl's own remarks (e.g. "verb 'escalate' is not a known verb")
  got="$(kubectl auth can-i "$verb" "$res" --as="system:serviceaccount:${who%%:*}:${who#*:}" "$@" 2>"$WORK/can-i.err")"
  [[ "$got" == "$want" ]] || RBAC_BAD+=("$who can-i $verb $res $* -> ${got:-?} (want $want) $(tr '\n' ' ' <"$WORK/can-i.err")")
}
rbac_result() { # <name>
  if ((${#RBAC_BAD[@]} == 0)); then pass "$1"; else fail "$1" "${RBAC_BAD[@]}"; fi
  RBAC_BAD=()
}
# checks every ServiceAccount must fail: secrets, cluster scope, other namespaces, RBAC writes,
# and, in the platform namespace, anything that reaches its Secrets (pods, exec, ConfigMaps, Services)
deny_common() { # <ns>:<sa>
  local who="$1" v r ns
  for ns in $NS $JOBS; do
    for v in get list watch; do can "$who" no "$v" secrets -n $ns; done
    can "$who" no '*' '*' -n $ns
    can "$who" no escalate roles.rbac.authorization.k8s.io -n $ns
    can "$who" no bind roles.rbac.authorization.k8s.io -n $ns
    can "$who" no create roles.rbac.authorization.k8s.io -n $ns
    can "$who" no create rolebindings.rbac.authorization.k8s.io -n $ns
    can "$who" no patch rolebindings.rbac.authorization.k8s.io -n $ns
    can "$who" no create serviceaccounts --subresource=token -n $ns
    can "$who" no patch pods --subresource=status -n $ns
  done
  can "$who" no get secrets/airflow-secrets -n $NS
  for v in create patch update delete; do
    can "$who" no $v pods -n $NS
    can "$who" no $v configmaps -n $NS
    can "$who" no $v services -n $NS
  done
  can "$who" no create pods --subresource=exec -n $NS
  can "$who" no create deployments.apps -n $NS
  can "$who" no patch statefulsets.apps -n $NS
  for r in nodes namespaces clusterroles clusterrolebindings persistentvolumes storageclasses; do
    can "$who" no list "$r" -A
    can "$who" no create "$r" -A
  done
  can "$who" no get namespaces/$NS -A
  can "$who" no create pods -n default
  can "$who" no list pods -n kube-system
  can "$who" no get secrets -n kube-system
  can "$who" no create configmaps -n default
  can "$who" no '*' '*' -n default
  can "$who" no escalate clusterroles.rbac.authorization.k8s.io -A
  can "$who" no bind clusterroles.rbac.authorization.k8s.io -A
}
# rules_in <ns>:<sa> <namespace>: the rules the API server grants the account there, without the
# ones every authenticated identity has (self reviews, discovery URLs)
rules_in() {
  kubectl auth can-i --list -n "$2" --as="system:serviceaccount:${1%%:*}:${1#*:}" --no-headers 2>/dev/null |
    grep -vE '^(selfsubject(access|rules)reviews\.authorization\.k8s\.io|selfsubjectreviews\.authentication\.k8s\.io) ' |
    grep -vE '^ +\[/' || true
}
rbac_matrix() { # <env>
  local env="$1" sa v n rules
  t="$(now)"
  # spark-submitter: spark-submit (driver pod, its configmap and service, PVCs) + monitor, in the jobs namespace
  sa=$JOBS:spark-submitter
  for v in create get list watch delete; do can $sa yes $v pods -n $JOBS; done
  can $sa yes get pods --subresource=log -n $JOBS
  for v in create get list patch delete; do can $sa yes $v configmaps -n $JOBS; can $sa yes $v services -n $JOBS; done
  for v in create get list delete; do can $sa yes $v persistentvolumeclaims -n $JOBS; done
  can $sa yes create secrets -n $JOBS   # each Kubernetes app's authentication key
  n=$((5 + 1 + 10 + 4 + 1))
  rbac_result "rbac $env: spark-submitter is allowed all $n verbs it needs, in $JOBS"
  deny_common $sa
  can $sa no create secrets -n $NS
  can $sa no patch pods -n $JOBS
  can $sa no create pods --subresource=exec -n $JOBS
  rbac_result "rbac $env: spark-submitter is denied secrets, the platform namespace, cluster scope, escalate/bind"
  # spark-driver: executors and their configmaps/services/PVCs
  sa=$JOBS:spark-driver
  for v in create get list watch delete deletecollection; do can $sa yes $v pods -n $JOBS; done
  for v in create get list patch delete deletecollection; do can $sa yes $v configmaps -n $JOBS; done
  for v in create get list patch delete; do can $sa yes $v services -n $JOBS; done
  for v in create get list delete deletecollection; do can $sa yes $v persistentvolumeclaims -n $JOBS; done
  n=$((6 + 6 + 5 + 5))
  rbac_result "rbac $env: spark-driver is allowed all $n verbs it needs, in $JOBS"
  deny_common $sa
  can $sa no create pods --subresource=exec -n $JOBS
  can $sa no create secrets -n $JOBS
  rbac_result "rbac $env: spark-driver is denied secrets, the platform namespace, cluster scope, escalate/bind"
  # airflow: KubernetesPodOperator, in the jobs namespace only
  sa=$NS:airflow
  for v in create get list watch patch delete; do can $sa yes $v pods -n $JOBS; done
  can $sa yes get pods --subresource=log -n $JOBS
  can $sa yes create pods --subresource=exec -n $JOBS
  can $sa yes get pods --subresource=exec -n $JOBS
  can $sa yes list events -n $JOBS
  n=$((6 + 4))
  rbac_result "rbac $env: airflow is allowed all $n verbs it needs, in $JOBS"
  deny_common $sa
  rbac_result "rbac $env: airflow is denied secrets, pods and exec in its own namespace, cluster scope, escalate/bind"
  # every ServiceAccount whose token a user-code pod holds: no rule at all in the platform namespace
  while read -r kind ns name; do
    [[ "$kind" == ServiceAccount && "$ns" == "$JOBS" ]] || continue
    rules="$(rules_in "$JOBS:$name" $NS)"
    if [[ -z "$rules" ]]; then
      pass "rbac $env: $JOBS/$name (user code) has no rule in $NS (auth can-i --list)"
    else
      fail "rbac $env: $JOBS/$name (user code) has no rule in $NS (auth can-i --list)" "$rules"
    fi
  done < <(node "$M" list "$DIST/$env")
  # control: the same listing does show the rules an account has (airflow in the jobs namespace)
  check "rbac $env: control: auth can-i --list shows airflow's pod rules in $JOBS" \
    bash -c "grep -qE '^pods +\\[\\] +\\[\\] +\\[create' <<<\"\$(kubectl auth can-i --list -n $JOBS --as=system:serviceaccount:$NS:airflow --no-headers)\""
  # the secrets bootstrap Job's ServiceAccount (named *bootstrap*, its Role grants create on
  # secrets): create secrets, get only the Secrets its Role names (airflow-secrets among them);
  # in the jobs namespace create, and get/update the copy (spark-auth) only
  local found=0 names name
  while read -r sa names; do
    found=1
    sa=$NS:$sa
    can $sa yes create secrets -n $NS
    for name in $names; do can $sa yes get "secrets/$name" -n $NS; done
    [[ " $names " == *" airflow-secrets "* ]] || RBAC_BAD+=("its Role does not name airflow-secrets (names: $names)")
    can $sa yes create secrets -n $JOBS
    for v in get update; do can $sa yes $v secrets/spark-auth -n $JOBS; done
    rbac_result "rbac $env: $sa may create secrets and get $names; in $JOBS create and get/update the copy of spark-auth"
    for name in airflow-database e2e-some-other-secret; do
      [[ " $names " == *" $name "* ]] || can $sa no get "secrets/$name" -n $NS
    done
    can $sa no get secrets/airflow-secrets -n $JOBS
    can $sa no get secrets -n $NS
    can $sa no list secrets -n $NS
    can $sa no watch secrets -n $NS
    can $sa no list secrets -n $JOBS
    for name in $names; do
      for v in update patch delete; do can $sa no $v "secrets/$name" -n $NS; done
      can $sa no get "secrets/$name" -n default
    done
    can $sa no create secrets -n default
    can $sa no create pods -n $NS
    can $sa no create pods -n $JOBS
    can $sa no list nodes -A
    can $sa no list namespaces -A
    can $sa no escalate roles.rbac.authorization.k8s.io -n $NS
    can $sa no bind roles.rbac.authorization.k8s.io -n $NS
    rbac_result "rbac $env: $sa is denied other secrets, list/watch/update/delete, other namespaces"
  done < <(node "$M" bootstrap-rbac "$DIST/$env")
  ((found)) || echo "# rbac $env: no secrets-bootstrap ServiceAccount in this env (skipped)"
  timing "rbac-$env" "$(since "$t")"
}

rollouts() { # <env>: every Deployment/DaemonSet/StatefulSet rolls out; every Job gets a pod
  local env="$1" kind name job i pods
  t="$(now)"
  local ns
  while read -r kind ns name; do
    case "$kind" in
      Deployment | DaemonSet | StatefulSet)
        [[ "$ns" == - ]] && ns=$NS
        check "rollout $env: ${kind,,}/$name" kubectl -n "$ns" rollout status "${kind,,}/$name" --timeout=90s
        ;;
    esac
  done < <(node "$M" list "$DIST/$env")
  while read -r kind _ job; do
    [[ "$kind" == Job ]] || continue
    pods=""
    for ((i = 0; i < 600; i++)); do
      pods="$(kubectl -n $NS get pods -l "job-name=$job" -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}{" "}{end}' 2>/dev/null)"
      [[ "$pods" =~ =(Running|Succeeded) ]] && break
      sleep 0.2
    done
    if [[ "$pods" =~ =(Running|Succeeded) ]]; then
      pass "job $env: job/$job created its pod, kwok runs it ($pods)"
    else
      fail "job $env: job/$job created its pod, kwok runs it" "pods: ${pods:-none}" \
        "$(kubectl -n $NS describe job "$job" 2>&1 | sed -n '/^Events:/,$p' | tail -n 8)"
    fi
  done < <(node "$M" list "$DIST/$env")
  timing "rollouts-$env" "$(since "$t")"
}

# staging and prod have ServiceMonitors and PodMonitors: the Prometheus operator's CRDs first,
# as on a cluster that runs the operator (lib/imports/crds, the files the typed imports come from)
run_clean "apply: the Prometheus operator's CRDs (monitoring.coreos.com)" "$WORK/crds" \
  kubectl apply --server-side -f "$ROOT/lib/imports/crds/"
check "apply: the monitoring CRDs are established" kubectl wait --for=condition=Established \
  crd/podmonitors.monitoring.coreos.com crd/servicemonitors.monitoring.coreos.com --timeout=60s

for env in "${ENVS[@]}"; do
  T_ENV="$(now)"
  dir="$DIST/$env"
  # a PersistentVolume for each PVC (there is no provisioner), pre-bound by claimRef
  node "$M" pvs "$dir" "e2e-$env" >"$WORK/$env-pvs.yaml"
  if [[ -s "$WORK/$env-pvs.yaml" ]]; then
    kubectl apply -f "$WORK/$env-pvs.yaml" >/dev/null
  fi
  # Namespaced objects can only be dry-run in an existing namespace: apply the Namespace
  # first (same field manager as the full apply), then dry-run the whole dir.
  node "$M" namespaces "$dir" >"$WORK/$env-namespace.yaml"
  run_clean "apply $env: Namespace (server-side)" "$WORK/$env-ns" kubectl apply --server-side -f "$WORK/$env-namespace.yaml"
  t="$(now)"
  run_clean "apply $env: --server-side --dry-run=server: no errors, no warnings" "$WORK/$env-dry-run" \
    kubectl apply --server-side --dry-run=server -f "$dir/"
  run_clean "apply $env: --server-side: no errors, no warnings" "$WORK/$env-apply" \
    kubectl apply --server-side -f "$dir/"
  timing "apply-$env" "$(since "$t")"
  check "apply $env: kubectl diff --server-side shows no drift right after the apply" no_drift "$dir/"
  n_manifest="$(node "$M" list "$dir" | wc -l)"
  n_applied="$(grep -c 'serverside-applied' "$WORK/$env-apply.out" || true)"
  check "apply $env: all $n_manifest objects applied" test "$n_manifest" = "$n_applied"
  rbac_matrix "$env"
  rollouts "$env"
  no_failed_create() {
    local ev
    ev="$(kubectl get events -A --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.involvedObject.kind}/{.involvedObject.name}: {.message}{"\n"}{end}')"
    [[ -z "$ev" ]] || { sort -u <<<"$ev" | head -n 5; return 1; }
  }
  check "apply $env: no pod was rejected (no FailedCreate events)" no_failed_create
  if [[ "$env" != dev ]]; then
    t="$(now)"
    check "apply $env: namespaces deleted (waited until gone)" \
      bash -c "kubectl delete namespace $NS $JOBS --wait=true --timeout=180s && ! kubectl get namespace $NS 2>/dev/null && ! kubectl get namespace $JOBS 2>/dev/null"
    timing "delete-namespace-$env" "$(since "$t")"
  fi
  timing "env-$env" "$(since "$T_ENV")"
done

# --- 5. kwok: DaemonSet replaces a deleted spark-worker pod -------------------------------
t="$(now)"
ds_replace() {
  local victim node after
  victim="$(kubectl -n $NS get pods -l "$(kubectl -n $NS get ds spark-worker -o jsonpath='{.spec.selector.matchLabels}' |
    node -e 'const l=JSON.parse(require("fs").readFileSync(0));console.log(Object.entries(l).map(([k,v])=>k+"="+v).join(","))')" \
    -o jsonpath='{.items[0].metadata.name} {.items[0].spec.nodeName}')"
  node="${victim#* }"
  victim="${victim%% *}"
  [[ -n "$victim" ]] || { echo "no spark-worker pod"; return 1; }
  kubectl -n $NS delete pod "$victim" --wait=true --timeout=60s || return 1
  kubectl -n $NS rollout status ds/spark-worker --timeout=60s || return 1
  after="$(kubectl -n $NS get pods -o jsonpath="{range .items[?(@.spec.nodeName=='$node')]}{.metadata.name} {.status.phase}{'\n'}{end}" | grep '^spark-worker-')"
  echo "deleted $victim on $node; now: $after"
  grep -q ' Running$' <<<"$after" && ! grep -q "^$victim " <<<"$after"
}
check "kwok dev: deleting a spark-worker pod -> the DaemonSet replaces it on the same node" ds_replace
check "kwok dev: spark-worker has one ready pod per node" \
  bash -c "test \"\$(kubectl -n $NS get ds spark-worker -o jsonpath='{.status.numberReady}/{.status.desiredNumberScheduled}')\" = 2/2"
timing "daemonset-replace" "$(since "$t")"

# --- 3. submit: the real CLI and the real spark-submit, as spark-submitter ----------------
t="$(now)"
wait_exit "$PYSPARK_PID" 600
PYSPARK_RC=$WAIT_RC
SPARK_HOME="$(tail -n 1 "$WORK/ensure-pyspark.out")"
if [[ "$PYSPARK_RC" != 0 || ! -x "$SPARK_HOME/bin/spark-submit" ]]; then
  fail "pyspark 4.1.2 is installed (job/scripts/ensure-tools.sh pyspark)" "$(tail -n 5 "$WORK/ensure-pyspark.err")"
else
  pass "pyspark 4.1.2 is installed (job/scripts/ensure-tools.sh pyspark)"
fi
export SPARK_HOME

# kubeconfig of spark-submitter (bound token); <file> <server>
token="$(kubectl -n $JOBS create token spark-submitter --duration=1h)"
sa_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$2", certificate-authority: "$CA"}}]
users: [{name: spark-submitter, user: {token: "$token"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: spark-submitter, namespace: $JOBS}}]
current-context: e2e
EOF
}
SUBMITTER_KC="$WORK/submitter.kubeconfig"
sa_kubeconfig "$SUBMITTER_KC" "$SERVER"
check "submit: the spark-submitter token authenticates as the ServiceAccount" \
  grep -qx "system:serviceaccount:$JOBS:spark-submitter" \
  <(kubectl --kubeconfig "$SUBMITTER_KC" auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1; echo)

kubectl -n $JOBS get configmap spark-pod-templates -o jsonpath='{.data.driver\.yaml}' >"$WORK/driver.yaml"
kubectl -n $JOBS get configmap spark-pod-templates -o jsonpath='{.data.executor\.yaml}' >"$WORK/executor.yaml"
check "submit: ConfigMap spark-pod-templates has driver.yaml and executor.yaml" test -s "$WORK/driver.yaml" -a -s "$WORK/executor.yaml"

# executors are created by a running driver, which never runs here: prove the executor template
# is admitted (PodSecurity restricted) for the spark-driver ServiceAccount with a server dry run
node "$M" template-pod "$WORK/executor.yaml" e2e-exec-1 "$SPARK_IMAGE" spark-driver >"$WORK/executor-pod.json"
check "submit: a pod from executor.yaml is admitted for spark-driver (create --dry-run=server, no warnings)" \
  bash -c "out=\$(kubectl -n $JOBS create --dry-run=server -f '$WORK/executor-pod.json' --as=system:serviceaccount:$JOBS:spark-driver 2>&1 >/dev/null) && test -z \"\$out\" || { echo \"\$out\"; exit 1; }"

# spark_job_submit <outbase> <run id> <xcom file> <driver template> : runs the CLI; exit code in WAIT_RC
spark_job_submit() {
  local out="$1" run="$2" xcom="$3" tmpl="$4"
  bg "$out" env KUBECONFIG="$SUBMITTER_KC" SPARK_JOB_XCOM_FILE="$xcom" SPARK_LOCAL_IP=127.0.0.1 \
    node "$CLI" submit --name "$APP_NAME" --run-id "$run" --namespace $JOBS \
    --dag-id e2e_dag --task-id submit_pi \
    --master-url "k8s://$SERVER" --driver-service-account spark-driver \
    --driver-pod-template "$tmpl" --executor-pod-template "$WORK/executor.yaml" -- \
    --class org.apache.spark.examples.SparkPi \
    --conf spark.kubernetes.container.image=$SPARK_IMAGE \
    local:///opt/spark/examples/jars/spark-examples.jar 100
  wait_exit "$BG" 300
}
# expected driver pod name, by the rule in job/README.md (independent of the CLI's code)
expected_pod() {
  node -e 'const h=require("crypto").createHash("sha256").update(process.argv[1]+"\0"+process.argv[2]).digest("hex").slice(0,12);
    let p=process.argv[1].toLowerCase().replace(/[^a-z0-9]+/g,"-").replace(/^-+|-+$/g,"")||"spark"; console.log(p+"-"+h+"-driver")' "$1" "$2"
}
# the label value of a run id, by the rule in job/README.md
label_value() {
  node -e 'const v=process.argv[1]; if(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(v)){console.log(v);process.exit(0)}
    const h=require("crypto").createHash("sha256").update(v).digest("hex").slice(0,10);
    let p=v.replace(/[^A-Za-z0-9_.-]+/g,"-").slice(0,52).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g,""); console.log((p?p+"-":"")+h)' "$1"
}
json_field() { node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const v=o[process.argv[2]]; console.log(v===null?"null":typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"; }

POD="$(expected_pod "$APP_NAME" "$RUN_ID")"
spark_job_submit "$WORK/submit1" "$RUN_ID" "$WORK/xcom1/return.json" "$WORK/driver.yaml"; rc=$WAIT_RC
timing "submit-spark-submit" "$(since "$t")"
if [[ "$rc" == 0 ]] && grep -q "Deployed Spark application $APP_NAME with application ID spark-[0-9a-f]* and submission ID $JOBS:$POD into Kubernetes" "$WORK/submit1.out"; then
  pass "submit: spark-job submit with the real spark-submit 4.1.2 exits 0 (Deployed ... $JOBS:$POD)"
else
  fail "submit: spark-job submit with the real spark-submit 4.1.2 exits 0 (Deployed ... $JOBS:$POD)" "exit code $rc" \
    "$(grep -E 'spark-job|Deployed|Exception|Forbidden|Failure|WARN|ERROR' "$WORK/submit1.out" | head -n 20)" "$(head -n 10 "$WORK/submit1.err")"
fi
check "submit: no PodSecurity warning in spark-submit's output" bash -c "! grep -i 'would violate PodSecurity\|violates PodSecurity' '$WORK/submit1.out'"
if kubectl -n $JOBS get pod "$POD" -o json >"$WORK/pod1.json" 2>"$WORK/pod1.err"; then
  pass "submit: driver pod $POD exists (deterministic name)"
  POD1=1
else
  POD1=0
  fail "submit: driver pod $POD exists (deterministic name)" "$(cat "$WORK/pod1.err")" "pods: $(kubectl -n $JOBS get pods -o name | tr '\n' ' ')"
fi
if ((POD1)); then
  node "$M" pod-summary <"$WORK/pod1.json" >"$WORK/pod1.summary" 2>/dev/null || echo '{"labels":{}}' >"$WORK/pod1.summary"
  labels_ok() {
    node -e '
      const [file, runLabel, appLabel] = process.argv.slice(1);
      const s = JSON.parse(require("fs").readFileSync(file, "utf8")), l = s.labels;
      const want = {"app.kubernetes.io/managed-by":"spark-job","spark-airflow-k8s/dag-id":"e2e_dag","spark-airflow-k8s/task-id":"submit_pi",
        "spark-airflow-k8s/run-id":runLabel,"spark-airflow-k8s/app-name":appLabel,"spark-role":"driver","app.kubernetes.io/part-of":"spark-airflow-k8s"};
      const bad = Object.entries(want).filter(([k,v]) => l[k] !== v).map(([k,v]) => `${k}: want ${v}, got ${l[k]}`);
      if (!/^spark-[0-9a-f]{32}$/.test(l["spark-app-selector"] ?? "")) bad.push(`spark-app-selector: ${l["spark-app-selector"]}`);
      if (s.serviceAccount !== "spark-driver") bad.push(`serviceAccountName: ${s.serviceAccount}`);
      if (bad.length) { console.log(bad.join("\n")); process.exit(1); }
      console.log(JSON.stringify(l));' "$1" "$2" "$3"
  }
  check "submit: driver pod labels (managed-by, dag-id, task-id, run-id, app-name, spark-app-selector) and SA spark-driver" \
    labels_ok "$WORK/pod1.summary" "$(label_value "$RUN_ID")" "$(label_value "$APP_NAME")"
  check "submit: README's example pod name matches (spark pi + $RUN_ID)" test "$POD" = spark-pi-5260b27eb06f-driver
  return_ok() { # <file> : the contract of return.json
    node -e '
      const [file, pod, ns, app, appId] = process.argv.slice(1);
      const o = JSON.parse(require("fs").readFileSync(file, "utf8"));
      const keys = ["driverPod","namespace","appName","appId","submissionId","submittedAt","target"];
      const bad = [];
      if (JSON.stringify(Object.keys(o)) !== JSON.stringify(keys)) bad.push(`keys: ${Object.keys(o)}`);
      const want = {driverPod: pod, namespace: ns, appName: app, appId, submissionId: `${ns}:${pod}`, target: "k8s"};
      for (const [k, v] of Object.entries(want)) if (o[k] !== v) bad.push(`${k}: want ${v}, got ${o[k]}`);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(o.submittedAt) || Math.abs(Date.now() - Date.parse(o.submittedAt)) > 3600e3) bad.push(`submittedAt: ${o.submittedAt}`);
      if (bad.length) { console.log(bad.join("\n")); process.exit(1); }' "$1" "$POD" "$JOBS" "$APP_NAME" "$2"
  }
  APP_ID="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).labels["spark-app-selector"] ?? "")' "$WORK/pod1.summary")"
  check "submit: return.json (SPARK_JOB_XCOM_FILE) has the contract's keys and values (appId = spark-app-selector)" \
    return_ok "$WORK/xcom1/return.json" "$APP_ID"
  owned_by_driver() { # the driver's ConfigMap and Service, owned by the pod (garbage-collected with it)
    local owned
    owned="$(kubectl -n $JOBS get configmaps,services -o jsonpath="{range .items[?(@.metadata.ownerReferences[0].name=='$POD')]}{.kind}/{.metadata.name}{'\n'}{end}")"
    echo "$owned"
    grep -q '^ConfigMap/' <<<"$owned" && grep -q '^Service/' <<<"$owned"
  }
  check "submit: spark-submit created the driver's ConfigMap and Service, owned by the driver pod" owned_by_driver
  app_auth() { # the app's own key: a Secret owned by the driver pod, mounted as a file, never an env var
    local secret owner mounted env
    secret="$(kubectl -n $JOBS get pod "$POD" -o jsonpath='{range .spec.volumes[*]}{.secret.secretName}{"\n"}{end}' | grep '^spark-app-auth-' || true)"
    [[ -n "$secret" ]] || { echo "the driver pod mounts no spark-app-auth-* Secret"; return 1; }
    owner="$(kubectl -n $JOBS get secret "$secret" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}')"
    [[ "$owner" == "Pod/$POD/$(kubectl -n $JOBS get pod "$POD" -o jsonpath='{.metadata.uid}')" ]] || { echo "Secret $secret owner: $owner"; return 1; }
    mounted="$(kubectl -n $JOBS get pod "$POD" -o jsonpath='{.spec.containers[0].volumeMounts[*].mountPath}')"
    [[ " $mounted " == *" /opt/spark-job/auth "* ]] || { echo "driver mounts: $mounted"; return 1; }
    env="$(kubectl -n $JOBS get pod "$POD" -o jsonpath='{.spec.containers[0].env[*].name}')"
    [[ " $env " != *" SPARK_AUTH_SECRET "* ]] || { echo "the key is an env var of the driver"; return 1; }
    echo "Secret $secret owned by $owner, mounted at /opt/spark-job/auth"
  }
  check "submit: the app's authentication key is a Secret owned by the driver pod, mounted as a file (no env var)" app_auth
  check "submit: the driver (exact ConfigMap templates) is scheduled and run by kwok" \
    bash -c "kubectl -n $JOBS wait --for=jsonpath='{.status.phase}'=Running pod/$POD --timeout=60s"

  # a retry of the task: same app and run id -> adopts, no spark-submit, no second pod
  t="$(now)"
  spark_job_submit "$WORK/submit2" "$RUN_ID" "$WORK/xcom2/return.json" "$WORK/driver.yaml"; rc=$WAIT_RC
  timing "submit-adopt" "$(since "$t")"
  check "submit retry: exit 0 and 'adopted driver pod $JOBS/$POD ... spark-submit not run'" \
    bash -c "test '$rc' = 0 && grep -q 'adopted driver pod $JOBS/$POD (phase [A-Za-z]*), spark-submit not run' '$WORK/submit2.out'"
  check "submit retry: spark-submit did not run (no Spark output)" \
    bash -c "! grep -qE 'SparkKubernetesClientFactory|Deployed Spark application|log4j' '$WORK/submit2.out'"
  check "submit retry: still exactly one driver pod for this run" \
    test "$(kubectl -n $JOBS get pods -l spark-role=driver,spark-airflow-k8s/run-id="$(label_value "$RUN_ID")" -o name | wc -l)" = 1
  check "submit retry: return.json identifies the same driver (all keys equal except submittedAt)" \
    return_ok "$WORK/xcom2/return.json" "$APP_ID"
  same_submitted_at() {
    local a b created
    a="$(json_field "$WORK/xcom1/return.json" submittedAt)"
    b="$(json_field "$WORK/xcom2/return.json" submittedAt)"
    created="$(kubectl -n $JOBS get pod "$POD" -o jsonpath='{.metadata.creationTimestamp}')"
    echo "first: $a, retry: $b, pod created: $created"
    node -e 'const [a,b,c]=process.argv.slice(1).map(Date.parse); process.exit(b===c && Math.abs(a-b) < 5000 ? 0 : 1)' "$a" "$b" "$created"
  }
  check "submit retry: submittedAt = the pod's creationTimestamp, within 5 s of the first submit's" same_submitted_at
else
  fail "submit: labels, return.json, retry/adoption (not checked: spark-submit created no driver pod)"
fi

# --- 4. monitor: this script plays the kubelet --------------------------------------------
# A second real submit with a copy of the driver template pinned to a Node that does not
# exist: the scheduler leaves the pod Pending without nodeName, so kwok never touches it and
# its status is ours to patch. More drivers are cloned from it (admin, PodSecurity applies).
t="$(now)"
node "$M" pin-template "$WORK/driver.yaml" "$WORK/driver-pinned.yaml" "$NOWHERE_LABEL"
MRUN="scheduled__2026-11-23T15:00:00+00:00"
MPOD="$(expected_pod "$APP_NAME" "$MRUN")"
spark_job_submit "$WORK/submit3" "$MRUN" "$WORK/xcom3/return.json" "$WORK/driver-pinned.yaml"; rc=$WAIT_RC
check "monitor: second real submit (driver pinned to no node) exits 0, pod $MPOD exists, unscheduled" \
  bash -c "test '$rc' = 0 && test -z \"\$(kubectl -n $JOBS get pod $MPOD -o jsonpath='{.spec.nodeName}')\""
timing "monitor-submit" "$(since "$t")"
t="$(now)"
if kubectl -n $JOBS get pod "$MPOD" >/dev/null 2>&1; then
  kubectl -n $JOBS get pod "$MPOD" -o json >"$WORK/mpod.json"
  for s in failed oom deleted; do
    node "$M" clone-pod "$MPOD-$s" <"$WORK/mpod.json" >"$WORK/pod-$s.json" # name stays a DNS label (< 63)
    check "monitor: cloned driver pod $MPOD-$s is admitted (PodSecurity restricted)" kubectl create -f "$WORK/pod-$s.json"
  done

  ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
  STARTED="$(ts)"
  patch_status() { # <pod> <json status>
    kubectl -n $JOBS patch pod "$1" --subresource=status --type=merge -p "{\"status\":$2}" >/dev/null
  }
  running() {
    echo "{\"phase\":\"Running\",\"startTime\":\"$STARTED\",\"containerStatuses\":[{\"name\":\"$DRIVER_CONTAINER\",\"image\":\"$SPARK_IMAGE\",\"imageID\":\"\",\"ready\":true,\"started\":true,\"restartCount\":0,\"state\":{\"running\":{\"startedAt\":\"$STARTED\"}}}]}"
  }
  terminated() { # <phase> <exit code> <reason> [message]
    echo "{\"phase\":\"$1\",\"containerStatuses\":[{\"name\":\"$DRIVER_CONTAINER\",\"image\":\"$SPARK_IMAGE\",\"imageID\":\"\",\"ready\":false,\"started\":false,\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":$2,\"reason\":\"$3\",\"message\":\"${4:-}\",\"startedAt\":\"$STARTED\",\"finishedAt\":\"$(ts)\"}}}]}"
  }
  monitor_bg() { # <outbase> <pod> <kubeconfig>
    bg "$1" env KUBECONFIG="$3" SPARK_JOB_MONITOR_BACKOFF_MS=500 node "$CLI" monitor --driver-pod "$2" --namespace $JOBS --timeout 3m
  }

  # the proxy between monitor and the API server, so the test can cut the watch connection
  bg "$WORK/proxy" node "$HERE/lib/cutproxy.mjs" "$WORK/proxy.port" 127.0.0.1 "$API_PORT"
  PROXY_PID=$BG
  wait_line "$WORK/proxy.err" listening 10 || true
  PROXY_KC="$WORK/submitter-proxy.kubeconfig"
  sa_kubeconfig "$PROXY_KC" "https://127.0.0.1:$(cat "$WORK/proxy.port" 2>/dev/null)"

  monitor_bg "$WORK/mon-ok" "$MPOD" "$PROXY_KC"; MON_OK=$BG
  monitor_bg "$WORK/mon-failed" "$MPOD-failed" "$SUBMITTER_KC"; MON_FAILED=$BG
  monitor_bg "$WORK/mon-oom" "$MPOD-oom" "$SUBMITTER_KC"; MON_OOM=$BG
  monitor_bg "$WORK/mon-deleted" "$MPOD-deleted" "$SUBMITTER_KC"; MON_DELETED=$BG
  for s in ok failed oom deleted; do wait_line "$WORK/mon-$s.out" 'spark-job monitor: watching driver pod' 20 || true; done
  sleep 1 # the watch itself starts right after the list

  for p in "$MPOD" "$MPOD-failed" "$MPOD-oom" "$MPOD-deleted"; do patch_status "$p" "$(running)"; done
  # no kubelet: pods/log cannot be served; monitor says so once and keeps watching (kube.ts/monitor.ts)
  LOG_NOTICE='spark-job monitor: cannot stream the driver log \(HTTP [0-9]+: .*\); retrying with backoff'
  log_notice() {
    wait_line "$WORK/mon-ok.out" "$LOG_NOTICE" 20 || return 1
    test "$(grep -cE -- "$LOG_NOTICE" "$WORK/mon-ok.out")" = 1 && kill -0 "$MON_OK"
  }
  check "monitor: Running -> the driver log is unavailable without a kubelet: one notice line, monitor keeps watching" log_notice
  sed -n 's/.*cannot stream the driver log (\(.*\)); retrying.*/# pods\/log without a kubelet answered: \1/p' "$WORK/mon-ok.out" | head -n 1

  # cut every connection of the first monitor (its watch among them); change the pod while it is
  # cut off; let it reconnect: it must list again, see Succeeded and exit 0
  kill -USR1 "$PROXY_PID"
  check "monitor: watch connection cut -> monitor notices ('watch ended ...; listing again')" \
    wait_line "$WORK/mon-ok.out" 'spark-job monitor: watch ended \(.*\); listing again' 20
  patch_status "$MPOD" "$(terminated Succeeded 0 Completed)"
  sleep 1.5
  kill -USR2 "$PROXY_PID"
  wait_exit "$MON_OK" 60; rc=$WAIT_RC
  check "monitor: Succeeded while disconnected -> resumes (list again), exit 0 ('driver pod ... succeeded')" \
    bash -c "test '$rc' = 0 && grep -q 'spark-job monitor: driver pod $MPOD succeeded' '$WORK/mon-ok.out'"
  check "monitor: reconnect went through the proxy after the cut (new connections accepted)" \
    bash -c "grep -q 'cut: destroyed [1-9]' '$WORK/proxy.err' && grep -q resumed '$WORK/proxy.err'"

  patch_status "$MPOD-failed" "$(terminated Failed 1 Error 'Traceback: ZeroDivisionError: e2e')"
  patch_status "$MPOD-oom" "$(terminated Failed 137 OOMKilled)"
  kubectl -n $JOBS delete pod "$MPOD-deleted" --wait=false >/dev/null
  wait_exit "$MON_FAILED" 30; rc_failed=$WAIT_RC
  wait_exit "$MON_OOM" 30; rc_oom=$WAIT_RC
  wait_exit "$MON_DELETED" 30; rc_deleted=$WAIT_RC
  check "monitor: Failed (exit code 1) -> exit 1, first stderr line is the reason" \
    bash -c "test '$rc_failed' = 1 && test \"\$(head -n 1 '$WORK/mon-failed.err')\" = 'spark-job monitor: driver pod $MPOD-failed failed: container $DRIVER_CONTAINER terminated with exit code 1 (Error)'"
  check "monitor: Failed -> the termination message follows the reason" grep -q 'ZeroDivisionError: e2e' "$WORK/mon-failed.err"
  check "monitor: OOMKilled (exit 137) -> exit 3" \
    bash -c "test '$rc_oom' = 3 && test \"\$(head -n 1 '$WORK/mon-oom.err')\" = 'spark-job monitor: driver pod $MPOD-oom failed: container $DRIVER_CONTAINER terminated with exit code 137 (OOMKilled)'"
  check "monitor: driver pod deleted while Running -> exit 4" \
    bash -c "test '$rc_deleted' = 4 && head -n 1 '$WORK/mon-deleted.err' | grep -q '^spark-job monitor: driver pod $MPOD-deleted was deleted before it finished (last phase: Running)'"
  rc="$(env KUBECONFIG="$SUBMITTER_KC" timeout 30 node "$CLI" monitor --driver-pod "$MPOD-deleted" --namespace $JOBS 2>"$WORK/mon-gone.err" >/dev/null; echo $?)"
  check "monitor: a driver pod that does not exist -> exit 4" test "$rc" = 4
else
  fail "monitor: Succeeded/Failed/OOMKilled/deleted, watch cut (not checked: no driver pod from the second submit)"
fi
timing "monitor" "$(since "$t")"
if [[ -n "${E2E_VERBOSE:-}" ]]; then
  for s in ok failed oom deleted; do echo "--- monitor $s"; cat "$WORK/mon-$s.out" "$WORK/mon-$s.err"; done
fi

check "cluster: kwok nodes stayed Ready throughout (no NodeNotReady event)" \
  bash -c "! kubectl get events -A --field-selector reason=NodeNotReady -o name | grep -q ."
t="$(now)"
teardown
timing "teardown" "$(since "$t")"
timing "total" "$(since "$T_TOTAL")"
echo "$passed passed, $failed failed"
((failed == 0))
