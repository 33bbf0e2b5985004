//go:build tools

// Package tools pins github.com/versity/versitygw (Apache-2.0), the S3 server the real node's
// object-store check runs on the host: the Spark event logs of the staging-shaped variant go to it
// through Hadoop's S3A connector, signed with the credentials of a Secret (versitygw verifies AWS
// Signature V4). test/cluster/build.sh builds its cmd/versitygw from this module's go.mod/go.sum.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
