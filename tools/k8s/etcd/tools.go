//go:build tools

// Package tools pins etcd's server command; see tools/k8s/build.sh.
package tools

import _ "go.etcd.io/etcd/server/v3"
