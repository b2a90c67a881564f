// Waypoints: the L7 proxies of ambient mode. A waypoint is a Gateway API Gateway of class
// istio-waypoint with one HBONE listener on 15008 (what `istioctl waypoint generate` writes, see
// istioctl/pkg/waypoint in Istio 1.31); istiod deploys it. meshup writes the object itself, so it
// can carry meshup's labels, and marks the namespace label it sets, so `remove` and `down` take
// away only what meshup made.
import type { Runner } from '../exec/runner.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { apply, deleteObjects, label, listObjects } from '../tools/kubectl.js';
import { MANAGED_BY } from './labels.js';

const WAYPOINT_CLASS = 'istio-waypoint';
export const GATEWAYS = 'gateways.gateway.networking.k8s.io';
/** The namespace label that routes a namespace's traffic through a waypoint. */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** Which traffic a waypoint handles: service, workload, all or none (istiod's default: service). */
const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
export const WAYPOINT_TRAFFIC = ['service', 'workload', 'all', 'none'] as const;
/** On objects and namespace labels meshup made for a waypoint. */
export const WAYPOINT_MARKER = 'meshup.dev/waypoint';

function waypointObject(namespace: string, name: string, traffic?: (typeof WAYPOINT_TRAFFIC)[number]): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name,
      namespace,
      labels: { ...MANAGED_BY, [WAYPOINT_MARKER]: 'true', ...(traffic ? { [WAYPOINT_FOR_LABEL]: traffic } : {}) },
    },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  };
}

export interface WaypointInfo {
  namespace: string;
  name: string;
  traffic: string;
  programmed: boolean;
  setBy: 'meshup' | 'user';
  /** Namespaces whose use-waypoint label names it. */
  usedBy: string[];
}

const isWaypoint = (g: KubeObject) => (g.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName === WAYPOINT_CLASS;

export async function listWaypoints(runner: Runner, namespace?: string): Promise<WaypointInfo[]> {
  const [gateways, namespaces] = await Promise.all([
    listObjects(runner, GATEWAYS, namespace ? { namespace } : { allNamespaces: true }),
    listObjects(runner, 'namespaces'),
  ]);
  return gateways.filter(isWaypoint).map((g) => {
    const conditions = ((g.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []) as { type: string; status: string }[];
    const ns = g.metadata.namespace ?? '';
    return {
      namespace: ns,
      name: g.metadata.name,
      traffic: g.metadata.labels?.[WAYPOINT_FOR_LABEL] ?? 'service',
      programmed: conditions.some((c) => c.type === 'Programmed' && c.status === 'True'),
      setBy: claimOf(g, { label: WAYPOINT_MARKER }) === 'ours' ? 'meshup' : 'user',
      usedBy: namespaces.filter((n) => n.metadata.name === ns && n.metadata.labels?.[USE_WAYPOINT_LABEL] === g.metadata.name).map((n) => n.metadata.name),
    };
  });
}

export async function applyWaypoint(runner: Runner, namespace: string, name: string, opts: { traffic?: (typeof WAYPOINT_TRAFFIC)[number]; enrol: boolean }) {
  await apply(runner, [waypointObject(namespace, name, opts.traffic)], `Applying waypoint ${namespace}/${name}`);
  if (opts.enrol) await label(runner, 'namespace', namespace, { [USE_WAYPOINT_LABEL]: name, [WAYPOINT_MARKER]: 'true' });
}

/** Removes a waypoint meshup made, and the namespace label meshup set for it. */
export async function removeWaypoint(runner: Runner, namespace: string, name: string, namespaceLabels: Record<string, string>) {
  if (namespaceLabels[WAYPOINT_MARKER] && namespaceLabels[USE_WAYPOINT_LABEL] === name) {
    await label(runner, 'namespace', namespace, { [USE_WAYPOINT_LABEL]: null, [WAYPOINT_MARKER]: null });
  }
  await deleteObjects(runner, [`${GATEWAYS}/${name}`], `Removing waypoint ${namespace}/${name}`, namespace);
}

/** Every waypoint meshup made, and its namespace labels: what `down --keep-cluster` takes away
 * before the control plane (istiod owns their Deployments). Returns what it removed. */
export async function removeAllWaypoints(runner: Runner): Promise<string[]> {
  const gateways = (await listObjects(runner, GATEWAYS, { allNamespaces: true, selector: `${WAYPOINT_MARKER}=true` }).catch(() => [] as KubeObject[])).filter(
    (g) => claimOf(g, { label: WAYPOINT_MARKER }) === 'ours',
  );
  const namespaces = await listObjects(runner, 'namespaces', { selector: `${WAYPOINT_MARKER}=true` }).catch(() => [] as KubeObject[]);
  for (const n of namespaces) await label(runner, 'namespace', n.metadata.name, { [USE_WAYPOINT_LABEL]: null, [WAYPOINT_MARKER]: null });
  for (const g of gateways) await deleteObjects(runner, [`${GATEWAYS}/${g.metadata.name}`], 'Removing waypoints', g.metadata.namespace);
  return gateways.map((g) => `waypoint ${g.metadata.namespace}/${g.metadata.name}`);
}
