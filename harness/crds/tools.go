//go:build tools

// Package tools pins where the conformance tier's CRDs come from: the Flux
// controllers' modules (their config/crd/bases), External Secrets' module, and the
// helm-controller API types, from which controller-gen generates the HelmRelease CRD
// (the helm-controller module itself is not served by the module proxy).
package tools

import (
	_ "github.com/fluxcd/helm-controller/api/v2"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
