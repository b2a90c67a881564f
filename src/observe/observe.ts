// The cluster as it is, read in one parallel round: the provider's view, nodes, namespaces, every
// object meshup owns in istio-system and cluster-wide, Istio's custom resources meshup set, and
// the recorded spec. What is expected comes from refs.ts; what is missing, changed or not ready
// is decided here, so the planner only compares. A cluster that does not exist observes as empty.

import { HASH_ANNOTATION, TELEMETRY_NAME } from '../addons/manifest.js';
import type { Addon } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import type { BundleObject } from '../gatewayapi/bundle.js';
import { CRD_COLUMNS, crdColumns, type GatewayApiObserved, observeGatewayApi, parseCrdRows } from '../gatewayapi/observe.js';
import { ADDON_LABEL, ISTIO_NAMESPACE } from '../istio/labels.js';
import type { ClusterStatus, PortMapping, Provider } from '../providers/types.js';
import { type AppliedSpec, readAppliedSpec } from '../state/record.js';
import { type ApiKind, BUILTIN, kubectlResource, listDirect } from '../tools/kubeapi.js';
import { getJson, type KubeList, type KubeObject, kubeconfigHasContext, type NodeInfo, parseNodes } from '../tools/kubectl.js';
import { type ObjectRef, refKey, resourceOf } from './refs.js';

interface AddonObserved {
  /** Any object carrying the addon's label exists. */
  present: boolean;
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
}

export interface Observed {
  cluster: ClusterStatus;
  /** The API server answered. */
  reachable: boolean;
  nodes: NodeInfo[];
  namespaces: KubeObject[];
  recorded?: AppliedSpec;
  istio: {
    /** istiod's Deployment exists. */
    present: boolean;
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
  /** The tracing Telemetry meshup applies with jaeger: its content hash, if present. */
  telemetry?: { hash?: string };
  peerAuthentication?: { mode?: string; managed: boolean };
  /** Pods of the namespaces that change dataplane mode (read only then): which need a restart. */
  meshPods?: KubeObject[];
  /** The Gateway API CRDs (gatewayapi/observe.ts); absent when the cluster could not be read. */
  gatewayApi?: GatewayApiObserved;
}

export interface Expected {
  /** The control plane's objects for the desired version and overlay, when known. */
  controlPlane?: ObjectRef[];
  /** Its rendered manifest is on disk. */
  controlPlaneManifest?: boolean;
  /** Each addon's objects, when its manifest is at hand. */
  addons: Map<string, ObjectRef[]>;
  /** The objects of the wanted Gateway API bundle, when it is cached. */
  gatewayApi?: BundleObject[];
}

const metadataOnly = (k: ApiKind): ApiKind => ({ ...k, metadataOnly: true });

/** Every kind meshup owns objects of: the control plane's and the addons'. Read in one round, so
 * the read does not depend on the spec (and can start before it is final). Of most kinds only
 * names, labels and annotations are compared (presence and meshup's content hash); workloads,
 * Services, Pods and nodes are read whole for their status. */
const OWNED_KINDS: readonly ApiKind[] = [
  BUILTIN.nodes,
  metadataOnly(BUILTIN.namespaces),
  BUILTIN.deployments,
  BUILTIN.statefulsets,
  BUILTIN.daemonsets,
  BUILTIN.services,
  BUILTIN.pods,
  metadataOnly(BUILTIN.configmaps),
  metadataOnly(BUILTIN.serviceaccounts),
  metadataOnly(BUILTIN.roles),
  metadataOnly(BUILTIN.rolebindings),
  metadataOnly(BUILTIN.clusterroles),
  metadataOnly(BUILTIN.clusterrolebindings),
  metadataOnly(BUILTIN.mutatingwebhookconfigurations),
  metadataOnly(BUILTIN.validatingwebhookconfigurations),
  metadataOnly(BUILTIN.poddisruptionbudgets),
  metadataOnly(BUILTIN.horizontalpodautoscalers),
];
/** Istio's custom resources meshup sets: the tracing Telemetry (its hash) and the mesh-wide
 * PeerAuthentication (its mode). Versions older than these (Istio before 1.22) read through kubectl. */
const CUSTOM: readonly ApiKind[] = [
  { group: 'telemetry.istio.io', version: 'v1', resource: 'telemetries', kind: 'Telemetry', namespaced: true, metadataOnly: true },
  { group: 'security.istio.io', version: 'v1', resource: 'peerauthentications', kind: 'PeerAuthentication', namespaced: true },
];
/** CRDs are read by name only (with the Gateway API's release annotations and meshup's mark on
 * them): their schemas are most of a full read's bytes, and a missing CRD is what matters. */
const CRDS = metadataOnly(BUILTIN.customresourcedefinitions);

async function crdNames(runner: Runner): Promise<KubeObject[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['get', kubectlResource(CRDS), '-o', CRD_COLUMNS, '--no-headers'],
    step: 'Reading CRDs',
    timeoutMs: 30_000,
  });
  return parseCrdRows(r.stdout);
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
}

