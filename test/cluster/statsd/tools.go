//go:build tools

// Package tools pins github.com/prometheus/statsd_exporter, the image prom/statsd-exporter of
// lib/versions.ts (Airflow's StatsD metrics as Prometheus metrics); test/cluster/build.sh builds its
// main package from this module's go.mod/go.sum for the real node.
package tools

import _ "github.com/prometheus/statsd_exporter"
