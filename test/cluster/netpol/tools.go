//go:build tools

// Package tools pins sigs.k8s.io/kube-network-policies, which enforces NetworkPolicies on the
// real node of test/cluster (nftables + NFQUEUE); test/cluster/build.sh builds its main package
// (sigs.k8s.io/kube-network-policies/cmd) from this module's go.mod/go.sum.
package tools

import _ "sigs.k8s.io/kube-network-policies/cmd"
