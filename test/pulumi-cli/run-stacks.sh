#!/usr/bin/env bash
# Runs `pulumi preview` and `pulumi up` for each stack with the binaries build.sh made, a local
# file backend and the Kubernetes provider's renderYamlToDirectory (no cluster), then compares the
# rendered objects with dist/<env> (`npm run synth`). Nothing in the work tree is changed: the
# project is staged in a temporary directory, and state, secrets and output stay under the cache.
#   usage: test/pulumi-cli/run-stacks.sh [dev staging prod]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${HOME}/.cache/spark-airflow-k8s/pulumi"
export PATH="$CACHE/bin:$PATH" PULUMI_HOME="$CACHE/home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="test-only-not-a-secret" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
for bin in pulumi pulumi-language-nodejs pulumi-resource-kubernetes; do
  command -v "$bin" >/dev/null || { echo "missing $bin: run test/pulumi-cli/build.sh first" >&2; exit 1; }
done
(cd "$ROOT" && npm run build --silent && npm run synth --silent >/dev/null)
STATE="$CACHE/state"; OUT="$CACHE/rendered"; WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$STATE" "$OUT"
cp "$ROOT/Pulumi.yaml" "$WORK/"
for f in package.json build node_modules; do ln -s "$ROOT/$f" "$WORK/$f"; done
cd "$WORK"
pulumi login --non-interactive "file://$STATE" >/dev/null
fernet="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url")+"=")')"
for stack in "${@:-dev staging prod}"; do
  for s in $stack; do
    echo "== stack $s"
    # A fresh stack each run: the provider renders only what it creates or changes.
    pulumi stack rm --non-interactive --yes --force "$s" >/dev/null 2>&1 || true
    pulumi stack init --non-interactive "$s" --secrets-provider passphrase
    rm -rf "$OUT/$s"
    pulumi config set -s "$s" kubernetes:renderYamlToDirectory "$OUT/$s"
    pulumi config set -s "$s" --secret spark-airflow:airflowFernetKey "$fernet"
    for key in airflowApiSecretKey airflowJwtSecret sparkAuthSecret; do
      pulumi config set -s "$s" --secret "spark-airflow:$key" "test-$key-$RANDOM"
    done
    if [ "$s" = dev ]; then
      pulumi config set -s "$s" --secret spark-airflow:airflowPostgresPassword "test-pw-$RANDOM"
    else
      pulumi config set -s "$s" --secret spark-airflow:airflowDatabaseUrl "postgresql+psycopg2://airflow:test@db.invalid:5432/airflow"
    fi
    pulumi preview -s "$s" --non-interactive --diff > "$OUT/$s.preview.txt" 2>&1 || { tail -40 "$OUT/$s.preview.txt"; exit 1; }
    pulumi up -s "$s" --non-interactive --yes --skip-preview > "$OUT/$s.up.txt" 2>&1 || { tail -40 "$OUT/$s.up.txt"; exit 1; }
    node "$ROOT/test/pulumi-cli/compare.js" "$OUT/$s" "$ROOT/dist/$s/spark-airflow.k8s.yaml"
  done
done
