// What was read, compared with what is expected: present, missing, changed, not ready. The
// planner only compares what this gives it. Pure: observe/observe.ts does the reading.

import { HASH_ANNOTATION, TELEMETRY_NAME } from '../addons/manifest.js';
import type { Addon } from '../config/schema.js';
import type { BundleObject } from '../gatewayapi/crds.js';
import { type GatewayApiObserved, observeGatewayApi } from '../gatewayapi/observe.js';
import { ADDON_LABEL, ISTIO_NAMESPACE, istiodName, MANAGED_BY } from '../istio/labels.js';
import type { ImageUse } from '../kube/images.js';
import { type KubeObject, type NodeInfo, parseNodes } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { readiness, WORKLOAD_KINDS, workloadReady } from '../kube/readiness.js';
import { type ObjectRef, refKey, resourceOf } from '../kube/refs.js';
import type { ClusterStatus, PortMapping } from '../providers/types.js';
import type { AppliedSpec } from '../state/applied-spec.js';
import type { ObjectDrift } from './drift.js';
import type { RegistriesObserved } from './registries.js';
import type { TrustObserved } from './trust.js';

interface AddonObserved {
  /** Any object carrying the addon's label exists. */
  present: boolean;
  /** Some of them were applied by meshup (kube/ownership.ts): it may remove the addon. */
  ours: boolean;
  /** Expected objects that are not there (known only when the addon's refs are at hand). */
  missing: ObjectRef[];
  /** Objects whose content hash differs from what meshup would apply. */
  changed: ObjectRef[];
  /** Workloads (kind/name) that are not Ready. */
  notReady: string[];
  /** Whether missing/changed were checked against the full list of the addon's objects. */
  verified: boolean;
  /** The kinds of its objects (CRDs aside), as kubectl names them: what removing it deletes. */
  kinds: string[];
  /** Expected objects that exist but are not meshup's (kube/ownership.ts): applying would take them over. */
  foreign: ObjectRef[];
}

export interface Observed {
  cluster: ClusterStatus;
  /** istio-system/cacerts and the certificates meshup keeps, for a cluster of a multi-cluster mesh. */
  trust?: TrustObserved;
  /** meshup's registry containers and the nodes' mirrors, where the spec wants them. */
  registries?: RegistriesObserved;
  /** The images the wanted mesh makes the nodes pull, when its rendered objects are cached. */
  images?: ImageUse[];
  /** The API server answered. */
  reachable: boolean;
  nodes: NodeInfo[];
  namespaces: KubeObject[];
  recorded?: AppliedSpec;
  istio: {
    /** istiod's Deployment exists (and istio-system is not being deleted). */
    present: boolean;
    /** istio-system is being deleted: an install waits until it is gone. */
    leaving?: boolean;
    missing: ObjectRef[];
    notReady: string[];
    /** Whether the control plane was checked object by object (its refs were at hand). */
    verified: boolean;
    /** The rendered control plane is cached: missing objects can be applied without istioctl. */
    manifestCached: boolean;
    /** istio-system's workloads, Services and Pods: for the ingress and for diagnoses. */
    objects: KubeObject[];
  };
  addons: Record<string, AddonObserved>;
  /** The host ports the cluster maps (kind), read from the cluster, not from the config. */
  hostPorts?: PortMapping[];
  /** What could not be read although the API server answered (each with why): not "nothing there". */
  unread?: string[];
  /** The tracing Telemetry meshup applies with jaeger: its content hash, and whether it is meshup's. */
  telemetry?: { hash?: string; ours: boolean };
  peerAuthentication?: { mode?: string; managed: boolean };
  /** Pods of the namespaces that change dataplane mode (read only then): which need a restart. */
  meshPods?: KubeObject[];
  /** The Gateway API CRDs (gatewayapi/observe.ts); absent when the cluster could not be read. */
  gatewayApi?: GatewayApiObserved;
  /** What meshup's objects hold that its apply would change (observe/drift.ts): by part. */
  drift?: Drift;
}

export interface Drift {
  istio: ObjectDrift[];
  addons: Record<string, ObjectDrift[]>;
  telemetry: ObjectDrift[];
  /** Objects a person marked for meshup to leave alone: not compared, not repaired. */
  leftAlone: ObjectRef[];
  /** Objects the API server would not dry-run meshup's apply of, with its words: not compared. */
  uncompared?: { ref: ObjectRef; why: string }[];
}

export interface Expected {
  /** The revision the control plane should run as (undefined: the default one). */
  revision?: string;
  /** The control plane's objects for the desired version and overlay, when known. */
  controlPlane?: ObjectRef[];
  /** Its rendered manifest is on disk. */
  controlPlaneManifest?: boolean;
  /** Each addon's objects, when its manifest is at hand. */
  addons: Map<string, ObjectRef[]>;
  /** The objects of the wanted Gateway API bundle: cached, or fetched to verify the CRDs meshup marked. */
  gatewayApi?: BundleObject[];
  /** Why the bundle could not be had, when it could not. */
  gatewayApiUnverified?: string;
}

/** What one round of reads brought back, before it is compared with anything. */
export interface ClusterRead {
  cluster: ClusterStatus;
  items: KubeObject[];
  customs: KubeObject[];
  recorded?: AppliedSpec;
  /** The kinds read, as kubectl resource names: refs of other kinds cannot be checked. */
  kinds: ReadonlySet<string>;
  /** false when the CRD read failed: then nothing is known of the Gateway API CRDs. */
  crdsRead?: boolean;
  /** The host ports the cluster really maps, for providers that map them. */
  hostPorts?: PortMapping[];
  /** Reads that failed while the rest answered, each with why. */
  unread?: string[];
}