export const emptyObserved = (cluster: ClusterStatus): Observed => ({
  cluster,
  reachable: false,
  nodes: [],
  namespaces: [],
  istio: { present: false, missing: [], notReady: [], verified: true, manifestCached: false, objects: [] },
  addons: {},
});

function workloadReady(o: KubeObject): boolean {
  const spec = (o.spec ?? {}) as { replicas?: number };
  const st = (o.status ?? {}) as { readyReplicas?: number; numberReady?: number; desiredNumberScheduled?: number };
  if (o.kind === 'DaemonSet') return (st.numberReady ?? 0) >= (st.desiredNumberScheduled ?? 1);
  return (st.readyReplicas ?? 0) >= (spec.replicas ?? 1);
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Reads everything in one round. The provider is asked at the same time: on a cluster that is
 * absent the reads fail and are dropped. */
export async function readCluster(runner: Runner, spec: Spec, provider: Provider): Promise<ClusterRead> {
  const kinds = OWNED_KINDS.map(kubectlResource);
  const readable = new Set([...kinds, kubectlResource(CRDS)]);
  const settle = <T>(p: Promise<T>) =>
    p.then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
  // Straight from the API server where the kubeconfig allows (tools/kubeapi.ts), else kubectl.
  const readOwned = async () => {
    const direct = await listDirect(runner, [...OWNED_KINDS, CRDS], { namespace: ISTIO_NAMESPACE }, 'Reading the cluster');
    // CRDs keep only what the kubectl read's columns hold, so both reads observe the same.
    if (direct) return { main: direct.filter((o) => o.kind !== CRDS.kind), crds: direct.filter((o) => o.kind === CRDS.kind).map(crdColumns) };
    const [main, crds] = await Promise.all([
      settle(getJson<KubeList<KubeObject>>(runner, ['get', kinds.join(','), '-n', ISTIO_NAMESPACE], 'Reading the cluster')),
      settle(crdNames(runner)),
    ]);
    if (!main.ok) throw main.e;
    return { main: main.v?.items ?? [], crds: crds.ok ? crds.v : undefined };
  };
  const readCustoms = async () =>
    (await listDirect(runner, CUSTOM, { namespace: ISTIO_NAMESPACE }, 'Reading Istio resources')) ??
    // Istio's CRDs may be missing (not installed yet, or deleted): then so are these objects.
    (await getJson<KubeList<KubeObject>>(runner, ['get', CUSTOM.map(kubectlResource).join(','), '-n', ISTIO_NAMESPACE], 'Reading Istio resources'))?.items ??
    [];
  const reads = () => Promise.all([settle(readOwned()), settle(readCustoms()), settle(readAppliedSpec(runner))]);
  const statusRead = settle(provider.status(runner, spec));
  const hostPortsRead = settle(provider.hostPortMappings ? provider.hostPortMappings(runner, spec) : Promise.resolve(undefined));
  // Without its context in the kubeconfig the reads would fail at once: they wait for the
  // provider's word that the cluster exists, so a run that creates it starts it sooner.
  const context = runner.context;
  let reading = context && kubeconfigHasContext(runner.env, context) === false ? undefined : reads();
  const status = await statusRead;
  if (!status.ok) throw status.e;
  let cluster: ClusterStatus = status.v;
  const none = { items: [], customs: [], kinds: readable };
  if (cluster.state === 'absent') return { cluster, ...none };
  reading ??= reads();
  const [[owned, custom, recorded], hostPorts] = await Promise.all([reading, hostPortsRead]);
  if (!owned.ok) {
    const e = owned.e;
    if (!(e instanceof MeshupError) || e.exitCode === 130) throw e;
    const said = [e.message, ...e.details].join('\n');
    // It runs, but its context is gone (deleted by hand): a provider that can write it back will.
    if (cluster.state === 'running' && /kube context does not exist|context was not found|context "[^"]*" does not exist/i.test(said)) {
      cluster = { state: 'running', contextMissing: true, detail: 'its kube context is missing from the kubeconfig' };
    } else if (cluster.state === 'running') {
      // The provider says it runs, but its API server does not answer: that is a broken cluster.
      cluster = { state: 'broken', detail: e.message };
    }
    return { cluster, ...none };
  }
  return {
    cluster,
    items: [...owned.v.main, ...(owned.v.crds ?? [])],
    customs: custom.ok ? custom.v : [],
    recorded: recorded.ok ? recorded.v : undefined,
    kinds: readable,
    hostPorts: hostPorts.ok ? hostPorts.v : undefined,
    crdsRead: !!owned.v.crds,
  };
}

