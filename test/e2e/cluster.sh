#!/usr/bin/env bash
# A real Kubernetes control plane as plain processes on 127.0.0.1:
# etcd, kube-apiserver (Node,RBAC; PodSecurity; service-account tokens),
# kube-controller-manager, kube-scheduler and kwok (fake kubelets for 2 Nodes).
#
#   cluster.sh start   build (cached) + start; prints `export ...` lines for env
#   cluster.sh env     prints `export KUBECONFIG=... PATH=... E2E_DIR=...`
#   cluster.sh status  shows the processes and `kubectl get nodes`
#   cluster.sh stop    kills every process by its pid file, removes the state dir
#
# The state dir (certs, kubeconfigs, pid files, logs, etcd data) is a mktemp dir;
# its path is kept in $E2E_CACHE/run/current unless E2E_DIR is set by the caller,
# so `stop` and `env` find it. Set E2E_KEEP=1 to keep the dir (logs) on stop.
# E2E_APISERVER_ARGS adds (word-split) flags to kube-apiserver, e.g. feature gates.
#
# For a real node (test/cluster/node.sh) instead of kwok:
#   E2E_NODES=none        no kwok and no fake Nodes; the kubelet registers its own Node
#   E2E_NETNS=<name>      etcd and the control plane run inside this network namespace (a host of
#                         their own on the node's bridge, so pod traffic to the API server is
#                         forwarded and NetworkPolicies apply to it)
#   E2E_API_ADDRESS=<ip>  kube-apiserver binds and advertises this address (default 127.0.0.1); with
#                         E2E_NODES=none the `kubernetes` Service endpoint is reconciled (lease)
#   E2E_API_PORT=<port>   fixed secure port (default: a free one)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_CACHE="${E2E_CACHE:-$HOME/.cache/spark-airflow-k8s/e2e}"
POINTER="$E2E_CACHE/run/current"
E2E_NODES="${E2E_NODES:-kwok}"
case "$E2E_NODES" in
  kwok) NODES=(kwok-node-0 kwok-node-1); COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok) ;;
  none) NODES=(); COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler) ;;
  *) echo "E2E_NODES must be kwok or none, not $E2E_NODES" >&2; exit 2 ;;
esac
API_ADDRESS="${E2E_API_ADDRESS:-127.0.0.1}"

log() { echo "[e2e/cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

state_dir() {
  if [[ -n "${E2E_DIR:-}" ]]; then echo "$E2E_DIR"; return; fi
  [[ -f "$POINTER" ]] && cat "$POINTER"
}

# A free TCP port on 127.0.0.1 (asks the kernel via an ephemeral bind).
free_port() {
  local p
  if command -v python3 >/dev/null 2>&1; then
    p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null)" && { echo "$p"; return; }
  fi
  if command -v node >/dev/null 2>&1; then
    p="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null)" && { echo "$p"; return; }
  fi
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port found"
}

