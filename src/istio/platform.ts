// Which of the platforms Istio has a global.platform value for a cluster runs on, read from its
// nodes. Ambient mode's istio-cni writes into the node's CNI directories, and these platforms keep
// them elsewhere (istio.io docs, "Platform-Specific Prerequisites"); kind and plain clusters need
// no value.
import type { ISTIO_PLATFORMS } from '../config/schema.js';
import type { NodeInfo } from '../kube/objects.js';

type Platform = (typeof ISTIO_PLATFORMS)[number];

export function detectPlatform(nodes: readonly NodeInfo[]): Platform | undefined {
  for (const n of nodes) {
    const l = n.labels;
    if (l['minikube.k8s.io/name']) return 'minikube';
    if (l['node.openshift.io/os_id']) return 'openshift';
    if (l['microk8s.io/cluster']) return 'microk8s';
    // k3d runs k3s in containers named k3d-<cluster>-…; Istio has a value for each.
    if (n.kubeletVersion.includes('+k3s')) return n.name.startsWith('k3d-') ? 'k3d' : 'k3s';
    if (/-gke\./.test(n.kubeletVersion)) return 'gke';
  }
  return undefined;
}
