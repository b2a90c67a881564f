// Which running pods lack a sidecar in namespaces that want one: injection happens only at pod
// creation, so labelling a namespace does nothing for what already runs (istio/istio#7866).
import type { KubeObject } from '../kube/objects.js';

export interface MissingSidecar {
  namespace: string;
  pod: string;
  /** kind/name of the workload to restart, when the pod has a controller meshup can restart. */
  workload?: string;
}

interface PodLike extends KubeObject {
  metadata: KubeObject['metadata'] & { ownerReferences?: { kind: string; name: string }[] };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[]; hostNetwork?: boolean };
  status?: { phase?: string };
}

function workloadOf(p: PodLike): string | undefined {
  const owner = p.metadata.ownerReferences?.[0];
  if (owner?.kind === 'ReplicaSet') return `deployment/${owner.name.replace(/-[a-z0-9]+$/, '')}`;
  if (owner?.kind === 'StatefulSet') return `statefulset/${owner.name}`;
  if (owner?.kind === 'DaemonSet') return `daemonset/${owner.name}`;
  return undefined;
}

const hasSidecar = (p: PodLike) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].some((c) => c.name === 'istio-proxy');

/** Running pods that carry a sidecar: in a namespace moving to ambient mode, they keep it (and
 * ztunnel skips them) until they are recreated. */
export function podsWithSidecar(pods: readonly KubeObject[], namespaces: ReadonlySet<string>): MissingSidecar[] {
  return (pods as PodLike[])
    .filter((p) => namespaces.has(p.metadata.namespace ?? '') && p.status?.phase === 'Running' && hasSidecar(p))
    .map((p) => ({ namespace: p.metadata.namespace ?? '', pod: p.metadata.name, workload: workloadOf(p) }));
}

export function podsWithoutSidecar(pods: readonly KubeObject[], namespaces: ReadonlySet<string>): MissingSidecar[] {
  const out: MissingSidecar[] = [];
  for (const p of pods as PodLike[]) {
    const ns = p.metadata.namespace ?? '';
    if (!namespaces.has(ns) || p.status?.phase !== 'Running' || p.spec?.hostNetwork) continue;
    const optOut = p.metadata.labels?.['sidecar.istio.io/inject'] ?? p.metadata.annotations?.['sidecar.istio.io/inject'];
    if (optOut === 'false') continue;
    if (hasSidecar(p)) continue;
    out.push({ namespace: ns, pod: p.metadata.name, workload: workloadOf(p) });
  }
  return out;
}
