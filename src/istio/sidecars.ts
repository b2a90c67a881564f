// Which running pods lack a sidecar in namespaces that want one: injection happens only at pod
// creation, so labelling a namespace does nothing for what already runs (istio/istio#7866).
import type { KubeObject } from '../tools/kubectl.js';

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

export function podsWithoutSidecar(pods: KubeObject[], namespaces: ReadonlySet<string>): MissingSidecar[] {
  const out: MissingSidecar[] = [];
  for (const p of pods as PodLike[]) {
    const ns = p.metadata.namespace ?? '';
    if (!namespaces.has(ns) || p.status?.phase !== 'Running' || p.spec?.hostNetwork) continue;
    const optOut = p.metadata.labels?.['sidecar.istio.io/inject'] ?? p.metadata.annotations?.['sidecar.istio.io/inject'];
    if (optOut === 'false') continue;
    const names = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.name);
    if (names.includes('istio-proxy')) continue;
    const owner = p.metadata.ownerReferences?.[0];
    let workload: string | undefined;
    if (owner?.kind === 'ReplicaSet') workload = `deployment/${owner.name.replace(/-[a-z0-9]+$/, '')}`;
    else if (owner?.kind === 'StatefulSet') workload = `statefulset/${owner.name}`;
    else if (owner?.kind === 'DaemonSet') workload = `daemonset/${owner.name}`;
    out.push({ namespace: ns, pod: p.metadata.name, workload });
  }
  return out;
}
