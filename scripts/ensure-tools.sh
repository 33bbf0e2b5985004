#!/usr/bin/env bash
# Installs a pinned Python tool set from nothing into a cached virtualenv and prints its bin/
# directory: `ensure-tools.sh [tools|checkov]` reads requirements/<name>.txt (exact pins, full
# dependency closure, installed with --no-deps). The cache key is the hash of that file, so a
# changed pin builds a fresh venv and an unchanged one costs nothing. Fails loudly: a validator
# or scanner that cannot be installed fails the test run, it is never skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:-tools}"
req="$root/requirements/$name.txt"
[ -f "$req" ] || { echo "ensure-tools.sh: no requirements/$name.txt" >&2; exit 2; }
cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
key="$(sha256sum "$req" | cut -c1-12)"
venv="$cache/$name-$key"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
  "$venv/bin/pip" check >&2
  touch "$venv/.complete"
fi
echo "$venv/bin"