/** Compares what was read with what is expected. Pure. */
export function evaluate(read: ClusterRead, catalog: Map<string, Addon>, expected: Expected): Observed {
  if (!read.items.length) return { ...emptyObserved(read.cluster), recorded: read.recorded, hostPorts: read.hostPorts };
  const { items, customs, cluster } = read;
  const checkable = (r: ObjectRef) => read.kinds.has(resourceOf(r));
  const byKey = new Map(items.map((o) => [refKey({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }), o]));
  const nodes = parseNodes({ items: items.filter((o) => o.kind === 'Node') });
  const namespaces = items.filter((o) => o.kind === 'Namespace');
  const inIstio = items.filter((o) => o.metadata.namespace === ISTIO_NAMESPACE);

  const istiod = byKey.get(refKey({ kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'istiod' }));
  const ownWorkloads = inIstio.filter((o) => WORKLOADS.has(o.kind ?? '') && !o.metadata.labels?.[ADDON_LABEL]);
  const istio = {
    present: !!istiod,
    missing: (expected.controlPlane ?? []).filter((r) => checkable(r) && !byKey.has(refKey(r))),
    notReady: ownWorkloads.filter((o) => !workloadReady(o)).map((o) => `${o.kind!.toLowerCase()}/${o.metadata.name}`),
    verified: !!expected.controlPlane,
    manifestCached: !!expected.controlPlaneManifest,
    objects: inIstio.filter((o) => WORKLOADS.has(o.kind ?? '') || o.kind === 'Service' || o.kind === 'Pod'),
  };

  const addons: Record<string, AddonObserved> = {};
  for (const a of catalog.values()) {
    const labelled = items.filter((o) => o.metadata.labels?.[ADDON_LABEL] === a.name);
    const refs = expected.addons.get(a.name);
    const missing: ObjectRef[] = [];
    const changed: ObjectRef[] = [];
    for (const r of refs ?? []) {
      if (!checkable(r)) continue;
      const o = byKey.get(refKey(r));
      if (!o) missing.push(r);
      // CRDs are read by name only (see CRDS): present is all that is known of them.
      else if (r.hash && r.kind !== 'CustomResourceDefinition' && o.metadata.annotations?.[HASH_ANNOTATION] !== r.hash) changed.push(r);
    }
    const notReady = a.workloads.filter((w) => {
      const [kind, name] = w.split('/');
      const o = labelled.find((x) => x.kind?.toLowerCase() === kind && x.metadata.name === name);
      return !o || !workloadReady(o);
    });
    const kinds = [...new Set((refs ?? []).filter((r) => r.kind !== 'CustomResourceDefinition').map(resourceOf))];
    addons[a.name] = { present: labelled.length > 0, missing, changed, notReady, verified: !!refs, kinds };
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
    istio,
    addons,
    telemetry: telemetry ? { hash: telemetry.metadata.annotations?.[HASH_ANNOTATION] } : undefined,
    peerAuthentication: pa
      ? {
          mode: ((pa.spec ?? {}) as { mtls?: { mode?: string } }).mtls?.mode?.toLowerCase(),
          managed: pa.metadata.labels?.['app.kubernetes.io/managed-by'] === 'meshup',
        }
      : undefined,
    gatewayApi: read.crdsRead === false ? undefined : observeGatewayApi(items, expected.gatewayApi),
  };
}
