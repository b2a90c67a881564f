// Fetches what resolveIngress reads, with as few calls as the topology needs.
import type { Options } from '../config/resolve.js';
import type { Runner } from '../exec/runner.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { getNodes, getObject, listObjects, type KubeObject, type NodeInfo } from '../tools/kubectl.js';
import { minikubeIp, minikubeProfiles } from '../tools/minikube.js';
import { resolveIngress, type IngressResult } from './resolve.js';

export interface Known {
  nodes?: NodeInfo[];
  /** istio-system objects already read (Services and Pods among them). */
  istio?: KubeObject[];
}

export async function lookupIngress(runner: Runner, o: Options, context: string, known: Known = {}): Promise<IngressResult> {
  const service = known.istio
    ? known.istio.find((x) => x.kind === 'Service' && x.metadata.name === 'istio-ingressgateway')
    : await getObject(runner, 'service', 'istio-ingressgateway', ISTIO_NAMESPACE);
  const lbReady = !!((service?.status ?? {}) as { loadBalancer?: { ingress?: unknown[] } }).loadBalancer?.ingress?.length;
  const needNode = !!service && !lbReady && o.provider !== 'kind' && o.provider !== 'minikube';
  const [pods, nodes, mkIp, mkProfiles] = await Promise.all([
    !needNode
      ? Promise.resolve([] as KubeObject[])
      : known.istio
        ? Promise.resolve(known.istio.filter((x) => x.kind === 'Pod' && x.metadata.labels?.istio === 'ingressgateway'))
        : listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE, selector: 'istio=ingressgateway' }),
    needNode && !known.nodes ? getNodes(runner) : Promise.resolve(known.nodes ?? []),
    service && !lbReady && o.provider === 'minikube' ? minikubeIp(runner, o.clusterName).catch(() => undefined) : Promise.resolve(undefined),
    service && !lbReady && o.provider === 'minikube' && process.platform !== 'linux' ? minikubeProfiles(runner).catch(() => []) : Promise.resolve([]),
  ]);
  return resolveIngress({
    provider: o.provider!,
    platform: process.platform,
    context,
    clusterName: o.clusterName,
    service,
    nodes,
    gatewayPods: pods,
    gateway: o.gateway,
    minikubeIp: mkIp,
    minikubeDriver: mkProfiles.find((p) => p.name === o.clusterName)?.driver,
  });
}
