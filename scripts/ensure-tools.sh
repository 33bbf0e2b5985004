#!/usr/bin/env bash
# Installs the test tools from nothing into a cached virtualenv and prints its bin/ directory.
# The cache key is the hash of requirements/tools.txt, so a changed pin builds a fresh venv
# and an unchanged one costs nothing. Fails loudly: a validator that cannot be installed
# fails the test run, it is never skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$root/requirements/tools.txt"
cache="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
key="$(sha256sum "$req" | cut -c1-12)"
venv="$cache/tools-$key"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
  "$venv/bin/pip" check >&2
  "$venv/bin/kubernetes-validate" --version >&2
  touch "$venv/.complete"
fi
echo "$venv/bin"
