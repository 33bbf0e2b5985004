#!/usr/bin/env bash
# Builds everything the real node of test/cluster needs, from the registries only, cached under
# ~/.cache/spark-airflow-k8s (SPARK_AIRFLOW_CACHE moves it):
#
#   Debian packages  containerd, runc, CNI plugins, iptables, nftables, conntrack, buildah,
#                    mmdebstrap, etcd-server (apt, when missing; needs root)
#   Kubernetes       kube-apiserver, -controller-manager, -scheduler, kubectl, kubelet, kube-proxy
#                    v1.28.15 and etcd: test/e2e/build.sh (the k8s-wrapper module)
#   coredns          test/cluster/coredns (github.com/coredns/coredns v1.11.4, the plugins we use)
#   netpol           test/cluster/netpol (sigs.k8s.io/kube-network-policies v0.8.0)
#   statsd_exporter  test/cluster/statsd (github.com/prometheus/statsd_exporter v0.28.0), own cache dir
#   traefik          test/cluster/traefik (github.com/traefik/traefik/v3 v3.6.12): the ingress controller
#   versitygw        test/cluster/versitygw (github.com/versity/versitygw v1.8.0): the S3 server of the
#                    object-store check
#   images           test/cluster/images/build.sh (stand-ins, the job image from job/Dockerfile)
#
# Go binaries go to $CLUSTER_CACHE/bin/<hash of the modules and this recipe>/; a complete dir is
# reused as is. Prints `KEY=value` lines on stdout for run.sh: K8S_BIN, CLUSTER_BIN, IMAGES (a file
# listing "<docker-archive> <image name>") and the build timings.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
export CLUSTER_CACHE="${CLUSTER_CACHE:-$CACHE/cluster}"
export E2E_CACHE="${E2E_CACHE:-$CACHE/e2e}"
RECIPE=v1 # bump when the build flags below change
COREDNS_VERSION=v1.11.4

log() { echo "[cluster/build] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ -z "${GO:-}" ]]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"; else GO=/usr/local/go/bin/go; fi
fi

# --- Debian packages ------------------------------------------------------------------------------
PACKAGES=(containerd runc containernetworking-plugins iptables nftables conntrack buildah mmdebstrap etcd-server iproute2 util-linux maven)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ "$(id -u)" == 0 ]] || die "Debian packages missing (${missing[*]}) and not root: install them first"
  log "apt-get install ${missing[*]}"
  t=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; } \
    || die "apt-get install ${missing[*]} failed"
  log "packages installed in $((SECONDS - t))s"
fi

