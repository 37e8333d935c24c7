//go:build tools

// Package tools pins the real programs the conformance tier runs: etcd, the
// Kubernetes API server and controller manager, built from their Go modules.
// Nothing imports it; `go build` names the main packages directly.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
