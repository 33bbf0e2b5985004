#!/usr/bin/env bash
# A real single-node Kubernetes 1.28 on this machine, every part a process we start and stop:
#
#   bridge sak0 10.88.0.1/16     the pod network (CNI bridge + host-local), node IP 10.88.0.1;
#                                forwarding off the bridge is dropped: pod traffic stays here
#   netns sak-cp, 10.88.0.2      etcd + control plane (test/e2e/cluster.sh, E2E_NODES=none), a host
#                                of its own on the bridge: pod traffic to the API server is
#                                forwarded, so NetworkPolicies apply to it as in a real cluster
#   containerd                   our own config, root, state and socket under the state dir
#   kubelet, kube-proxy          host processes (kube-proxy: iptables mode, NodePorts on 10.88.0.1)
#   CoreDNS, kube-network-policies   pods in kube-system (manifests/system.yaml)
#   provisioner                  hostPath PersistentVolumes for PVCs (build/cluster/provisioner.js)
#
#   node.sh start   needs K8S_BIN, CLUSTER_BIN, IMAGES (test/cluster/build.sh prints them);
#                   prints `export ...` lines (KUBECONFIG, PATH, CLUSTER_DIR, NODE_IP, ...)
#   node.sh stop    stops everything by pid, removes what start added (mounts, links, nftables
#                   tables, cgroups, directories) and restores the sysctls it found; then
#                   prints `PASS|FAIL teardown ...` lines that check the machine is as found
#   node.sh env     prints the `export ...` lines of the running node
#
# State: a mktemp dir (its path in $CLUSTER_CACHE/run/current); CLUSTER_KEEP=1 keeps it (logs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARK_AIRFLOW_CACHE:-$HOME/.cache/spark-airflow-k8s}"
CLUSTER_CACHE="${CLUSTER_CACHE:-$CACHE/cluster}"
POINTER="$CLUSTER_CACHE/run/current"

NODE_NAME=sak-node
BRIDGE=sak0
NODE_IP=10.88.0.1
CP_IP=10.88.0.2
POD_CIDR=10.88.0.0/16
CP_NETNS=sak-cp
CP_VETH=sakcp0
API_PORT=6443
SERVICE_CIDR=10.96.0.0/12
DNS_IP=10.96.0.10
CGROUP_ROOT=sak-node
GUARD_TABLE=sak-node-guard
NFQUEUE=98 # kube-network-policies' queue (manifests/system.yaml)
# sysctls the kubelet, kube-proxy, the bridge and we ourselves change; restored on stop
SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait
  net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding)
# host paths the kubelet or CNI may create; removed on stop when they were not there before
HOST_PATHS=(/var/log/pods /var/log/containers /var/lib/cni /run/netns /etc/cni /opt/cni /var/lib/kubelet)

