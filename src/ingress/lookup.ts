// Fetches what resolveIngress reads, with as few calls as the provider's way of reaching the
// gateway needs.
import type { Spec } from '../config/spec.js';
import type { Runner } from '../exec/runner.js';
import { SHARED_GATEWAY, SHARED_GATEWAY_SERVICE } from '../expose/objects.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import type { KubeObject, NodeInfo } from '../kube/objects.js';
import type { PortMapping, Provider } from '../providers/types.js';
import { getNodes, getObject, listObjects } from '../tools/kubectl.js';
import { type IngressResult, resolveIngress } from './resolve.js';

export interface Known {
  nodes?: NodeInfo[];
  /** istio-system objects already read (Services and Pods among them). */
  istio?: KubeObject[];
  hostPorts?: PortMapping[];
}

/** A Kubernetes Gateway API gateway, by name: istiod deploys it as the Service NAME-istio. */
export interface GatewayRef {
  name: string;
  namespace: string;
}

export async function lookupIngress(
  runner: Runner,
  spec: Spec,
  provider: Provider,
  context: string,
  known: Known = {},
  asked?: GatewayRef,
): Promise<IngressResult> {
  let gateway = asked;
  let service = gateway
    ? ((await getObject(runner, 'service', `${gateway.name}-istio`, gateway.namespace)) ??
      (await getObject(runner, 'service', gateway.name, gateway.namespace)))
    : known.istio
      ? known.istio.find((x) => x.kind === 'Service' && x.metadata.name === 'istio-ingressgateway')
      : await getObject(runner, 'service', 'istio-ingressgateway', ISTIO_NAMESPACE);
  // No istio-ingressgateway (an ambient or minimal mesh): the Gateway API gateway meshup deploys.
  if (!service && !gateway) {
    const shared = await getObject(runner, 'service', SHARED_GATEWAY_SERVICE, SHARED_GATEWAY.namespace);
    if (shared) {
      gateway = SHARED_GATEWAY;
      service = shared;
    }
  }
  const lbReady = !!((service?.status ?? {}) as { loadBalancer?: { ingress?: unknown[] } }).loadBalancer?.ingress?.length;
  // Node addresses matter only where the gateway is reached through one (on kind, a nodePort no
  // host port is mapped onto).
  const needNode = !!service && !lbReady && (provider.ingress === 'node-address' || provider.ingress === 'host-port-mapping');
  const podSelector = gateway ? `gateway.networking.k8s.io/gateway-name=${gateway.name}` : 'istio=ingressgateway';
  const [pods, nodes, machine, hostPorts] = await Promise.all([
    !needNode
      ? Promise.resolve([] as KubeObject[])
      : known.istio && !gateway
        ? Promise.resolve(known.istio.filter((x) => x.kind === 'Pod' && x.metadata.labels?.istio === 'ingressgateway'))
        : listObjects(runner, 'pods', { namespace: gateway?.namespace ?? ISTIO_NAMESPACE, selector: podSelector }),
    needNode && !known.nodes ? getNodes(runner) : Promise.resolve(known.nodes ?? []),
    service && !lbReady && provider.machineAddress ? provider.machineAddress(runner, spec) : Promise.resolve(undefined),
    known.hostPorts
      ? Promise.resolve(known.hostPorts)
      : service && !lbReady && provider.hostPortMappings
        ? provider.hostPortMappings(runner, spec).catch(() => undefined)
        : Promise.resolve(undefined),
  ]);
  return resolveIngress({
    reach: provider.ingress,
    providerName: provider.name,
    platform: process.platform,
    context,
    clusterName: spec.clusterName,
    service,
    nodes,
    gatewayPods: pods,
    gateway: spec.gateway,
    machineIp: machine?.ip,
    machineDriver: machine?.driver,
    gatewayName: gateway ? `${gateway.namespace}/${gateway.name}` : undefined,
    hostPorts,
  });
}