# --- certificates --------------------------------------------------------------
gen_certs() {
  local d="$1/pki"
  mkdir -p "$d"
  (
    cd "$d"
    umask 077
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=e2e-kubernetes-ca" -out ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    # service-account token signing key pair (RSA: RS256 tokens)
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # name  subject  extendedKeyUsage  [subjectAltName]
    sign() {
      local name="$1" subj="$2" eku="$3" san="${4:-}"
      openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
      openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
      {
        echo "basicConstraints=critical,CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=$eku"
        [[ -n "$san" ]] && echo "subjectAltName=$san"
      } > "$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 2 \
        -extfile "$name.ext" -out "$name.crt" 2>/dev/null
      rm -f "$name.csr" "$name.ext"
    }
    sign apiserver "/CN=kube-apiserver" serverAuth \
      "IP:127.0.0.1,IP:$API_ADDRESS,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign admin "/O=system:masters/CN=e2e-admin" clientAuth
    # kube-apiserver -> kubelet (logs, exec, port-forward), as kubeadm's apiserver-kubelet-client
    sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
    sign controller-manager "/CN=system:kube-controller-manager" clientAuth
    sign scheduler "/CN=system:kube-scheduler" clientAuth
    sign kwok "/O=system:masters/CN=kwok" clientAuth
    # front-proxy (request-header) CA and the aggregator's client cert, as kubeadm
    # sets up; without it every component logs a missing requestheader CA bundle
    openssl ecparam -name prime256v1 -genkey -noout -out front-proxy-ca.key 2>/dev/null
    openssl req -x509 -new -key front-proxy-ca.key -sha256 -days 2 -subj "/CN=e2e-front-proxy-ca" -out front-proxy-ca.crt \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out front-proxy-client.key 2>/dev/null
    openssl req -new -key front-proxy-client.key -subj "/CN=front-proxy-client" -out front-proxy-client.csr 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > front-proxy-client.ext
    openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial -sha256 -days 2 \
      -extfile front-proxy-client.ext -out front-proxy-client.crt 2>/dev/null
    rm -f front-proxy-client.csr front-proxy-client.ext
    chmod 644 ./*.crt sa.pub
  )
}

# kubeconfig <file> <server> <ca> <client cert> <client key>
kubeconfig() {
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $2
    certificate-authority: $3
users:
- name: user
  user:
    client-certificate: $4
    client-key: $5
contexts:
- name: e2e
  context: {cluster: e2e, user: user, namespace: default}
current-context: e2e
EOF
}

# in_ns <cmd...>: runs the command in E2E_NETNS when set (ip netns exec execs it: same pid)
in_ns() {
  if [[ -n "${E2E_NETNS:-}" ]]; then ip netns exec "$E2E_NETNS" "$@"; else "$@"; fi
}

# launch <name> <binary> args... : background process, pid file, log file
launch() {
  local name="$1" bin="$2"; shift 2
  nohup "${NS_PREFIX[@]}" "$bin" "$@" > "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name.pid"
}

alive() { local f="$DIR/pids/$1.pid"; [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null; }

# wait_for <what> <timeout s> <component whose death aborts> <cmd...>
wait_for() {
  local what="$1" timeout="$2" comp="$3"; shift 3
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$comp" ]] && ! alive "$comp"; then
      log "$comp exited while waiting for $what; last log lines:"; tail -n 30 "$DIR/logs/$comp.log" >&2 || true
      return 1
    fi
    if ((SECONDS - t0 >= timeout)); then
      log "timed out after ${timeout}s waiting for $what"; return 1
    fi
    sleep 0.2
  done
}

print_env() {
  echo "export E2E_DIR='$DIR'"
  echo "export KUBECONFIG='$DIR/admin.kubeconfig'"
  echo "export PATH='$(cat "$DIR/bin.path")':\"\$PATH\""
}

cmd_start() {
  local existing; existing="$(state_dir || true)"
  if [[ -n "$existing" && -d "$existing/pids" ]]; then
    DIR="$existing"
    for c in "${COMPONENTS[@]}"; do alive "$c" && die "a cluster is already running in $DIR (run: $0 stop)"; done
  fi

  local BIN; BIN="$("$HERE/build.sh" | tail -n 1)"
  NS_PREFIX=()
  if [[ -n "${E2E_NETNS:-}" ]]; then NS_PREFIX=(ip netns exec "$E2E_NETNS"); fi
  [[ -x "$BIN/kube-apiserver" ]] || die "build.sh did not give a bin dir"

  local T0; T0="$(now)"
  DIR="${E2E_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sak-e2e.XXXXXX")}"
  mkdir -p "$DIR"/{pids,logs,etcd} "$(dirname "$POINTER")"
  [[ -n "${E2E_DIR:-}" ]] || echo "$DIR" > "$POINTER"
  echo "$BIN" > "$DIR/bin.path"
  # any failure from here on: stop what was started (E2E_KEEP=1 keeps logs)
  # shellcheck disable=SC2154 # rc is assigned inside the trap string
  trap 'rc=$?; if ((rc)); then log "start failed (rc=$rc); logs in $DIR/logs"; E2E_KEEP=1 cmd_stop; fi' EXIT

  gen_certs "$DIR"
  local P="$DIR/pki"
  local ETCD_PORT PEER_PORT API_PORT KCM_PORT SCHED_PORT KWOK_PORT
  ETCD_PORT="$(free_port)"; PEER_PORT="$(free_port)"; API_PORT="${E2E_API_PORT:-$(free_port)}"
  KCM_PORT="$(free_port)"; SCHED_PORT="$(free_port)"; KWOK_PORT="$(free_port)"
  local SERVER="https://$API_ADDRESS:$API_PORT"
  echo "$SERVER" > "$DIR/server"
  kubeconfig "$DIR/admin.kubeconfig" "$SERVER" "$P/ca.crt" "$P/admin.crt" "$P/admin.key"
  kubeconfig "$DIR/controller-manager.kubeconfig" "$SERVER" "$P/ca.crt" "$P/controller-manager.crt" "$P/controller-manager.key"
  kubeconfig "$DIR/scheduler.kubeconfig" "$SERVER" "$P/ca.crt" "$P/scheduler.crt" "$P/scheduler.key"
  kubeconfig "$DIR/kwok.kubeconfig" "$SERVER" "$P/ca.crt" "$P/kwok.crt" "$P/kwok.key"
  local KUBECTL=("$BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig")

  launch etcd "$BIN/etcd" --name e2e --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
    --initial-cluster "e2e=http://127.0.0.1:$PEER_PORT" --initial-cluster-state new \
    --quota-backend-bytes $((2 * 1024 * 1024 * 1024)) --log-level warn --logger zap
  wait_for "etcd /health" 30 etcd in_ns curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  local apiserver_extra=()
  read -r -a apiserver_extra <<< "${E2E_APISERVER_ARGS:-}"
  # A real node's pods reach the API server through the `kubernetes` Service: its endpoint is
  # this server's address, kept by the lease reconciler.
  local reconciler=none
  [[ "$E2E_NODES" == none ]] && reconciler=lease
  launch kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address "$API_ADDRESS" --advertise-address "$API_ADDRESS" --secure-port "$API_PORT" \
    --endpoint-reconciler-type "$reconciler" \
    --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,ExternalIP,Hostname \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
    --client-ca-file "$P/ca.crt" \
    --requestheader-client-ca-file "$P/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$P/front-proxy-client.crt" --proxy-client-key-file "$P/front-proxy-client.key" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction,PodSecurity \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$P/sa.pub" \
    --service-account-signing-key-file "$P/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 \
    --allow-privileged=false --anonymous-auth=false --profiling=false \
    --cert-dir "$DIR/apiserver-certs" --v 1 \
    "${apiserver_extra[@]}"
  wait_for "kube-apiserver /readyz" 120 kube-apiserver "${KUBECTL[@]}" get --raw /readyz
  log "kube-apiserver ready after $(since "$T0")s ($SERVER)"

  launch kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$DIR/kcm-certs" \
    --leader-elect=false \
    --flex-volume-plugin-dir "$DIR/flexvolume" \
    --use-service-account-credentials=true \
    --root-ca-file "$P/ca.crt" \
    --service-account-private-key-file "$P/sa.key" \
    --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
    --service-cluster-ip-range 10.96.0.0/12 \
    --controllers '*,-nodeipam,-cloud-node-lifecycle,-service,-route' \
    --concurrent-deployment-syncs 5 --concurrent-replicaset-syncs 5 \
    --node-monitor-grace-period 120s \
    --profiling=false --v 1

  launch kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --cert-dir "$DIR/scheduler-certs" \
    --leader-elect=false --profiling=false --v 1

  # kwok renews a node Lease every 10 s (a quarter of its 40 s duration): without leases its
  # node-status heartbeat comes every 20-45 s, past the controller-manager's default 40 s grace,
  # and the Nodes flap NotReady (and every pod with them) a minute after start. The grace period
  # is also raised to 120 s (kube-controller-manager above) for loaded machines.
  if [[ "$E2E_NODES" == kwok ]]; then
  launch kwok "$BIN/kwok" \
    --kubeconfig "$DIR/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --cidr 10.244.0.0/16 \
    --node-lease-duration-seconds 40 \
    --server-address "127.0.0.1:$KWOK_PORT" \
    --v INFO

  # Two fake Nodes for kwok. Unlike kwok's sample Node they carry no NoSchedule
  # taint: they are the only nodes, and the manifests under test must schedule
  # as they are, without kwok-specific tolerations.
  local nodes=""
  for n in "${NODES[@]}"; do
    nodes+="---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $n
    type: kwok
status:
  allocatable: {cpu: \"16\", memory: 64Gi, pods: \"110\"}
  capacity: {cpu: \"16\", memory: 64Gi, pods: \"110\"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake, containerRuntimeVersion: fake, kernelVersion: fake, osImage: fake, machineID: \"\", systemUUID: \"\", bootID: \"\"}
"
  done
  echo "$nodes" > "$DIR/nodes.yaml"
  "${KUBECTL[@]}" apply -f "$DIR/nodes.yaml" >/dev/null
  fi

  wait_for "default ServiceAccount in namespace default" 120 kube-controller-manager \
    "${KUBECTL[@]}" -n default get serviceaccount default
  if [[ "$E2E_NODES" == kwok ]]; then
    wait_for "Ready nodes (kwok)" 60 kwok \
      "${KUBECTL[@]}" wait --for=condition=Ready node --all --timeout=1s
  fi
  for c in "${COMPONENTS[@]}"; do alive "$c" || die "$c is not running; see $DIR/logs/$c.log"; done

  trap - EXIT
  local took; took="$(since "$T0")"
  echo "$took" > "$DIR/start-seconds"
  log "control plane ready in ${took}s (readyz ok, default/default ServiceAccount exists, ${#NODES[@]} kwok nodes Ready)"
  log "state: $DIR"
  print_env
}

cmd_env() {
  DIR="$(state_dir || true)"
  [[ -n "$DIR" && -f "$DIR/admin.kubeconfig" ]] || die "no running cluster (run: $0 start)"
  print_env
}

cmd_status() {
  DIR="$(state_dir || true)"
  [[ -n "$DIR" && -d "$DIR/pids" ]] || die "no cluster state found"
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then echo "$c: running (pid $(cat "$DIR/pids/$c.pid"))"; else echo "$c: NOT running"; fi
  done
  "$(cat "$DIR/bin.path")/kubectl" --kubeconfig "$DIR/admin.kubeconfig" get nodes -o wide || true
}

# stop_components <component>...: TERM each (only if its pid's command line still names the
# state dir: pids are reused), wait up to 10 s for all of them, KILL what is left
stop_components() {
  local c f pid pids=() names=()
  for c in "$@"; do
    f="$DIR/pids/$c.pid"
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$c")
    fi
    rm -f "$f"
  done
  local i
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      log "${names[i]} (pid ${pids[i]}) ignored TERM; killing"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
  done
}

cmd_stop() {
  DIR="${DIR:-$(state_dir || true)}"
  if [[ -z "$DIR" || ! -d "$DIR" ]]; then log "no cluster state found; nothing to stop"; return 0; fi
  # TERM everything but etcd at once (each takes 1-3 s to shut down), then etcd last
  stop_components kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_components etcd
  if [[ "${E2E_KEEP:-0}" == 1 ]]; then
    log "stopped; kept $DIR"
  else
    rm -rf "$DIR"
    log "stopped; removed $DIR"
  fi
  if [[ -f "$POINTER" && "$(cat "$POINTER")" == "$DIR" ]]; then rm -f "$POINTER"; fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