log() { echo "[cluster/node] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

state_dir() {
  if [[ -n "${CLUSTER_DIR:-}" ]]; then echo "$CLUSTER_DIR"; return; fi
  [[ -f "$POINTER" ]] && cat "$POINTER"
}

launch() { # launch <name> <cmd...>: background process in its own session, pid file, log file
  local name="$1"; shift
  setsid nohup "$@" > "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name.pid"
}
alive() { local f="$DIR/pids/$1.pid"; [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null; }

wait_for() { # wait_for <what> <timeout s> <process whose death aborts, or ""> <cmd...>
  local what="$1" timeout="$2" comp="$3"; shift 3
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$comp" ]] && ! alive "$comp"; then
      log "$comp exited while waiting for $what; last log lines:"; tail -n 30 "$DIR/logs/$comp.log" >&2 || true
      return 1
    fi
    if ((SECONDS - t0 >= timeout)); then log "timed out after ${timeout}s waiting for $what"; return 1; fi
    sleep 0.5
  done
}

sign() { # sign <name> <subject> [subjectAltName]: a client/server cert from the control plane's CA
  local name="$1" subj="$2" san="${3:-}" pki="$DIR/pki" ca="$DIR/cp/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=clientAuth,serverAuth"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } > "$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -sha256 -days 2 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

kubeconfig() { # kubeconfig <file> <cert name>
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: "https://$CP_IP:$API_PORT", certificate-authority: "$DIR/cp/pki/ca.crt"}
users:
- name: user
  user: {client-certificate: "$DIR/pki/$2.crt", client-key: "$DIR/pki/$2.key"}
contexts:
- name: node
  context: {cluster: node, user: user}
current-context: node
EOF
}

print_env() {
  echo "export CLUSTER_DIR='$DIR'"
  echo "export KUBECONFIG='$DIR/cp/admin.kubeconfig'"
  echo "export PATH='$(cat "$DIR/k8s-bin.path")':\"\$PATH\""
  echo "export NODE_IP='$NODE_IP' NODE_NAME='$NODE_NAME'"
}

cmd_start() {
  [[ "$(id -u)" == 0 ]] || die "the real node needs root (network, mounts, cgroups)"
  : "${K8S_BIN:?K8S_BIN is not set: eval the output of test/cluster/build.sh}"
  : "${CLUSTER_BIN:?CLUSTER_BIN is not set}" "${IMAGES:?IMAGES is not set}"
  local existing; existing="$(state_dir || true)"
  if [[ -n "$existing" && -d "$existing/pids" ]]; then
    DIR="$existing"
    for f in "$DIR"/pids/*.pid; do [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && die "a node is already running in $DIR (run: $0 stop)"; done
  fi
  ip link show "$BRIDGE" >/dev/null 2>&1 && die "link $BRIDGE exists: a node runs or a previous one was not stopped ($0 stop)"
  [[ -d /sys/fs/cgroup/memory ]] || die "no cgroup v1 memory controller at /sys/fs/cgroup/memory"

  local T0; T0="$(now)"
  DIR="${CLUSTER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sak-node.XXXXXX")}"
  mkdir -p "$DIR"/{pids,logs,pki,containerd,cni/net.d,cni/ipam,kubelet,kube-proxy,volumes} "$(dirname "$POINTER")"
  chmod 755 "$DIR"
  echo "$DIR" > "$POINTER"
  echo "$K8S_BIN" > "$DIR/k8s-bin.path"
  # any failure from here on: undo what was done (CLUSTER_KEEP=1 keeps the logs)
  # shellcheck disable=SC2154
  trap 'rc=$?; if ((rc)); then log "start failed (rc=$rc); logs in $DIR/logs"; CLUSTER_KEEP=1 cmd_stop >/dev/null || true; fi' EXIT

  # --- what we will restore ----------------------------------------------------------------------
  sysctl -a 2>/dev/null | sort > "$DIR/sysctl-all.before" || true
  : > "$DIR/sysctl.before"
  for key in "${SYSCTLS[@]}"; do
    v="$(sysctl -n "$key" 2>/dev/null)" && printf '%s\t%s\n' "$key" "$v" >> "$DIR/sysctl.before"
  done
  : > "$DIR/paths.before"
  for p in "${HOST_PATHS[@]}"; do [[ -e "$p" ]] && echo "$p" >> "$DIR/paths.before"; done
  nft list tables 2>/dev/null | sort > "$DIR/nft.before" || true
  iptables-save > "$DIR/iptables.before" 2>/dev/null || true
  ip6tables-save > "$DIR/ip6tables.before" 2>/dev/null || true

  # --- network: bridge, guard, control-plane netns --------------------------------------------------
  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/16" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  [[ -d /proc/sys/net/bridge ]] || modprobe br_netfilter 2>/dev/null || true
  [[ -d /proc/sys/net/bridge ]] || die "br_netfilter is not available: NetworkPolicies could not see bridged traffic"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1
  # Pods (and the control-plane netns) talk to each other and to this host only: nothing is
  # forwarded off the bridge or onto it from elsewhere. A drop in any base chain is final in nftables.
  nft -f - <<EOF
table inet $GUARD_TABLE {
  chain forward {
    type filter hook forward priority -200; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" counter drop
    iifname != "$BRIDGE" oifname "$BRIDGE" counter drop
  }
}
EOF
  ip netns add "$CP_NETNS"
  ip link add "$CP_VETH" type veth peer name eth0 netns "$CP_NETNS"
  ip link set "$CP_VETH" master "$BRIDGE" up
  ip netns exec "$CP_NETNS" ip link set lo up
  ip netns exec "$CP_NETNS" ip addr add "$CP_IP/16" dev eth0
  ip netns exec "$CP_NETNS" ip link set eth0 up
  ip netns exec "$CP_NETNS" ip route add default via "$NODE_IP"
  log "network ready: $BRIDGE $NODE_IP/16, control plane at $CP_IP (netns $CP_NETNS)"

  # --- control plane ----------------------------------------------------------------------------------
  E2E_DIR="$DIR/cp" E2E_NODES=none E2E_NETNS="$CP_NETNS" E2E_API_ADDRESS="$CP_IP" E2E_API_PORT="$API_PORT" \
    E2E_CACHE="${E2E_CACHE:-$CACHE/e2e}" bash "$ROOT/test/e2e/cluster.sh" start > "$DIR/cp.env"
  local KUBECTL=("$K8S_BIN/kubectl" --kubeconfig "$DIR/cp/admin.kubeconfig")

  sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
  sign kube-proxy "/CN=system:kube-proxy"
  sign provisioner "/O=system:masters/CN=spark-airflow-k8s-test-provisioner"
  kubeconfig "$DIR/kubelet/kubeconfig" kubelet
  kubeconfig "$DIR/kube-proxy/kubeconfig" kube-proxy
  kubeconfig "$DIR/provisioner.kubeconfig" provisioner

  # --- containerd -----------------------------------------------------------------------------------------
  local C="$DIR/containerd"
  cat > "$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
plugin_dir = ""
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$C/containerd.sock"
[ttrpc]
  address = "$C/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  # root here lacks CAP_SYS_RESOURCE: without this every sandbox fails to start (runc: EOF)
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
        Root = "$C/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
    max_conf_num = 1
EOF
  cat > "$DIR/cni/net.d/10-sak.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "sak",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$DIR/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "rangeStart": "10.88.1.1", "rangeEnd": "10.88.255.254", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  launch containerd /usr/bin/containerd --config "$C/config.toml"
  local CTR=(ctr --address "$C/containerd.sock" --namespace k8s.io)
  wait_for "containerd socket" 30 containerd "${CTR[@]}" version
  local t; t="$(now)"
  # two at a time: unpacking is disk-bound, and one large image should not hold up the small ones
  local archive image n=0
  while read -r archive image; do
    [[ -n "$archive" ]] || continue
    printf '%s\0%s\0' "$archive" "$image"
    n=$((n + 1))
  done < "$IMAGES" | xargs -0 -n 2 -P 2 sh -c '"$0" --address "$1" --namespace k8s.io images import "$2" >/dev/null || { echo "ctr images import $2 ($3) failed" >&2; exit 255; }' ctr "$C/containerd.sock" \
    || die "importing the images into containerd failed"
  n="$(grep -c . "$IMAGES")"
  "${CTR[@]}" images ls -q > "$DIR/images.imported"
  echo "$(since "$t")" > "$DIR/images-import-seconds"
  log "imported $n images into containerd in $(since "$t")s"

  # --- kubelet ----------------------------------------------------------------------------------------------
  local sub
  for sub in /sys/fs/cgroup/*/; do
    [[ -f "$sub/cgroup.procs" ]] || continue
    mkdir -p "$sub$CGROUP_ROOT"
  done
  echo "nameserver 127.0.0.1" > "$DIR/kubelet/resolv.conf" # pods: ClusterFirst; nothing resolves outside
  local healthz_port; healthz_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  cat > "$DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$DIR/cp/pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$DIR/pki/kubelet.crt"
tlsPrivateKeyFile: "$DIR/pki/kubelet.key"
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: "$DIR/kubelet/resolv.conf"
volumePluginDir: "$DIR/kubelet/volume-plugins"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
protectKernelDefaults: false
rotateCertificates: false
containerLogMaxSize: 20Mi
enableControllerAttachDetach: true
EOF
  launch kubelet "$K8S_BIN/kubelet" --config "$DIR/kubelet/config.yaml" --kubeconfig "$DIR/kubelet/kubeconfig" \
    --container-runtime-endpoint "unix://$C/containerd.sock" --root-dir "$DIR/kubelet/root" --cert-dir "$DIR/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --pod-infra-container-image registry.k8s.io/pause:3.9 --v 1

  # --- kube-proxy -------------------------------------------------------------------------------------------
  local kp_health kp_metrics
  kp_health="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  kp_metrics="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  cat > "$DIR/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$kp_health
metricsBindAddress: 127.0.0.1:$kp_metrics
nodePortAddresses: [$NODE_IP/32]
clientConnection: {kubeconfig: "$DIR/kube-proxy/kubeconfig"}
iptables: {localhostNodePorts: false, masqueradeAll: false}
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
oomScoreAdj: 0
EOF
  launch kube-proxy "$K8S_BIN/kube-proxy" --config "$DIR/kube-proxy/config.yaml" --v 1

  wait_for "Node $NODE_NAME Ready" 120 kubelet "${KUBECTL[@]}" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  log "node $NODE_NAME Ready after $(since "$T0")s"

  # --- system pods, storage ------------------------------------------------------------------------------------
  sed -e "s|@COREDNS_IMAGE@|registry.k8s.io/coredns/coredns:$(cat "$CLUSTER_BIN/coredns.version")|" -e "s|@DNS_IP@|$DNS_IP|" \
    "$HERE/manifests/system.yaml" > "$DIR/system.yaml"
  "${KUBECTL[@]}" apply --server-side -f "$DIR/system.yaml" > /dev/null
  [[ -f "$ROOT/build/cluster/provisioner.js" ]] || die "build/cluster/provisioner.js is missing (npm run build:cluster)"
  KUBECONFIG="$DIR/provisioner.kubeconfig" PROVISIONER_ROOT="$DIR/volumes" \
    launch provisioner node "$ROOT/build/cluster/provisioner.js"
  wait_for "CoreDNS rollout" 180 kubelet "${KUBECTL[@]}" -n kube-system rollout status deploy/coredns --timeout=2s
  wait_for "kube-network-policies rollout" 120 kubelet "${KUBECTL[@]}" -n kube-system rollout status ds/kube-network-policies --timeout=2s
  # kube-network-policies decides (in user space) on the first packet of every connection that
  # the kernel queues to it. It queues with nftables' `queue` statement, which this kernel lacks
  # (CONFIG_NFT_QUEUE is not set; its table fails to load). The iptables NFQUEUE target is there,
  # so the same queueing goes here, at the same place (postrouting, before SNAT) and with the same
  # exemptions as its nftables chain: established/related flows and root's own traffic. It queues
  # every new flow from or to a pod; the verdict stays kube-network-policies' own.
  wait_for "kube-network-policies bound to NFQUEUE $NFQUEUE" 60 "" grep -qE "^ *$NFQUEUE " /proc/net/netfilter/nfnetlink_queue
  sleep 2 # its first sync, which loads its table where the kernel can
  if nft list table inet kube-network-policies >/dev/null 2>&1; then
    log "kube-network-policies queues with its own nftables table"
  else
    log "this kernel has no nftables queue statement: queueing for kube-network-policies with iptables NFQUEUE"
    iptables -t mangle -N SAK-NETPOL
    iptables -t mangle -A SAK-NETPOL -m owner --uid-owner 0 -j RETURN
    iptables -t mangle -A SAK-NETPOL -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
    iptables -t mangle -A SAK-NETPOL -s "$POD_CIDR" -j NFQUEUE --queue-num "$NFQUEUE"
    iptables -t mangle -A SAK-NETPOL -d "$POD_CIDR" -j NFQUEUE --queue-num "$NFQUEUE"
    iptables -t mangle -A POSTROUTING -j SAK-NETPOL
  fi
  for c in containerd kubelet kube-proxy provisioner; do alive "$c" || die "$c is not running; see $DIR/logs/$c.log"; done

  trap - EXIT
  local took; took="$(since "$T0")"
  echo "$took" > "$DIR/start-seconds"
  log "node ready in ${took}s: kubectl --kubeconfig $DIR/cp/admin.kubeconfig get nodes"
  print_env
}

cmd_env() {
  DIR="$(state_dir || true)"
  [[ -n "$DIR" && -f "$DIR/cp/admin.kubeconfig" ]] || die "no running node (run: $0 start)"
  print_env
}

# stop_pid <name> [signal]: TERM (or the signal), wait up to 15 s, then KILL; only our own pids
stop_pid() {
  local name="$1" sig="${2:-TERM}" f="$DIR/pids/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then log "$name (pid $pid) ignored $sig; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

cmd_stop() {
  # every step runs, whatever failed before it
  set +e
  DIR="${DIR:-$(state_dir || true)}"
  if [[ -z "$DIR" || ! -d "$DIR" ]]; then log "no node state found; nothing to stop"; return 0; fi
  local C="$DIR/containerd" K8S_BIN_DIR
  K8S_BIN_DIR="$(cat "$DIR/k8s-bin.path" 2>/dev/null || echo "${K8S_BIN:-}")"

  stop_pid provisioner
  stop_pid kubelet
  # every container and sandbox: kill the tasks (the shims exit with them), then containerd
  if [[ -S "$C/containerd.sock" ]]; then
    local CTR=(ctr --address "$C/containerd.sock" --namespace k8s.io) id
    for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    for _ in $(seq 1 50); do
      [[ -z "$("${CTR[@]}" tasks ls 2>/dev/null | awk 'NR>1 && $3 != "STOPPED"')" ]] && break
      sleep 0.2
    done
    for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop_pid containerd
  # shims or container processes that outlived containerd (their command lines name the state dir)
  pkill -KILL -f "containerd-shim-runc-v2 .*$C" 2>/dev/null || true
  if [[ -n "$K8S_BIN_DIR" && -f "$DIR/pids/kube-proxy.pid" ]]; then
    stop_pid kube-proxy
    "$K8S_BIN_DIR/kube-proxy" --cleanup --config "$DIR/kube-proxy/config.yaml" >> "$DIR/logs/kube-proxy-cleanup.log" 2>&1 || true
  fi
  stop_pid kube-proxy
  nft delete table inet kube-network-policies 2>/dev/null || true
  if [[ -d "$DIR/cp" ]]; then
    E2E_DIR="$DIR/cp" E2E_KEEP=1 E2E_NODES=none E2E_CACHE="${E2E_CACHE:-$CACHE/e2e}" \
      bash "$ROOT/test/e2e/cluster.sh" stop >> "$DIR/logs/cluster-stop.log" 2>&1 || true
  fi
  # mounts under the state dir (volumes, overlay rootfs, sandbox netns), deepest first
  local m
  for _ in 1 2 3; do
    mapfile -t mounts < <(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    ((${#mounts[@]})) || break
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  done
  ip netns del "$CP_NETNS" 2>/dev/null || true
  ip link del "$CP_VETH" 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  nft delete table inet "$GUARD_TABLE" 2>/dev/null || true
  # iptables as found: kube-proxy --cleanup leaves the kubelet's chains (KUBE-FIREWALL, canaries)
  # and the tables iptables-nft created; restore the tables that existed, delete the others
  [[ -s "$DIR/iptables.before" ]] && iptables-restore < "$DIR/iptables.before" 2>/dev/null
  [[ -s "$DIR/ip6tables.before" ]] && ip6tables-restore < "$DIR/ip6tables.before" 2>/dev/null
  local fam name
  while read -r _ fam name; do
    [[ "$fam" == ip || "$fam" == ip6 ]] || continue
    grep -qxF "table $fam $name" "$DIR/nft.before" 2>/dev/null || nft delete table "$fam" "$name" 2>/dev/null
  done < <(nft list tables 2>/dev/null)
  # cgroups of the pods, deepest first (they are empty once every process is gone)
  local cg
  for cg in /sys/fs/cgroup/*/"$CGROUP_ROOT"; do
    [[ -d "$cg" ]] || continue
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  # sysctls as found
  if [[ -f "$DIR/sysctl.before" ]]; then
    local key value
    while IFS=$'\t' read -r key value; do
      [[ "$(sysctl -n "$key" 2>/dev/null)" == "$value" ]] || sysctl -qw "$key=$value" 2>/dev/null || log "could not restore $key=$value"
    done < "$DIR/sysctl.before"
  fi
  # host paths that were not there before
  if [[ -f "$DIR/paths.before" ]]; then
    local p
    for p in "${HOST_PATHS[@]}"; do
      grep -qxF "$p" "$DIR/paths.before" && continue
      # `ip netns add` bind-mounts /run/netns onto itself (shared propagation)
      while mountpoint -q "$p" 2>/dev/null; do umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || break; done
      rm -rf "$p" 2>/dev/null || log "could not remove $p"
    done
  fi
  [[ -f "$POINTER" && "$(cat "$POINTER")" == "$DIR" ]] && rm -f "$POINTER"
  verify_teardown
  if [[ "${CLUSTER_KEEP:-0}" == 1 ]]; then
    log "stopped; kept $DIR"
  else
    rm -rf "$DIR"
    log "stopped; removed $DIR"
  fi
}

# PASS/FAIL lines: nothing of ours is left and the machine's settings are as found
verify_teardown() {
  local bad
  check() { if [[ -z "$2" ]]; then echo "PASS teardown: $1"; else echo "FAIL teardown: $1"; echo "    $2" | head -n 5; fi; }
  bad="$(pgrep -af -- "$DIR" | grep -v -e "node.sh" -e pgrep || true)"
  check "no process of the node is left" "$bad"
  bad="$(awk -v d="$DIR/" -v c="$CLUSTER_CACHE/" 'index($2, d) == 1 || index($2, c) == 1 { print $2 }' /proc/self/mounts)"
  check "no mount under the state dir or the build cache is left" "$bad"
  bad="$( { ip link show "$BRIDGE" 2>/dev/null; ip link show "$CP_VETH" 2>/dev/null; ip netns list 2>/dev/null | grep -w "$CP_NETNS"; } || true)"
  check "bridge, veth and control-plane netns removed" "$bad"
  bad="$(diff <(cat "$DIR/nft.before" 2>/dev/null) <(nft list tables 2>/dev/null | sort) | grep '^[<>]' || true)"
  check "nftables tables as found (kube-proxy, kube-network-policies and guard tables gone)" "$bad"
  bad="$(ls -d /sys/fs/cgroup/*/"$CGROUP_ROOT" 2>/dev/null || true)"
  check "pod cgroups removed" "$bad"
  bad=""
  if [[ -f "$DIR/sysctl-all.before" ]]; then
    # keys that change by themselves (counters, random values, time) are not settings
    bad="$(diff <(grep -vE "$VOLATILE_SYSCTLS" "$DIR/sysctl-all.before") <(sysctl -a 2>/dev/null | sort | grep -vE "$VOLATILE_SYSCTLS") | grep '^[<>]' || true)"
  fi
  check "every sysctl as found" "$bad"
  bad=""
  local p
  for p in "${HOST_PATHS[@]}"; do
    [[ -e "$p" ]] && ! grep -qxF "$p" "$DIR/paths.before" 2>/dev/null && bad+="$p "
  done
  check "no host path left behind (${HOST_PATHS[*]})" "$bad"
}
VOLATILE_SYSCTLS='^(fs\.(dentry-state|file-nr|inode-nr|inode-state|quota\.)|kernel\.(ns_last_pid|random\.|pty\.nr|sched_domain)|net\.netfilter\.nf_conntrack_count|net\.ipv[46]\.(neigh|conf)\.(veth|cni|vxlan|sak|eth0\.|lo\.|default\.)|net\.ipv[46]\.route\.|net\.ipv4\.tcp_mem|net\.ipv4\.udp_mem|net\.ipv6\.conf\.(veth|sak)|net\.ipv4\.neigh\.(veth|sak)|fs\.(aio-nr|binfmt_misc)|kernel\.(keys\.(maxkeys|maxbytes)|perf_event_max))'

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
