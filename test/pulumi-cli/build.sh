#!/usr/bin/env bash
# Builds the Pulumi CLI and the Kubernetes provider from the Go module proxy, cached under
# ~/.cache/spark-airflow-k8s/pulumi/bin/<versions and recipe hash>/ (SPARK_AIRFLOW_CACHE moves it):
#
#   pulumi                      github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION (the wrapper module cli/:
#                               pkg/v3 replaces sdk/v3 with ../sdk, which does not apply outside its repo)
#   pulumi-resource-kubernetes  github.com/pulumi/pulumi-kubernetes/provider/v4 at PROVIDER_MODULE_VERSION
#                               (the proxy serves no provider/v4.x tag), labelled v$PROVIDER_VERSION:
#                               built from a writable copy of the module with the generate step of
#                               its cmd (schema and terraform mapping embedded) done here
#
# The nodejs language host is not needed: `npm run deploy` and `npm run test:pulumi` run the
# program inline through the Automation API, which serves the language runtime itself.
#
#   test/pulumi-cli/build.sh        prints the bin directory (both binaries) as the last line
# Progress on stderr. A complete directory is reused as is. GOSUMDB=off: the checksum database
# is not reachable from here (the module proxy is).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}/pulumi"
PULUMI_VERSION="$(node -p "require('$ROOT/package.json').devDependencies['@pulumi/pulumi']")"
PROVIDER_VERSION="$(node -p "require('$ROOT/package.json').devDependencies['@pulumi/kubernetes']")"
PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
RECIPE=v1 # bump when the build steps below change

log() { echo "[pulumi-cli/build] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"; else GO=/usr/local/go/bin/go; fi
fi

KEY="$(cat "$HERE/cli/go.mod" "$HERE/cli/go.sum" <(echo "pulumi=$PULUMI_VERSION provider=$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION as $PROVIDER_VERSION recipe=$RECIPE") | sha256sum | cut -c1-12)"
BIN="$CACHE/bin/$KEY"
if [[ -f "$BIN/.complete" ]]; then log "cached: $BIN"; echo "$BIN"; exit 0; fi

mkdir -p "$BIN" "$CACHE"
exec 9> "$CACHE/build.lock"
flock 9
if [[ -f "$BIN/.complete" ]]; then log "cached: $BIN"; echo "$BIN"; exit 0; fi

export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOFLAGS="-mod=mod -buildvcs=false -p=${GO_P:-2}"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOSUMDB="${GOSUMDB:-off}"
start=$SECONDS

# --- the CLI -------------------------------------------------------------------------------------
if [[ ! -x "$BIN/pulumi" ]]; then
  log "building pulumi v$PULUMI_VERSION"
  t=$SECONDS
  (cd "$HERE/cli" && nice -n 15 "$GO" build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  log "pulumi built in $((SECONDS - t))s"
fi
"$BIN/pulumi" version | grep -qx "v$PULUMI_VERSION" || die "pulumi version is not v$PULUMI_VERSION: $("$BIN/pulumi" version)"

# --- the Kubernetes provider ------------------------------------------------------------------------
if [[ ! -x "$BIN/pulumi-resource-kubernetes" ]]; then
  log "building pulumi-resource-kubernetes ($PROVIDER_MODULE@$PROVIDER_MODULE_VERSION, labelled v$PROVIDER_VERSION)"
  t=$SECONDS
  dir="$(cd "$HERE/cli" && "$GO" mod download -json "$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  [[ -d "$dir" ]] || die "go mod download of $PROVIDER_MODULE@$PROVIDER_MODULE_VERSION gave no directory"
  src="$CACHE/src/provider-$PROVIDER_MODULE_VERSION"
  rm -rf "$src"; mkdir -p "$(dirname "$src")"
  cp -r "$dir" "$src"; chmod -R u+w "$src"
  (
    cd "$src"
    # its go.mod points sdk/v4 at ../sdk (its repository); the released sdk/v4 comes from the proxy
    "$GO" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4
    # what cmd/pulumi-resource-kubernetes/generate.go does: the schema with its version, and the
    # terraform mapping, minified, as the files main.go embeds
    python3 - "$PROVIDER_VERSION" <<'PY'
import json, sys
d = "cmd/pulumi-resource-kubernetes"
schema = json.load(open(f"{d}/schema.json"))
schema["version"] = sys.argv[1]
json.dump(schema, open(f"{d}/schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(f"{d}/terraform-mapping.json")), open(f"{d}/terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
    nice -n 15 "$GO" build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_VERSION" \
      -o "$BIN/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
  )
  rm -rf "$src"
  log "pulumi-resource-kubernetes built in $((SECONDS - t))s"
fi

touch "$BIN/.complete"
log "done in $((SECONDS - start))s: $BIN"
echo "$BIN"
