// Mesh-wide mTLS: one PeerAuthentication in istio-system, marked so meshup removes only its own.
import { ISTIO_NAMESPACE } from './labels.js';

export function peerAuthentication(mode: 'strict' | 'permissive') {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: ISTIO_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
    spec: { mtls: { mode: mode.toUpperCase() } },
  };
}
