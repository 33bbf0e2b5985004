#!/usr/bin/env bash
# Regenerates lib/imports/monitoring-coreos-com.ts (and copies the CRDs to lib/imports/crds/): typed cdk8s constructs (ServiceMonitor,
# PodMonitor and their props) for the Prometheus operator's CRDs, group monitoring.coreos.com,
# version v1. Run it by hand after changing VERSION below, then commit the result.
#
# Why this way: `cdk8s import <url>` and `cdk8s import github:...` need the internet (GitHub,
# doc.crds.dev), which our machines and CI do not have; `cdk8s import <file.yaml>` does not. The
# Go module proxy serves the operator's module zip, and that zip holds the upstream CRD YAML
# (example/prometheus-operator-crd/), so we fetch the zip at a pinned version, check its sha256,
# and import the two CRDs from local files with the repo's own cdk8s-cli.
#
# The generated code is not edited. The only change is the file name: cdk8s names the file after
# the CRD group (monitoring.coreos.com.ts) and offers no way to drop the dots, while the package
# test (test/package.test.ts) allows only [a-z0-9-] in published file names, so the file is
# renamed to monitoring-coreos-com.ts (it imports only cdk8s and constructs, so nothing else
# refers to the old name). Deterministic: running it twice gives byte-identical output.
# lib/index.ts does not re-export the file, so the API docs do not list it; but cdk8s tags every
# generated type with @schema, which TypeDoc reads as soon as a public lib type refers to one, so
# typedoc.json adds @schema to TypeDoc's default blockTags (treatWarningsAsErrors is on).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

MODULE=github.com/prometheus-operator/prometheus-operator
VERSION=v0.85.0
SHA256=0bdb88ed823d0f2e86cf909638439b6ad1da744a228172c7411d9987527dc5d1
CRD_DIR=example/prometheus-operator-crd
# PodMonitor first, then ServiceMonitor: the order of the classes in the generated file.
CRDS=(monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_servicemonitors.yaml)
OUT="$root/lib/imports/monitoring-coreos-com.ts"
CRD_OUT="$root/lib/imports/crds"

cdk8s="$root/node_modules/.bin/cdk8s"
[ -x "$cdk8s" ] || { echo "import-crds.sh: $cdk8s missing; run npm ci first" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

curl -fsSL --retry 3 -o "$tmp/module.zip" "https://proxy.golang.org/$MODULE/@v/$VERSION.zip"
actual="$(sha256sum "$tmp/module.zip" | cut -d' ' -f1)"
if [ "$actual" != "$SHA256" ]; then
  echo "import-crds.sh: sha256 of $MODULE@$VERSION.zip is $actual, expected $SHA256" >&2
  exit 1
fi

mkdir "$tmp/crds"
unzip -q -j -d "$tmp/crds" "$tmp/module.zip" "${CRDS[@]/#/$MODULE@$VERSION/$CRD_DIR/}"
# `cdk8s import` takes one spec per run and writes one file per CRD group, so a second run would
# overwrite the first: give it both CRDs as one multi-document YAML (each file starts with ---).
for f in "${CRDS[@]}"; do cat "$tmp/crds/$f"; done > "$tmp/monitoring.coreos.com.yaml"

# From the temp dir, so the CLI neither reads nor writes the repo's cdk8s.yaml (--no-save too).
(cd "$tmp" && "$cdk8s" import --no-save --no-check-upgrade --language typescript \
  --output "$tmp/out" "$tmp/monitoring.coreos.com.yaml" >&2)

generated="$tmp/out/monitoring.coreos.com.ts"
[ -f "$generated" ] || { echo "import-crds.sh: cdk8s import wrote no $generated" >&2; ls -R "$tmp/out" >&2; exit 1; }
for kind in ServiceMonitor PodMonitor; do
  grep -q "^export class $kind extends ApiObject" "$generated" \
    || { echo "import-crds.sh: no class $kind in the generated file" >&2; exit 1; }
done

mkdir -p "$(dirname "$OUT")" "$CRD_OUT"
cp "$generated" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
# The CRDs themselves, as the source of record: test/synth.test.ts validates our monitors against
# their schemas, and the real node (test/cluster) installs them before it applies a variant with
# monitors.
for f in "${CRDS[@]}"; do cp "$tmp/crds/$f" "$CRD_OUT/$f.tmp" && mv "$CRD_OUT/$f.tmp" "$CRD_OUT/$f"; done
echo "wrote ${OUT#"$root"/} and ${CRD_OUT#"$root"/}/ from $MODULE@$VERSION" >&2