# --- Kubernetes (control plane, kubelet, kube-proxy, etcd) ------------------------------------------
((${#missing[@]})) && BUILT=(debian-packages) || BUILT=()
STEPLOG="$(mktemp)"
trap 'rm -f "$STEPLOG"' EXIT
t=$SECONDS
K8S_BIN="$(bash "$ROOT/test/e2e/build.sh" 2> "$STEPLOG" | tail -n 1)" || { cat "$STEPLOG" >&2; die "test/e2e/build.sh failed"; }
cat "$STEPLOG" >&2
grep -q 'building kube' "$STEPLOG" && BUILT+=(kubernetes)
[[ -x "$K8S_BIN/kubelet" && -x "$K8S_BIN/kube-proxy" ]] || die "test/e2e/build.sh gave no kubelet/kube-proxy in $K8S_BIN"
echo "BUILD_K8S_SECONDS=$((SECONDS - t))"

# --- coredns and kube-network-policies ------------------------------------------------------------------
HASH="$(cat "$HERE/coredns/go.mod" "$HERE/coredns/go.sum" "$HERE/coredns/main.go" "$HERE/netpol/go.mod" "$HERE/netpol/go.sum" \
  <(echo "recipe=$RECIPE coredns=$COREDNS_VERSION") | sha256sum | cut -c1-12)"
CLUSTER_BIN="$CLUSTER_CACHE/bin/$HASH"
t=$SECONDS
if [[ ! -f "$CLUSTER_BIN/.complete" ]]; then
  mkdir -p "$CLUSTER_BIN"
  exec 9> "$CLUSTER_CACHE/bin/.lock"
  flock 9
  if [[ ! -f "$CLUSTER_BIN/.complete" ]]; then
    export GOMODCACHE="${E2E_GOMODCACHE:-$E2E_CACHE/gomod}" GOCACHE="${E2E_GOCACHE:-$E2E_CACHE/gocache}"
    export GOFLAGS="-buildvcs=false -p=${E2E_GO_P:-2}" CGO_ENABLED=0 GOTOOLCHAIN=local
    log "building coredns $COREDNS_VERSION"
    (cd "$HERE/coredns" && nice -n 15 "$GO" build -trimpath \
      -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$CLUSTER_BIN/coredns" .)
    echo "$COREDNS_VERSION" > "$CLUSTER_BIN/coredns.version"
    log "building kube-network-policies"
    (cd "$HERE/netpol" && nice -n 15 "$GO" build -trimpath -ldflags "-s -w" -o "$CLUSTER_BIN/kube-network-policies" sigs.k8s.io/kube-network-policies/cmd)
    touch "$CLUSTER_BIN/.complete"
    BUILT+=(coredns kube-network-policies)
    log "coredns and kube-network-policies built in $((SECONDS - t))s"
  fi
  exec 9>&-
fi
echo "BUILD_GO_SECONDS=$((SECONDS - t))"

# go_tool <name> <module dir> <ldflags> <package> <binary>: builds <package> of the module in
# test/cluster/<module dir> into $CLUSTER_CACHE/bin/<name>-<hash of go.mod, go.sum, ldflags, Go>/
# (TOOL_DIR), unless that dir is complete. A tool of its own cache dir, so that adding one leaves the
# coredns/netpol key above as it was.
go_tool() {
  local name="$1" dir="$HERE/$2" ldflags="$3" package="$4" binary="$5" t=$SECONDS
  TOOL_DIR="$CLUSTER_CACHE/bin/$name-$(cat "$dir/go.mod" "$dir/go.sum" <(echo "ldflags=$ldflags go=$("$GO" env GOVERSION)") | sha256sum | cut -c1-12)"
  [[ -f "$TOOL_DIR/.complete" ]] && return 0
  mkdir -p "$TOOL_DIR"
  exec 9> "$CLUSTER_CACHE/bin/.lock"
  flock 9
  if [[ ! -f "$TOOL_DIR/.complete" ]]; then
    log "building $package"
    (cd "$dir" && export GOMODCACHE="${E2E_GOMODCACHE:-$E2E_CACHE/gomod}" GOCACHE="${E2E_GOCACHE:-$E2E_CACHE/gocache}" \
      GOFLAGS="-buildvcs=false -p=${E2E_GO_P:-2}" CGO_ENABLED=0 GOTOOLCHAIN=local \
      && nice -n 15 "$GO" build -trimpath -ldflags "$ldflags" -o "$TOOL_DIR/$binary" "$package")
    touch "$TOOL_DIR/.complete"
    BUILT+=("$name")
    log "$name built in $((SECONDS - t))s"
  fi
  exec 9>&-
}

# --- statsd_exporter ------------------------------------------------------------------------------------
# The version info upstream's promu sets (.promu.yml), so `--version` and statsd_exporter_build_info
# read as upstream's image does: the tag's commit, branch HEAD; the source date as build date (the
# binary, and so the image's key, stays reproducible).
STATSD_VERSION=0.28.0
STATSD_REVISION=c0a390a2c43f77863278615b47d46e886bdca726 # git rev-parse v0.28.0^{commit}
STATSD_DATE=20241025-13:47:38                             # that commit's date, promu's format
[[ "$(sed -n 's/^require github.com\/prometheus\/statsd_exporter v//p' "$HERE/statsd/go.mod")" == "$STATSD_VERSION" ]] \
  || die "statsd/go.mod requires another statsd_exporter than v$STATSD_VERSION: update STATSD_VERSION, STATSD_REVISION, STATSD_DATE"
STATSD_LDFLAGS="-s -w -X github.com/prometheus/common/version.Version=$STATSD_VERSION"
STATSD_LDFLAGS+=" -X github.com/prometheus/common/version.Revision=$STATSD_REVISION -X github.com/prometheus/common/version.Branch=HEAD"
STATSD_LDFLAGS+=" -X github.com/prometheus/common/version.BuildUser=spark-airflow-k8s -X github.com/prometheus/common/version.BuildDate=$STATSD_DATE"
t=$SECONDS
go_tool statsd statsd "$STATSD_LDFLAGS" github.com/prometheus/statsd_exporter statsd_exporter
STATSD_BIN="$TOOL_DIR"
echo "BUILD_STATSD_SECONDS=$((SECONDS - t))"

# --- Traefik: the node's ingress controller (a test tool) --------------------------------------------------
# cmd/traefik of the tagged module, with the replace lines of Traefik's own go.mod (traefik/go.mod).
# Cold: about 8 min, most of it downloading 3 GB of modules (the DNS providers of its ACME client).
TRAEFIK_VERSION=v3.6.12
[[ "$(sed -n 's/^require github.com\/traefik\/traefik\/v3 //p' "$HERE/traefik/go.mod")" == "$TRAEFIK_VERSION" ]] \
  || die "traefik/go.mod requires another Traefik than $TRAEFIK_VERSION: update TRAEFIK_VERSION"
TRAEFIK_LDFLAGS="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION -X github.com/traefik/traefik/v3/pkg/version.Codename=spark-airflow-k8s"
t=$SECONDS
go_tool traefik traefik "$TRAEFIK_LDFLAGS" github.com/traefik/traefik/v3/cmd/traefik traefik
TRAEFIK_BIN="$TOOL_DIR"
echo "BUILD_TRAEFIK_SECONDS=$((SECONDS - t))"

# --- versitygw: an S3 server for the event logs in an object store (a test tool) ------------------------
VERSITYGW_VERSION=v1.8.0
[[ "$(sed -n 's/^require github.com\/versity\/versitygw //p' "$HERE/versitygw/go.mod")" == "$VERSITYGW_VERSION" ]] \
  || die "versitygw/go.mod requires another versitygw than $VERSITYGW_VERSION: update VERSITYGW_VERSION"
t=$SECONDS
go_tool versitygw versitygw "-s -w -X main.Version=$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw versitygw
VERSITYGW_BIN="$TOOL_DIR"
echo "BUILD_VERSITYGW_SECONDS=$((SECONDS - t))"

# --- images ---------------------------------------------------------------------------------------------
t=$SECONDS
PAUSE_C="$(cd "$ROOT/test/e2e/k8s-wrapper" && GOMODCACHE="${E2E_GOMODCACHE:-$E2E_CACHE/gomod}" GOFLAGS=-mod=mod "$GO" list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
[[ -f "$PAUSE_C" ]] || die "no $PAUSE_C in the module cache"
IMAGES="$CLUSTER_CACHE/images.list"
bash "$HERE/images/build.sh" "$IMAGES" "$CLUSTER_BIN/coredns" "$CLUSTER_BIN/kube-network-policies" "$PAUSE_C" "$STATSD_BIN/statsd_exporter" "$TRAEFIK_BIN/traefik" "$VERSITYGW_BIN/versitygw" 2> "$STEPLOG" \
  || { cat "$STEPLOG" >&2; die "images/build.sh failed"; }
cat "$STEPLOG" >&2
while read -r image; do BUILT+=("image:$image"); done < <(sed -n 's/^\[cluster\/images\] building \(.*\)$/\1/p' "$STEPLOG")
echo "BUILD_IMAGES_SECONDS=$((SECONDS - t))"

printf "BUILT=%q\n" "${BUILT[*]}"
echo "K8S_BIN=$K8S_BIN"
echo "CLUSTER_BIN=$CLUSTER_BIN"
echo "IMAGES=$IMAGES"
