#!/usr/bin/env bash
# npm run test:runtime -- runs the Spark and Airflow containers of dist/<env> (default dev) as host
# processes and checks them (issue #11). See test/runtime/README.md.
#
#   test/runtime/run.sh [--env dev] [--only spark|airflow|all] [--keep] [--no-synth]
#
# Installs what it needs (pyspark via job/scripts/ensure-tools.sh, the Airflow venv via
# scripts/ensure-airflow-venv.sh, psycopg2-binary and asyncpg next to it, PostgreSQL via apt when
# missing), runs `npm run synth` (dist/ and job/dist from the current sources; --no-synth skips
# it), then runs test/runtime/harness.py inside a private network
# namespace (`unshare -n`: every server is on loopback and unreachable from outside; no port clash
# with anything else on the machine). Teardown kills every process group it started, by pid, and
# removes its temp dir, also on failure or Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
env_name=dev
pass=()
keep=0
synth=1
while [ $# -gt 0 ]; do
  case "$1" in
    --env) env_name="$2"; shift 2 ;;
    --only) pass+=(--only "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    --no-synth) synth=0; shift ;;
    *) echo "usage: run.sh [--env dev] [--only spark|airflow|all] [--keep] [--no-synth]" >&2; exit 2 ;;
  esac
done

cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
start=$SECONDS

echo "== installing" >&2
command -v java >/dev/null || { echo "FAIL prerequisites -- java (17) is not on PATH" >&2; exit 1; }
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else
    echo "FAIL prerequisites -- PostgreSQL 15 is missing: sudo apt-get install -y postgresql" >&2; exit 1
  fi
fi
spark_home="$(bash "$root/job/scripts/ensure-tools.sh" pyspark)"
pyspark_venv="$(cd "$spark_home/../../../.." && pwd)"
airflow_venv="$(bash "$root/scripts/ensure-airflow-venv.sh")"
# The lock (requirements/airflow-lock.txt) has the postgres provider, so psycopg2 and asyncpg,
# like the apache/airflow image: Airflow 3 opens an async engine for a postgresql URL.
# Run what we deploy: synthesize (and bundle the job CLI) from the current lib/, stacks/ and job/.
if [ "$synth" = 1 ]; then (cd "$root" && npm run synth >&2); fi
echo "== installed in $((SECONDS - start))s" >&2

tmp="$(mktemp -d /tmp/sak-runtime.XXXXXX)"
chmod 755 "$tmp"
harness_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$harness_pid" ] && kill -TERM "$harness_pid" 2>/dev/null && wait "$harness_pid" 2>/dev/null || true
  if [ -f "$tmp/pids" ]; then
    while read -r pid; do
      # each container was started as its own process group (pgid = pid)
      kill -KILL -- "-$pid" 2>/dev/null || true
    done < "$tmp/pids"
  fi
  if [ "$keep" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A private network namespace: the Airflow log servers bind every address and cannot be told
# otherwise, so without one they would listen on the machine's interfaces. No namespace, no run.
if ! unshare --net -- true 2>/dev/null; then
  echo "FAIL prerequisites -- \`unshare --net\` is not permitted (run as root); the harness never binds outside loopback" >&2
  exit 1
fi
netns=(unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh)
set +e
"${netns[@]}" "$airflow_venv/bin/python" -B "$here/harness.py" --env "$env_name" --tmp "$tmp" \
  --spark-home "$spark_home" --pyspark-venv "$pyspark_venv" --airflow-venv "$airflow_venv" "${pass[@]}" &
harness_pid=$!
wait "$harness_pid"
rc=$?
harness_pid=""
set -e
echo "== test:runtime finished in $((SECONDS - start))s (exit $rc)" >&2
exit "$rc"
