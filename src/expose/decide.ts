// Which way `meshup expose` goes into the mesh, and which nodePort the shared Gateway API gateway
// may pin. Pure: it reads facts already gathered, so every case is a table row in the tests.

import { MeshupError, UsageError } from '../errors.js';
import type { KubeObject } from '../kube/objects.js';
import { SHARED_GATEWAY, SHARED_GATEWAY_SERVICE } from './objects.js';

export type ExposeApi = 'gateway' | 'istio';

export interface ApiFacts {
  /** --api, when given. */
  flag?: ExposeApi;
  /** The mesh's dataplane mode as recorded; missing means sidecar. */
  dataplane?: string;
  /** The Gateway API's Gateway and HTTPRoute CRDs are served. */
  gatewayApi: boolean;
  /** istio-system/istio-ingressgateway exists. */
  classicGateway: boolean;
  /** Another Service holds the nodePort the shared gateway would pin ("namespace/name"). */
  pinHeldBy?: string;
  /** The provider maps host ports onto the pinned nodePorts (kind): without them, no host URL. */
  mapsHostPorts: boolean;
}

export interface ApiChoice {
  api: ExposeApi;
  /** Why this API, for the output and --json. */
  why: string;
}

const SHARED = `${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY.name}`;
const INSTALL_GATEWAY_API = "Install the Gateway API CRDs: meshup up (it installs the version the mesh's Istio release expects)";

export function chooseApi(f: ApiFacts): ApiChoice {
  const ambient = f.dataplane === 'ambient';
  if (f.flag === 'istio') {
    if (!f.classicGateway) {
      throw new UsageError('--api istio routes through istio-system/istio-ingressgateway, and this mesh has none', {
        fix: [
          f.gatewayApi ? `Use --api gateway (the default here): meshup deploys a Gateway API gateway, ${SHARED}` : INSTALL_GATEWAY_API,
          ambient
            ? 'An ambient mesh has no ingress gateway of its own; the Gateway API is its way in'
            : 'or install a profile with an ingress gateway: meshup up --profile default',
        ],
      });
    }
    return { api: 'istio', why: '--api istio' };
  }
  if (f.flag === 'gateway') {
    if (!f.gatewayApi) throw new UsageError('--api gateway needs the Kubernetes Gateway API CRDs, and this cluster has none', { fix: gatewayApiFix(f) });
    return { api: 'gateway', why: '--api gateway' };
  }
  if (ambient) {
    if (!f.gatewayApi)
      throw new MeshupError('An ambient mesh is exposed through the Kubernetes Gateway API, and this cluster has no Gateway API CRDs', {
        fix: INSTALL_GATEWAY_API,
      });
    return { api: 'gateway', why: 'the mesh is ambient' };
  }
  if (f.gatewayApi) {
    // Where kind maps the pinned nodePort to the host, a second gateway without it would have no
    // URL on this machine; istio-ingressgateway already answers there, so it stays the way in.
    if (f.pinHeldBy && f.classicGateway && f.mapsHostPorts) {
      return {
        api: 'istio',
        why: `${f.pinHeldBy} holds the nodePort the host port is mapped to, and two Services cannot share one (--api gateway deploys ${SHARED} without it)`,
      };
    }
    return { api: 'gateway', why: 'the Gateway API CRDs are installed' };
  }
  if (!f.classicGateway) {
    throw new MeshupError('This mesh has no way in: no istio-system/istio-ingressgateway, and no Gateway API CRDs for a gateway of its own', {
      fix: [INSTALL_GATEWAY_API, 'or install a profile with an ingress gateway: meshup up --profile default'],
    });
  }
  return { api: 'istio', why: 'no Gateway API CRDs are installed' };
}

function gatewayApiFix(f: ApiFacts): string[] {
  return f.classicGateway ? [INSTALL_GATEWAY_API, 'or use --api istio (istio-ingressgateway is installed)'] : [INSTALL_GATEWAY_API];
}

interface ServicePort {
  port: number;
  nodePort?: number;
}

/** The Service other than the shared gateway's own that holds a nodePort, as "namespace/name". */
export function nodePortHolder(services: KubeObject[], nodePort: number): string | undefined {
  const holder = services.find(
    (s) =>
      !(s.metadata.name === SHARED_GATEWAY_SERVICE && s.metadata.namespace === SHARED_GATEWAY.namespace) &&
      (((s.spec ?? {}) as { ports?: ServicePort[] }).ports ?? []).some((p) => p.nodePort === nodePort),
  );
  return holder && `${holder.metadata.namespace}/${holder.metadata.name}`;
}
