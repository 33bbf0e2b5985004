#!/usr/bin/env bash
# npm run test:pulumi: the real Pulumi CLI and Kubernetes provider (built from the Go module
# proxy by build.sh, cached) deploying stacks/pulumi through the Automation API entry point, on
# the real node of test/cluster (started and stopped around it by test/cluster/run.sh).
# Output: PASS/FAIL/TIME lines and `N passed, N failed` last; exit 1 on any failure.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
t=$SECONDS
if ! BIN="$(bash "$HERE/build.sh" 2> >(sed 's/^/# /' >&2) | tail -n 1)" || [[ ! -x "$BIN/pulumi" ]]; then
  echo "FAIL build of the Pulumi CLI and provider (test/pulumi-cli/build.sh)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "TIME build pulumi $((SECONDS - t))"
export PATH="$BIN:$PATH"
exec bash "$ROOT/test/cluster/run.sh" "$ROOT/build/test/pulumi-cli/scenario.js"
