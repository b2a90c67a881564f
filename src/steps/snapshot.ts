// One parallel round of reads after the cluster answers: the recorded spec, everything meshup
// looks at in istio-system, and the namespaces. The steps decide from it, so a converged
// cluster costs a handful of concurrent calls instead of a chain of them.
import type { Runner } from '../exec/runner.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { readAppliedSpec, type AppliedSpec } from '../state/record.js';
import { listObjects, parseNodes, type KubeObject, type NodeInfo } from '../tools/kubectl.js';

export interface Snapshot {
  applied?: AppliedSpec;
  /** Deployments, StatefulSets, DaemonSets, Services and Pods of istio-system. */
  istio: KubeObject[];
  namespaces: KubeObject[];
  nodes: NodeInfo[];
}

export async function readSnapshot(runner: Runner): Promise<Snapshot> {
  const [applied, istio, clusterScoped] = await Promise.all([
    readAppliedSpec(runner),
    listObjects(runner, 'deployments,statefulsets,daemonsets,services,pods', { namespace: ISTIO_NAMESPACE }),
    listObjects(runner, 'nodes,namespaces'),
  ]);
  return {
    applied,
    istio,
    namespaces: ofKind(clusterScoped, 'Namespace'),
    nodes: parseNodes({ items: ofKind(clusterScoped, 'Node') }),
  };
}

export const ofKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
