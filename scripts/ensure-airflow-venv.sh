#!/usr/bin/env bash
# Creates, from nothing, the Python environment the DAG tests (test/dags) run in, and prints its path.
#
#   venv="$(scripts/ensure-airflow-venv.sh)" && "$venv/bin/pytest" test/dags -q
#
# The venv lives in ~/.cache/spark-airflow-k8s/airflow-<hash of requirements/airflow-lock.txt>
# (SPARK_AIRFLOW_CACHE moves the cache), so a changed lock builds a fresh venv and an unchanged one
# costs nothing (idempotent: a finished venv is marked by .complete and reused as is).
# Installs exactly the pinned lock with --no-deps (the lock is complete: `pip check` proves it),
# never resolving anything at install time. Progress goes to stderr; stdout is the venv path only.
# Fails loudly: a venv that cannot be built fails the test run, it is never skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lock="$root/requirements/airflow-lock.txt"
want_python="3.11"   # the lock is resolved for this Python (see its header)

python="${SPARK_AIRFLOW_PYTHON:-}"
if [ -z "$python" ]; then
  if command -v "python$want_python" >/dev/null 2>&1; then python="python$want_python"; else python="python3"; fi
fi
have="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$have" != "$want_python" ]; then
  echo "ensure-airflow-venv: $python is Python $have, but $lock is resolved for Python $want_python" >&2
  echo "  (set SPARK_AIRFLOW_PYTHON to a Python $want_python interpreter, or re-resolve the lock)" >&2
  exit 1
fi

cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
key="$(sha256sum "$lock" | cut -c1-12)"
venv="$cache/airflow-$key"
if [ ! -f "$venv/.complete" ]; then
  start=$SECONDS
  echo "ensure-airflow-venv: building $venv from $lock" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --no-deps --only-binary=:all: -r "$lock" >&2
  "$venv/bin/python" -m pip check >&2
  "$venv/bin/python" -c 'import airflow, airflow.providers.cncf.kubernetes, pytest' >&2
  touch "$venv/.complete"
  echo "ensure-airflow-venv: ready in $((SECONDS - start))s" >&2
fi
echo "$venv"
