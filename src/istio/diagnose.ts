// Why the mesh is not ready, in words: istioctl only says "resources not ready after 5m0s".
// Reads the pods of a namespace and names each problem with a fix (istio/istio#31706, #11964).
import type { KubeObject } from '../kube/objects.js';

interface PodStatus {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: {
    name: string;
    ready: boolean;
    state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string } };
    lastState?: { terminated?: { reason?: string; exitCode?: number } };
  }[];
}

export function diagnosePods(pods: KubeObject[]): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    const st = (pod.status ?? {}) as PodStatus;
    const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const unschedulable = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unschedulable) {
      const msg = unschedulable.message ?? unschedulable.reason ?? 'unschedulable';
      if (/Insufficient (cpu|memory)/.test(msg)) {
        out.push(
          `${name} is Pending: ${msg}. Fix: use --profile demo (small requests) or give the cluster more CPU/memory (--cpus, --memory, or Docker's settings)`,
        );
      } else {
        out.push(`${name} is Pending: ${msg}`);
      }
      continue;
    }
    for (const c of st.containerStatuses ?? []) {
      const reason = c.state?.waiting?.reason;
      if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull') {
        out.push(
          `${name}: container ${c.name} cannot pull its image (${c.state?.waiting?.message ?? reason}). Fix: check the cluster's network and proxy settings, and that the image exists for this CPU architecture`,
        );
      } else if (reason === 'CrashLoopBackOff') {
        out.push(
          `${name}: container ${c.name} keeps crashing (last exit ${c.lastState?.terminated?.exitCode ?? '?'}). See: kubectl logs -n ${pod.metadata.namespace} ${pod.metadata.name} -c ${c.name} --previous`,
        );
      } else if (!c.ready && c.name === 'istio-proxy') {
        out.push(
          `${name}: its istio-proxy is not ready, usually because it cannot reach istiod. See: kubectl logs -n ${pod.metadata.namespace} ${pod.metadata.name} -c istio-proxy`,
        );
      } else if (!c.ready) {
        out.push(`${name}: container ${c.name} is not ready${reason ? ` (${reason})` : ''}`);
      }
    }
  }
  return out;
}
