#!/usr/bin/env bash
# npm run test:cluster: dist/dev on a real single-node Kubernetes, end to end.
#
#   run.sh [scenario.js ...]   runs each scenario in turn on one node (default: the cluster scenario,
#                              build/cluster/scenario.js); test/pulumi-cli/run.sh runs Pulumi's
#
#   1. build.sh      Debian packages, Kubernetes + CoreDNS + kube-network-policies from Go modules,
#                    the images (stand-ins and job/Dockerfile itself); all cached under ~/.cache
#   2. node.sh start the node (containerd, kubelet, kube-proxy, control plane, CoreDNS, policies)
#   3. scenarios     build/cluster/scenario.js: apply dist/dev, both DAGs through Airflow's REST API,
#                    failure paths, NetworkPolicies from real pods, uninstall (PASS/FAIL lines)
#   4. node.sh stop  everything stopped by pid, the machine restored (PASS/FAIL teardown lines),
#                    also when a step above failed or the run is interrupted
#
# Output: PASS/FAIL lines, TIME lines, and `N passed, N failed` alone on the last line; exit 1 on
# any failure. Needs root. CLUSTER_KEEP=1 keeps the node's state dir (logs) after the run.
# CLUSTER_KEEP_NODE=1 leaves the node running (no teardown) for a next suite, which reuses it with
# CLUSTER_REUSE_NODE=1 (and stops it): .ci/run runs test:cluster and test:pulumi on one node.
# CLUSTER_START_ONLY=1 builds and starts the node, leaves it running and runs no scenario (.ci/run
# does that while the e2e suite runs, then the scenarios with CLUSTER_REUSE_NODE=1).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
T0=$SECONDS
OUT="$(mktemp -d "${TMPDIR:-/tmp}/sak-cluster-run.XXXXXX")"
passed=0
failed=0

count() { # count <file>: adds its PASS/FAIL lines to the totals
  local p f
  p="$(grep -c '^PASS ' "$1" || true)"; f="$(grep -c '^FAIL ' "$1" || true)"
  passed=$((passed + p)); failed=$((failed + f))
}

stopped=0
stop_node() {
  ((stopped)) && return 0
  stopped=1
  if [[ "${CLUSTER_KEEP_NODE:-0}" == 1 && -f "$OUT/node.env" ]]; then
    echo "# node left running for the next suite (CLUSTER_KEEP_NODE=1): test/cluster/node.sh stop stops it"
    return 0
  fi
  if [[ -f "$OUT/node.env" ]]; then
    local t=$SECONDS
    bash "$HERE/node.sh" stop > "$OUT/teardown.out" 2> "$OUT/teardown.log"
    cat "$OUT/teardown.out"
    count "$OUT/teardown.out"
    echo "TIME node stop $((SECONDS - t))"
  fi
}
finish() {
  local rc=$?
  trap - EXIT INT TERM
  stop_node
  echo "TIME test:cluster total $((SECONDS - T0))"
  if ((passed + failed == 0)); then failed=1; echo "FAIL test:cluster ran no check (exit $rc)"; fi
  rm -rf "$OUT"
  echo "$passed passed, $failed failed"
  ((failed == 0 && rc == 0)) && exit 0
  exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

[[ "$(id -u)" == 0 ]] || { echo "FAIL test:cluster needs root (network namespaces, mounts, cgroups)"; exit 1; }
[[ -d dist/dev ]] || { echo "FAIL dist/dev is missing: run npm run synth"; exit 1; }
SCENARIOS=("$@")
((${#SCENARIOS[@]})) || SCENARIOS=(build/cluster/scenario.js)
for scenario in "${SCENARIOS[@]}"; do
  [[ -f "$scenario" ]] || { echo "FAIL $scenario is missing: run npm run build"; exit 1; }
done

# --- 1. build, 2. node -------------------------------------------------------------------------------
build_and_start_node() {
  t=$SECONDS
  if ! bash "$HERE/build.sh" > "$OUT/build.env" 2> "$OUT/build.log"; then
    tail -n 40 "$OUT/build.log" | sed 's/^/    /'
    echo "FAIL build (Debian packages, Go binaries, images)"
    exit 1
  fi
  build_seconds=$((SECONDS - t))
  # shellcheck disable=SC1090
  source <(sed -n 's/^\(K8S_BIN\|CLUSTER_BIN\|IMAGES\|BUILT\)=/export \1=/p' "$OUT/build.env")
  grep -E '^(TIME|BUILD_)' "$OUT/build.env" | sed 's/^BUILD_\(.*\)_SECONDS=/TIME build \1 /' | tr 'A-Z' 'a-z' | sed 's/^time/TIME/'
  echo "TIME build total ($([[ -n "${BUILT:-}" ]] && echo "cold: built ${BUILT}" || echo warm)) $build_seconds"
  grep -h 'job image:' "$OUT/build.log" | sed 's/^\[cluster\/images\] /INFO /' || true

  # node
  t=$SECONDS
  if ! bash "$HERE/node.sh" start > "$OUT/node.env" 2> "$OUT/node.log"; then
    tail -n 40 "$OUT/node.log" | sed 's/^/    /'
    echo "FAIL node start"
    exit 1
  fi
  echo "PASS node start: containerd, kubelet, kube-proxy, control plane, CoreDNS, kube-network-policies"
  passed=$((passed + 1))
  # shellcheck disable=SC1091
  source "$OUT/node.env"
  echo "TIME node start $((SECONDS - t))"
  echo "TIME node image import $(cat "$CLUSTER_DIR/images-import-seconds" 2>/dev/null || echo '?')"
}

if [[ "${CLUSTER_REUSE_NODE:-0}" == 1 ]] && bash "$HERE/node.sh" env > "$OUT/node.env" 2>/dev/null; then
  # shellcheck disable=SC1091
  source "$OUT/node.env"
  echo "PASS node reused (started by an earlier suite; $CLUSTER_DIR)"
  passed=$((passed + 1))
else
  rm -f "$OUT/node.env"
  build_and_start_node
fi

if [[ "${CLUSTER_START_ONLY:-0}" == 1 ]]; then
  CLUSTER_KEEP_NODE=1
  echo "# node started and left running (CLUSTER_START_ONLY=1): run the scenarios with CLUSTER_REUSE_NODE=1"
  exit 0
fi

# --- 3. scenarios ------------------------------------------------------------------------------------
for scenario in "${SCENARIOS[@]}"; do
  t=$SECONDS
  node "$scenario" 2>&1 | tee "$OUT/scenario.out" | grep --line-buffered -v -E '^[0-9]+ passed, [0-9]+ failed$'
  scenario_rc=${PIPESTATUS[0]}
  count "$OUT/scenario.out"
  # A scenario that crashed or was killed part-way has only PASS lines so far: that is a failure.
  if ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$OUT/scenario.out" || { ((scenario_rc != 0)) && ! grep -q '^FAIL ' "$OUT/scenario.out"; }; then
    echo "FAIL $scenario did not finish (exit $scenario_rc, no final count line)"
    failed=$((failed + 1))
  fi
  echo "TIME scenario $scenario $((SECONDS - t))"
done
if ((failed > 0)) && [[ "${CLUSTER_KEEP:-0}" != 1 ]]; then
  # the logs of what failed, before the node and its logs go away
  echo "# kubectl get pods -A (at failure):"
  kubectl get pods -A -o wide 2>&1 | sed 's/^/#   /'
fi
