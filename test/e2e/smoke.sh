#!/usr/bin/env bash
# Smoke test of the local control plane (test/e2e/cluster.sh):
#  - server-side apply of a Namespace enforcing Pod Security "restricted",
#    a compliant Deployment (2 replicas) and DaemonSet; both roll out on kwok nodes
#  - a non-compliant Pod is rejected by PodSecurity admission
#  - RBAC: `kubectl auth can-i --as=system:serviceaccount:...` answers yes/no
#  - a token from `kubectl create token` authenticates (and is authorized by RBAC)
# The cluster is always stopped at the end (trap), also on failure.
# Uses its own state dir, so it does not touch a cluster started by hand.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NS=e2e-smoke
passed=0
failed=0

E2E_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sak-e2e-smoke.XXXXXX")"
export E2E_DIR
cleanup() {
  local rc=$?
  if ((rc)) && [[ -d "$E2E_DIR/logs" ]]; then
    echo "--- last log lines (failure) ---" >&2
    for f in "$E2E_DIR"/logs/*.log; do echo "== $f" >&2; tail -n 15 "$f" >&2; done
  fi
  "$HERE/cluster.sh" stop || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines="$("$HERE/cluster.sh" start)"
eval "$env_lines"
echo "control plane start: $(cat "$E2E_DIR/start-seconds")s"

ok() { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

kubectl version -o json > "$E2E_DIR/version.json"
check "server reports its real version (not v0.0.0)" grep -q '"gitVersion": "v1\.' "$E2E_DIR/version.json"
check "PodSecurity admission plugin is enabled" grep -q -- 'PodSecurity' <(tr '\0' ' ' < "/proc/$(cat "$E2E_DIR/pids/kube-apiserver.pid")/cmdline")

SEC_POD='securityContext: {runAsNonRoot: true, runAsUser: 185, runAsGroup: 185, fsGroup: 185, seccompProfile: {type: RuntimeDefault}}'
SEC_CTR='securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}'
cat > "$E2E_DIR/smoke.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      $SEC_POD
      containers:
      - name: web
        image: registry.k8s.io/pause:3.9
        $SEC_CTR
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 32Mi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: $NS}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      $SEC_POD
      containers:
      - name: agent
        image: registry.k8s.io/pause:3.9
        $SEC_CTR
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 32Mi}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: $NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: $NS}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-pod-reader, namespace: $NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: ServiceAccount, name: reader, namespace: $NS}
EOF

t=$SECONDS
check "kubectl apply --server-side" kubectl apply --server-side --field-manager=e2e-smoke -f "$E2E_DIR/smoke.yaml"
check "Deployment web rolls out (2/2 on kwok)" kubectl -n $NS rollout status deployment/web --timeout=90s
check "DaemonSet agent rolls out (one pod per kwok node)" kubectl -n $NS rollout status daemonset/agent --timeout=90s
echo "rollouts took $((SECONDS - t))s"
kubectl -n $NS get pods -o wide
check "DaemonSet has 2 pods" test "$(kubectl -n $NS get ds agent -o jsonpath='{.status.numberReady}')" = 2

# PodSecurity: a pod without the restricted security context must be rejected.
if out="$(kubectl -n $NS run bad --image=registry.k8s.io/pause:3.9 --restart=Never 2>&1)"; then
  fail "non-compliant pod is rejected by PodSecurity (it was admitted: $out)"
else
  if grep -q 'violates PodSecurity "restricted' <<<"$out"; then
    ok "non-compliant pod is rejected by PodSecurity"
  else
    fail "non-compliant pod is rejected by PodSecurity (unexpected error: $out)"
  fi
fi

SA=system:serviceaccount:$NS:reader
check "auth can-i: reader may list pods" test "$(kubectl auth can-i list pods -n $NS --as=$SA || true)" = yes
check "auth can-i: reader may not delete pods" test "$(kubectl auth can-i delete pods -n $NS --as=$SA || true)" = no
check "auth can-i: reader may not read secrets" test "$(kubectl auth can-i get secrets -n $NS --as=$SA || true)" = no

# A bound ServiceAccount token authenticates against the API server.
token="$(kubectl -n $NS create token reader --duration=10m)"
SERVER="$(cat "$E2E_DIR/server")"
SA_KC="$E2E_DIR/reader.kubeconfig"
cat > "$SA_KC" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$SERVER", certificate-authority: "$E2E_DIR/pki/ca.crt"}}]
users: [{name: reader, user: {token: "$token"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: reader, namespace: $NS}}]
current-context: e2e
EOF
check "token from 'kubectl create token' authenticates as the ServiceAccount" \
  grep -q "$SA" <(kubectl --kubeconfig "$SA_KC" auth whoami -o jsonpath='{.status.userInfo.username}' 2>&1)
check "ServiceAccount token may list pods (RBAC)" kubectl --kubeconfig "$SA_KC" get pods -o name
if kubectl --kubeconfig "$SA_KC" get secrets >/dev/null 2>&1; then
  fail "ServiceAccount token is forbidden to list secrets"
else
  ok "ServiceAccount token is forbidden to list secrets"
fi
# (change the signature's first character: its last one may only carry padding bits)
sig="${token##*.}"
if [[ "${sig:0:1}" == A ]]; then bad_sig="B${sig:1}"; else bad_sig="A${sig:1}"; fi
if kubectl --kubeconfig "$SA_KC" --token "${token%.*}.$bad_sig" get pods >/dev/null 2>&1; then
  fail "a tampered token is rejected"
else
  ok "a tampered token is rejected"
fi

echo "$passed passed, $failed failed"
((failed == 0))
