// What identifies the Gateway API's CRDs and the release they came from. Pure: no I/O.

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const BUNDLE_VERSION_ANNOTATION = 'gateway.networking.k8s.io/bundle-version';
export const CHANNEL_ANNOTATION = 'gateway.networking.k8s.io/channel';
/** The admission policy bundles from v1.5.0 on carry (with a binding of the same name). */
export const SAFE_UPGRADES_POLICY = 'safe-upgrades.gateway.networking.k8s.io';

export interface BundleObject {
  kind: string;
  name: string;
}

export function objectsOf(objects: Record<string, unknown>[]): BundleObject[] {
  return objects.map((o) => ({ kind: String(o.kind), name: String((o.metadata as { name: string }).name) }));
}
