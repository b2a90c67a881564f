// Whether the mesh works, not just whether its parts exist: a control plane with no ready istiod
// (whose injection webhook fails closed, so no new pod starts in an injected namespace, and whose
// proxies get no configuration), an ingress gateway with no ready pod, an ambient mesh whose
// ztunnel is not on every node. `status` and the end of `up` say so, each with its fix. Pure.
import type { Spec } from '../config/spec.js';
import { ISTIO_NAMESPACE, istiodName } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { readiness } from '../kube/readiness.js';

export interface Problem {
  message: string;
  fix: string;
}

const FIX = 'meshup up repairs what meshup applied; if it stays, see why with: kubectl -n istio-system describe';

/** The problems of istio-system's workloads (Deployments and DaemonSets, as read). */
export function meshProblems(spec: Spec, workloads: readonly KubeObject[]): Problem[] {
  const find = (kind: string, name: string) => workloads.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ISTIO_NAMESPACE);
  const problems: Problem[] = [];
  const down = (o: KubeObject | undefined) => !o || readiness(o).ready < 1;
  const istiod = find('Deployment', istiodName(spec.revision));
  if (down(istiod)) {
    problems.push({
      message: `istiod has no ready pod${istiod ? ` (${readiness(istiod).ready}/${readiness(istiod).wanted} ready)` : ' (its Deployment is missing)'}: no new pod can start in an injected namespace (the injection webhook fails closed) and proxies get no configuration`,
      fix: `${FIX} deployment/${istiodName(spec.revision)}`,
    });
  }
  if (spec.gateway.ingress) {
    const gw = find('Deployment', 'istio-ingressgateway');
    if (down(gw)) {
      problems.push({ message: 'istio-ingressgateway has no ready pod: nothing reaches the mesh from outside', fix: `${FIX} deployment/istio-ingressgateway` });
    }
  }
  if (spec.dataplane === 'ambient') {
    const ztunnel = find('DaemonSet', 'ztunnel');
    if (!ztunnel || !readiness(ztunnel).ok) {
      problems.push({ message: 'ztunnel is not ready on every node: ambient workloads there have no mesh traffic', fix: `${FIX} daemonset/ztunnel` });
    }
  }
  return problems;
}
