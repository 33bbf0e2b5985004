//go:build tools

// Package tools pins github.com/traefik/traefik/v3, the image TEST_IMAGES.ingressController of
// lib/versions.ts (the real node's ingress controller, a test tool); test/cluster/build.sh builds
// its cmd/traefik from this module's go.mod/go.sum.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
