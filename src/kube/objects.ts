// Kubernetes objects as meshup reads them, and what can be told from one without asking anything:
// a node's facts, a Deployment's rollout. Pure: no I/O.
import { parseKubeCpuMillis, parseKubeMemoryMiB } from '../config/quantity.js';

export interface KubeList<T> {
  items: T[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    creationTimestamp?: string;
    /** Set once a delete was asked for: the object is on its way out (a namespace: Terminating). */
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
  [k: string]: unknown;
}

export interface NodeInfo {
  name: string;
  ready: boolean;
  cpuMillis: number;
  memoryMiB: number;
  internalIP?: string;
  hostname?: string;
  kubeletVersion: string;
  labels: Record<string, string>;
  /** A kwok node: a record with nothing behind it (no kubelet, no address that answers). */
  simulated: boolean;
}

export function parseNodes(list: KubeList<KubeObject>): NodeInfo[] {
  return list.items.map((n) => {
    const status = (n.status ?? {}) as {
      conditions?: { type: string; status: string }[];
      allocatable?: Record<string, string>;
      addresses?: { type: string; address: string }[];
      nodeInfo?: { kubeletVersion?: string };
    };
    return {
      name: n.metadata.name,
      ready: status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      cpuMillis: parseKubeCpuMillis(status.allocatable?.cpu ?? '0'),
      memoryMiB: parseKubeMemoryMiB(status.allocatable?.memory ?? '0'),
      internalIP: status.addresses?.find((a) => a.type === 'InternalIP')?.address,
      hostname: status.addresses?.find((a) => a.type === 'Hostname')?.address,
      kubeletVersion: status.nodeInfo?.kubeletVersion ?? '',
      labels: n.metadata.labels ?? {},
      simulated: n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake',
    };
  });
}

/** Where a Deployment's rollout stands, as `kubectl rollout status` judges it (kubectl's
 * DeploymentStatusViewer): done, still waiting (and for what), or failed. */
export function deploymentRollout(d: KubeObject): { done: boolean; waiting?: string; failed?: string } {
  const name = d.metadata.name;
  const generation = (d.metadata as { generation?: number }).generation ?? 0;
  const spec = (d.spec ?? {}) as { replicas?: number };
  const st = (d.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; reason?: string }[];
  };
  if (generation > (st.observedGeneration ?? 0)) return { done: false, waiting: `deployment ${name}: spec update not observed yet` };
  if (st.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'))
    return { done: false, failed: `deployment "${name}" exceeded its progress deadline` };
  const updated = st.updatedReplicas ?? 0;
  if (spec.replicas !== undefined && updated < spec.replicas)
    return { done: false, waiting: `deployment ${name}: ${updated} out of ${spec.replicas} new replicas have been updated` };
  if ((st.replicas ?? 0) > updated) return { done: false, waiting: `deployment ${name}: ${(st.replicas ?? 0) - updated} old replicas are pending termination` };
  if ((st.availableReplicas ?? 0) < updated)
    return { done: false, waiting: `deployment ${name}: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available` };
  return { done: true };
}
