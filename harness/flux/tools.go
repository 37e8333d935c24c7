//go:build tools

// Package tools pins the real Flux controllers the conformance tier runs. Only
// kustomize-controller can be built here: the module proxy does not serve
// helm-controller, and source-controller needs github.com/fluxcd/pkg/artifact,
// which it does not serve either (403 for both, checked with `go list -m`).
package tools

import _ "github.com/fluxcd/kustomize-controller"
