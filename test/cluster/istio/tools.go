//go:build tools

// Pins istioctl so 'go mod tidy' keeps its dependencies.
package tools

import _ "istio.io/istio/istioctl/cmd/istioctl"
