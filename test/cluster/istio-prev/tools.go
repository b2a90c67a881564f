//go:build tools

// Pins istioctl and pilot-discovery (istiod) so 'go mod tidy' keeps the dependencies of both.
package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
