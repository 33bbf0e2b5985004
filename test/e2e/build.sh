#!/usr/bin/env bash
# Builds the local Kubernetes control plane used by test/e2e from Go modules:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s-wrapper/)
#   kubelet, kube-proxy (the real node of test/cluster)               (k8s-wrapper/)
#   kwok                                                             (go install)
#   etcd: Debian's etcd-server if present/installable, else built from k8s-wrapper/
#
# Idempotent: binaries go to $E2E_CACHE/bin/<k8s version>-<hash>/, where the hash
# covers the wrapper's go.mod/go.sum, the kwok version and this script's build
# settings. A complete directory is reused as is (prints its path and exits).
#
# Prints the bin directory as the last line of stdout.
#
# Environment:
#   E2E_CACHE        cache root (default ~/.cache/spark-airflow-k8s/e2e)
#   E2E_GO_P         go build -p (default 2; the machine has 2 shared cores)
#   E2E_ETCD=build   build etcd from go.etcd.io/etcd/server/v3 instead of using apt
#   GO               go binary (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WRAPPER="$HERE/k8s-wrapper"
E2E_CACHE="${E2E_CACHE:-$HOME/.cache/spark-airflow-k8s/e2e}"
KWOK_VERSION="v0.7.0"
BUILD_RECIPE="v2" # bump when the flags below change
K8S_COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy"

if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"; else GO=/usr/local/go/bin/go; fi
fi

log() { echo "[e2e/build] $*" >&2; }

K8S_VERSION="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3} $1=="k8s.io/kubernetes" && $3!="=>" {print $2}' "$WRAPPER/go.mod" | head -1)"
[[ -n "$K8S_VERSION" ]] || { log "cannot read the k8s.io/kubernetes version from $WRAPPER/go.mod"; exit 1; }
MAJOR="${K8S_VERSION#v}"; MAJOR="${MAJOR%%.*}"
MINOR="${K8S_VERSION#v*.}"; MINOR="${MINOR%%.*}"

HASH="$(cat "$WRAPPER/go.mod" "$WRAPPER/go.sum" <(echo "kwok=$KWOK_VERSION recipe=$BUILD_RECIPE etcd=${E2E_ETCD:-auto}") | sha256sum | cut -c1-12)"
BIN="$E2E_CACHE/bin/$K8S_VERSION-$HASH"

if [[ -f "$BIN/.complete" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

# Go caches of our own, so a build does not depend on (or fill) the user's.
export GOMODCACHE="${E2E_GOMODCACHE:-$E2E_CACHE/gomod}"
export GOCACHE="${E2E_GOCACHE:-$E2E_CACHE/gocache}"
export GOFLAGS="-buildvcs=false -p=${E2E_GO_P:-2}"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
mkdir -p "$BIN" "$GOMODCACHE" "$GOCACHE"

# one build at a time per cache (a second caller waits, then finds it complete)
if command -v flock >/dev/null 2>&1; then
  exec 9> "$E2E_CACHE/build.lock"
  flock 9
  if [[ -f "$BIN/.complete" ]]; then log "cached: $BIN"; echo "$BIN"; exit 0; fi
fi

start=$SECONDS
GOBUILD=(nice -n 15 "$GO")

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy ---
want=()
for cmd in $K8S_COMMANDS; do
  [[ -x "$BIN/$cmd" ]] || want+=("k8s.io/kubernetes/cmd/$cmd")
done
if ((${#want[@]})); then
  BUILD_DATE="$(cd "$WRAPPER" && "$GO" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$MAJOR -X $pkg.gitMinor=$MINOR"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${BUILD_DATE:-1970-01-01T00:00:00Z}"
  done
  log "building ${want[*]##*/} ($K8S_VERSION) into $BIN"
  t=$SECONDS
  (cd "$WRAPPER" && "${GOBUILD[@]}" build -trimpath -ldflags "$ldflags" -o "$BIN/" "${want[@]}")
  log "kubernetes commands built in $((SECONDS - t))s"
fi

# --- kwok ---------------------------------------------------------------------
if [[ ! -x "$BIN/kwok" ]]; then
  log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  t=$SECONDS
  GOBIN="$BIN" "${GOBUILD[@]}" install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  log "kwok built in $((SECONDS - t))s"
fi

# --- etcd -----------------------------------------------------------------------
etcd_ok() { "$1" --version 2>/dev/null | grep -Eq 'etcd Version: 3\.(4|5|6)\.'; }
if [[ ! -x "$BIN/etcd" ]]; then
  sys_etcd=""
  if [[ "${E2E_ETCD:-auto}" != build ]]; then
    if ! command -v etcd >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      log "installing Debian's etcd-server"
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2; } \
        || log "apt-get install etcd-server failed; building etcd instead"
    fi
    if command -v etcd >/dev/null 2>&1 && etcd_ok "$(command -v etcd)"; then sys_etcd="$(command -v etcd)"; fi
  fi
  if [[ -n "$sys_etcd" ]]; then
    log "using $sys_etcd ($("$sys_etcd" --version | head -1))"
    ln -sf "$sys_etcd" "$BIN/etcd"
  else
    log "building etcd (go.etcd.io/etcd/server/v3 from the wrapper's go.mod)"
    t=$SECONDS
    (cd "$WRAPPER" && "${GOBUILD[@]}" build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
    log "etcd built in $((SECONDS - t))s"
  fi
fi

for cmd in etcd $K8S_COMMANDS kwok; do
  [[ -x "$BIN/$cmd" ]] || { log "missing $BIN/$cmd"; exit 1; }
done
{ echo "k8s=$K8S_VERSION kwok=$KWOK_VERSION built=$(date -u +%FT%TZ) seconds=$((SECONDS - start))"; } > "$BIN/.complete"
log "done in $((SECONDS - start))s: $BIN"
echo "$BIN"
