//go:build tools

// Package tools pins the real helm that `glmctl lint --render-charts` is tested with.
// harness/build.py builds helm.sh/helm/v4/cmd/helm with the version stamped the way
// helm's own Makefile does (-X helm.sh/helm/v4/internal/version.version=...).
package tools

import _ "helm.sh/helm/v4/cmd/helm"
