// The objects of a multi-network mesh's east-west gateway that istioctl does not make: the Gateway
// that exposes every service of the cluster to the other networks (mTLS passed through, SNI routed:
// Istio's multi-network guide), and the gateway Service's external address. Pure.

import { ISTIO_NAMESPACE, MANAGED_BY } from './labels.js';
import { EASTWEST_GATEWAY } from './overlay.js';

export const CROSS_NETWORK_GATEWAY = 'cross-network-gateway';

export function crossNetworkGateway(): Record<string, unknown> {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: CROSS_NETWORK_GATEWAY, namespace: ISTIO_NAMESPACE, labels: { ...MANAGED_BY } },
    spec: {
      selector: { istio: 'eastwestgateway' },
      servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    },
  };
}

/** The gateway Service's external address: the node's, which the other clusters' nodes reach
 * (kube-proxy takes traffic to an external IP to the gateway's pods). Only the field meshup owns. */
export function eastWestAddress(address: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: EASTWEST_GATEWAY, namespace: ISTIO_NAMESPACE }, spec: { externalIPs: [address] } };
}
