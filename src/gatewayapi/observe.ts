// The Gateway API CRDs as the cluster has them, from the one CRD read of the observe round: each
// CRD's name with its bundle-version and channel annotations and meshup's mark. Reading these
// four columns (not whole CRDs, whose schemas are most of the bytes) keeps the read small.
import { GATEWAY_API_LABEL } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { BUNDLE_VERSION_ANNOTATION, type BundleObject, CHANNEL_ANNOTATION, GATEWAY_API_GROUP } from './crds.js';

/** kubectl's JSONPath takes a dot inside a key escaped; a slash needs no escape. */
const path = (key: string) => key.replace(/\./g, '\\.');

/** `-o` for `kubectl get customresourcedefinitions`: name, bundle version, channel, meshup's mark.
 * A CRD without one of them prints `<none>` in its column. */
export const CRD_COLUMNS = `custom-columns=NAME:.metadata.name,BUNDLE:.metadata.annotations.${path(BUNDLE_VERSION_ANNOTATION)},CHANNEL:.metadata.annotations.${path(CHANNEL_ANNOTATION)},MESHUP:.metadata.labels.${path(GATEWAY_API_LABEL)}`;

/** A CRD object carrying only what a CRD_COLUMNS read holds. */
function crdOf(name: string, bundle?: string, channel?: string, mark?: string): KubeObject {
  const annotations = Object.fromEntries(
    [
      [BUNDLE_VERSION_ANNOTATION, bundle],
      [CHANNEL_ANNOTATION, channel],
    ].filter(([, v]) => v),
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name, ...(Object.keys(annotations).length ? { annotations } : {}), ...(mark ? { labels: { [GATEWAY_API_LABEL]: mark } } : {}) },
  };
}

/** The rows of a CRD_COLUMNS read (without headers) as CRD objects carrying what was read. */
export function parseCrdRows(stdout: string): KubeObject[] {
  const given = (v: string | undefined) => (v && v !== '<none>' ? v : undefined);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[0])
    .map(([name, bundle, channel, mark]) => crdOf(name!, given(bundle), given(channel), given(mark)));
}

/** A CRD read whole (or as metadata), cut to what a CRD_COLUMNS read holds: both reads observe the same. */
export const crdColumns = (o: KubeObject): KubeObject =>
  crdOf(
    o.metadata.name,
    o.metadata.annotations?.[BUNDLE_VERSION_ANNOTATION] || undefined,
    o.metadata.annotations?.[CHANNEL_ANNOTATION] || undefined,
    o.metadata.labels?.[GATEWAY_API_LABEL] || undefined,
  );

export interface GatewayApiCrd {
  name: string;
  /** gateway.networking.k8s.io/bundle-version, when the CRD carries it. */
  version?: string;
  /** gateway.networking.k8s.io/channel: standard or experimental. */
  channel?: string;
  /** meshup installed it (it carries meshup's mark). */
  meshup: boolean;
}

export interface GatewayApiObserved {
  /** Every CRD of the gateway.networking.k8s.io group, by name. */
  crds: GatewayApiCrd[];
  /** CRDs of the wanted bundle that are not there; known only when the bundle was had. */
  missing: string[];
  /** Whether `missing` was checked against the bundle's list. */
  verified: boolean;
  /** Why it was not: the bundle could not be had (the mirror's answer). */
  unverified?: string;
}

export const isGatewayApiCrd = (name: string) => name.endsWith(`.${GATEWAY_API_GROUP}`);

/** Pure: the Gateway API part of what was read, compared with the wanted bundle's objects. */
export function observeGatewayApi(items: readonly KubeObject[], bundle?: readonly BundleObject[], unverified?: string): GatewayApiObserved {
  const crds = items
    .filter((o) => o.kind === 'CustomResourceDefinition' && isGatewayApiCrd(o.metadata.name))
    .map((o) => ({
      name: o.metadata.name,
      version: o.metadata.annotations?.[BUNDLE_VERSION_ANNOTATION],
      channel: o.metadata.annotations?.[CHANNEL_ANNOTATION],
      meshup: !!o.metadata.labels?.[GATEWAY_API_LABEL],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const have = new Set(crds.map((c) => c.name));
  const missing = (bundle ?? []).filter((o) => o.kind === 'CustomResourceDefinition' && !have.has(o.name)).map((o) => o.name);
  return { crds, missing, verified: !!bundle, ...(!bundle && unverified ? { unverified } : {}) };
}

/** One line for `meshup status`: the releases, channel and owner of the group's CRDs. */
export function describeGatewayApi(g: GatewayApiObserved | undefined): string {
  if (!g) return 'unknown (the CRDs could not be listed)';
  if (!g.crds.length) return 'none';
  const versions = [...new Set(g.crds.map((c) => c.version ?? 'no release annotation'))];
  const channels = [...new Set(g.crds.map((c) => c.channel).filter(Boolean))];
  const marked = g.crds.filter((c) => c.meshup).length;
  const owner = marked === g.crds.length ? 'installed by meshup' : marked ? 'partly installed by meshup' : 'not installed by meshup';
  return `Gateway API ${versions.join(', ')} (${[channels.length ? `${channels.join(' and ')} channel` : '', `${g.crds.length} CRDs`, owner].filter(Boolean).join(', ')})`;
}