export const emptyObserved = (cluster: ClusterStatus): Observed => ({
  cluster,
  reachable: false,
  nodes: [],
  namespaces: [],
  istio: { present: false, missing: [], notReady: [], verified: true, manifestCached: false, objects: [] },
  addons: {},
});

/** Compares what was read with what is expected. Pure. */
const MANAGED_BY_LABEL = Object.keys(MANAGED_BY)[0]!;

export function evaluate(read: ClusterRead, catalog: Map<string, Addon>, expected: Expected): Observed {
  if (!read.items.length) return { ...emptyObserved(read.cluster), recorded: read.recorded, hostPorts: read.hostPorts };
  const { items, customs, cluster } = read;
  const checkable = (r: ObjectRef) => read.kinds.has(resourceOf(r));
  const byKey = new Map(items.map((o) => [refKey({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), o]));
  const nodes = parseNodes({ items: items.filter((o) => o.kind === 'Node') });
  const namespaces = items.filter((o) => o.kind === 'Namespace');
  const inIstio = items.filter((o) => o.metadata.namespace === ISTIO_NAMESPACE);

  const istiod = byKey.get(refKey({ kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: istiodName(expected.revision) }));
  const ownWorkloads = inIstio.filter((o) => WORKLOAD_KINDS.has(o.kind ?? '') && !o.metadata.labels?.[ADDON_LABEL]);
  // istio-system on its way out (a down moments ago): what is in it will not be there for long.
  const leaving = !!namespaces.find((n) => n.metadata.name === ISTIO_NAMESPACE)?.metadata.deletionTimestamp;
  const istio = {
    present: !!istiod && !leaving,
    leaving,
    missing: (expected.controlPlane ?? []).filter((r) => checkable(r) && !byKey.has(refKey(r))),
    // A control plane workload scaled to 0 is down, whatever the readiness of 0 of 0 says.
    notReady: ownWorkloads.filter((o) => !workloadReady(o) || readiness(o).wanted === 0).map((o) => `${o.kind!.toLowerCase()}/${o.metadata.name}`),
    verified: !!expected.controlPlane,
    manifestCached: !!expected.controlPlaneManifest,
    objects: inIstio.filter((o) => WORKLOAD_KINDS.has(o.kind ?? '') || o.kind === 'Service' || o.kind === 'Pod'),
  };

  const addons: Record<string, AddonObserved> = {};
  for (const a of catalog.values()) {
    const labelled = items.filter((o) => o.metadata.labels?.[ADDON_LABEL] === a.name);
    const refs = expected.addons.get(a.name);
    const missing: ObjectRef[] = [];
    const changed: ObjectRef[] = [];
    const foreign: ObjectRef[] = [];
    for (const r of refs ?? []) {
      if (!checkable(r)) continue;
      const o = byKey.get(refKey(r));
      if (!o) missing.push(r);
      // CRDs are read without labels (see CRDS): whose they are is not known.
      else if (r.kind !== 'CustomResourceDefinition' && claimOf(o, { label: ADDON_LABEL, value: a.name }) === 'foreign') foreign.push(r);
      // CRDs are read by name only (see CRDS): present is all that is known of them.
      else if (r.hash && r.kind !== 'CustomResourceDefinition' && o.metadata.annotations?.[HASH_ANNOTATION] !== r.hash) changed.push(r);
    }
    const notReady = a.workloads.filter((w) => {
      const [kind, name] = w.split('/');
      const o = labelled.find((x) => x.kind?.toLowerCase() === kind && x.metadata.name === name);
      return !o || !workloadReady(o);
    });
    const kinds = [...new Set((refs ?? []).filter((r) => r.kind !== 'CustomResourceDefinition').map(resourceOf))];
    const ours = labelled.some((o) => claimOf(o, { label: ADDON_LABEL, value: a.name }) === 'ours');
    addons[a.name] = { present: labelled.length > 0, ours, missing, changed, notReady, verified: !!refs, kinds, foreign };
  }

  const telemetry = customs.find((o) => o.kind === 'Telemetry' && o.metadata.name === TELEMETRY_NAME);
  const pa = customs.find((o) => o.kind === 'PeerAuthentication' && o.metadata.name === 'default');
  return {
    cluster,
    reachable: true,
    nodes,
    namespaces,
    recorded: read.recorded,
    hostPorts: read.hostPorts,
    ...(read.unread ? { unread: read.unread } : {}),
    istio,
    addons,
    telemetry: telemetry
      ? { hash: telemetry.metadata.annotations?.[HASH_ANNOTATION], ours: claimOf(telemetry, { label: ADDON_LABEL, value: 'jaeger' }) === 'ours' }
      : undefined,
    peerAuthentication: pa
      ? {
          mode: ((pa.spec ?? {}) as { mtls?: { mode?: string } }).mtls?.mode?.toLowerCase(),
          managed: claimOf(pa, { label: MANAGED_BY_LABEL, value: 'meshup' }) === 'ours',
        }
      : undefined,
    gatewayApi: read.crdsRead === false ? undefined : observeGatewayApi(items, expected.gatewayApi, expected.gatewayApiUnverified),
  };
}
