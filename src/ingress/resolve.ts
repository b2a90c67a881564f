// Where the ingress gateway answers from the user's machine, for each local topology, in the
// order that works (field notes: istio#27788, minikube#11193, kind#2720). Pure: it reads objects
// already fetched, so every topology is testable from recorded objects. Never waits on a
// pending LoadBalancer.

import type { Profile } from '../config/schema.js';
import { MeshupError } from '../errors.js';
import { SHARED_GATEWAY } from '../expose/objects.js';
import type { KubeObject, NodeInfo } from '../kube/objects.js';
import type { IngressReach, PortMapping } from '../providers/types.js';

export interface IngressInput {
  reach: IngressReach;
  /** For messages only. */
  providerName: string;
  platform: NodeJS.Platform;
  context: string;
  clusterName: string;
  service?: KubeObject;
  nodes: NodeInfo[];
  gatewayPods: KubeObject[];
  gateway: Profile['gateway'];
  machineIp?: string;
  machineDriver?: string;
  /** "namespace/name" of a Kubernetes Gateway API gateway, instead of Istio's ingress gateway. */
  gatewayName?: string;
  /** The host ports the cluster really maps (kind), read from it; the config says only what was asked. */
  hostPorts?: PortMapping[];
}

export interface IngressResult {
  /** The gateway's Service, "namespace/name". */
  service?: string;
  /** Its nodePorts for http and https, as the API server allocated them. */
  nodePort?: number;
  secureNodePort?: number;
  host?: string;
  port?: number;
  securePort?: number;
  url?: string;
  /** How the address was found, e.g. "kind port mapping". */
  how: string;
  reachable: boolean;
  message?: string;
  hint?: string;
}

interface Port {
  name?: string;
  port: number;
  nodePort?: number;
  appProtocol?: string;
}

const DESKTOPS = /^(docker-desktop|docker-for-desktop|rancher-desktop|orbstack)/;

