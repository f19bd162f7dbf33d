//go:build tools

// Package tools pins the commands test/apiserver builds; see tools/k8s/build.sh.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