export function resolveIngress(i: IngressInput): IngressResult {
  if (!i.service && i.gatewayName) {
    throw new MeshupError(`No Service for the gateway ${i.gatewayName} (istiod names it ${i.gatewayName.split('/').pop()}-istio)`, {
      fix: [
        'Check the Gateway exists and is of class istio: kubectl get gateways.gateway.networking.k8s.io -A',
        'istiod creates its Deployment and Service once the Gateway is accepted',
      ],
    });
  }
  if (!i.service) {
    throw new MeshupError(
      `No ingress gateway is installed (istio-system/istio-ingressgateway), and meshup has deployed no Gateway API gateway (${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY.name})`,
      {
        fix: [
          'Expose a Service, which deploys the Gateway API gateway where the Gateway API CRDs are installed: meshup expose SERVICE',
          'or use a profile with an ingress gateway: meshup up --profile default (minimal has none)',
          'or name a Gateway API gateway of your own: meshup ingress --gateway NAME -n NAMESPACE',
        ],
      },
    );
  }
  const spec = (i.service.spec ?? {}) as { ports?: Port[]; type?: string };
  const ports = spec.ports ?? [];
  // By name (istio-ingressgateway's http2 and https; a Gateway API Service's ports are named
  // after its listeners), then by protocol, then by the well-known port.
  const http =
    ports.find((p) => p.name === 'http2') ??
    ports.find((p) => p.name === 'http') ??
    ports.find((p) => p.appProtocol === 'http') ??
    ports.find((p) => p.port === 80);
  const https = ports.find((p) => p.name === 'https') ?? ports.find((p) => p.appProtocol === 'https') ?? ports.find((p) => p.port === 443);
  const lb = ((i.service.status ?? {}) as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }).loadBalancer?.ingress?.[0];
  const portForward = `kubectl --context ${i.context} port-forward -n ${i.service.metadata.namespace ?? 'istio-system'} svc/${i.service.metadata.name} 8080:${http?.port ?? 80}`;
  const known = {
    service: `${i.service.metadata.namespace ?? 'istio-system'}/${i.service.metadata.name}`,
    ...(http?.nodePort ? { nodePort: http.nodePort } : {}),
    ...(https?.nodePort ? { secureNodePort: https.nodePort } : {}),
  };

  // 1. A LoadBalancer address (cloud, MetalLB, Docker Desktop, or `minikube tunnel` → 127.0.0.1:80).
  const lbHost = lb?.ip ?? lb?.hostname;
  if (lbHost) return done(lbHost, http?.port, https?.port, 'LoadBalancer address');

  // 2. kind: host ports mapped at creation onto the pinned nodePorts.
  if (i.reach === 'host-port-mapping') {
    // What the cluster maps when that was read; else what the config asked for at creation.
    const mapped = (nodePort?: number) =>
      nodePort === undefined
        ? undefined
        : i.hostPorts
          ? i.hostPorts.find((m) => m.containerPort === nodePort)?.hostPort
          : nodePort === i.gateway.httpNodePort
            ? i.gateway.hostHttpPort
            : nodePort === i.gateway.httpsNodePort
              ? i.gateway.hostHttpsPort
              : undefined;
    const hostHttp = mapped(http?.nodePort);
    if (hostHttp) return done('127.0.0.1', hostHttp, mapped(https?.nodePort), 'kind port mapping');
    if (i.platform === 'linux') return viaNode('node address + nodePort (no kind port mapping for this nodePort)');
    return unreachable(
      'kind node addresses are unreachable from this OS and the cluster has no port mapping for the gateway',
      `Recreate the cluster with meshup (it maps ports at creation), or: ${portForward}`,
    );
  }

  // 3. minikube: its IP and the nodePort, except where the docker driver hides the node.
  if (i.reach === 'machine-address') {
    const hiddenNode = (i.platform === 'darwin' || i.platform === 'win32') && (i.machineDriver ?? 'docker') === 'docker';
    if (hiddenNode) {
      return unreachable(
        `minikube's node IP is unreachable from ${i.platform === 'darwin' ? 'macOS' : 'Windows'} with the docker driver`,
        `Run \`minikube tunnel -p ${i.clusterName}\` in another terminal, then \`meshup ingress\` again (the gateway gets 127.0.0.1); or: ${portForward}`,
      );
    }
    if (i.machineIp && http?.nodePort) return done(i.machineIp, http.nodePort, https?.nodePort, 'minikube ip + nodePort');
  }

  // A simulated cluster (kwok, or any cluster whose nodes are all kwok's): nodes and pods are
  // records, so nothing listens on any address.
  if (i.reach === 'simulated' || (i.nodes.length > 0 && i.nodes.every((n) => n.simulated))) {
    return unreachable(
      `the ${i.providerName} cluster is simulated: its gateway pod runs nothing, so no address answers${http?.nodePort ? ` (a real cluster would answer on nodePort ${http.nodePort})` : ''}`,
      'Use --provider kind or minikube for traffic; a simulated cluster checks configuration only',
    );
  }

  // 4. Docker Desktop-like clusters publish NodePorts on localhost.
  if (DESKTOPS.test(i.context) && http?.nodePort) return done('127.0.0.1', http.nodePort, https?.nodePort, 'localhost + nodePort');

  // 5. Anything else: the node the gateway runs on, and the nodePort.
  return viaNode('node address + nodePort');

  function viaNode(how: string): IngressResult {
    const podHost = i.gatewayPods.map((p) => ((p.status ?? {}) as { hostIP?: string }).hostIP).find(Boolean);
    const nodeIp = podHost ?? i.nodes.find((n) => n.ready && n.internalIP)?.internalIP ?? i.nodes.find((n) => n.internalIP)?.internalIP;
    if (!nodeIp || !http?.nodePort) {
      return unreachable('the gateway has no LoadBalancer address and no node address with a nodePort', portForward);
    }
    return done(nodeIp, http.nodePort, https?.nodePort, how);
  }

  function done(host: string, port: number | undefined, securePort: number | undefined, how: string): IngressResult {
    const p = port ?? 80;
    return { ...known, host, port: p, securePort, url: `http://${host.includes(':') ? `[${host}]` : host}${p === 80 ? '' : `:${p}`}`, how, reachable: true };
  }

  function unreachable(message: string, hint: string): IngressResult {
    return { ...known, how: 'unreachable', reachable: false, message, hint };
  }
}

/** The variables of Istio's docs, as lines a shell can eval. */
export function envLines(r: IngressResult): string[] {
  if (!r.reachable || !r.host) return [];
  const lines = [`export INGRESS_HOST=${r.host}`, `export INGRESS_PORT=${r.port}`];
  if (r.securePort) lines.push(`export SECURE_INGRESS_PORT=${r.securePort}`);
  lines.push(`export GATEWAY_URL=${r.host}:${r.port}`);
  return lines;
}
