// The objects `meshup expose` creates, for each of the two ways into the mesh. Pure: the command
// decides which and applies them; the tests compare them whole.
//
// Istio's own API: a Gateway bound to istio-system/istio-ingressgateway and a VirtualService,
// both named meshup-SERVICE in the Service's namespace.
//
// The Kubernetes Gateway API: one Gateway all exposed Services share, and an HTTPRoute per
// Service in the Service's namespace. istiod deploys a Gateway of class istio itself, as a
// Deployment and a Service named NAME-istio. The gateway is shared because that Service's pinned
// nodePort (the one kind maps to a host port) can belong to one Service only. It lives in its
// own namespace, istio-ingress (the name Istio's docs give gateway namespaces), rather than in
// istio-system: the gateway's workload, service account and any TLS secrets stay apart from the
// control plane's, and its pod is never counted as part of the control plane meshup checks.

import { EXPOSE_LABEL, MANAGED_BY } from '../istio/labels.js';

type Obj = Record<string, unknown>;

/** The Gateway API gateway meshup deploys and every `meshup expose --api gateway` route uses. */
export const SHARED_GATEWAY = { name: 'meshup-ingress', namespace: 'istio-ingress' } as const;
/** The Service istiod creates for it. */
export const SHARED_GATEWAY_SERVICE = `${SHARED_GATEWAY.name}-istio`;
/** The ConfigMap that customises that Service (spec.infrastructure.parametersRef). */
export const SHARED_GATEWAY_OPTIONS = `${SHARED_GATEWAY.name}-options`;
/** The EXPOSE_LABEL value of the shared gateway, its options and its namespace. */
const SHARED_VALUE = 'shared';

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** kubectl's fully qualified names: both APIs have a kind called Gateway. */
export const KINDS = {
  httpRoute: `httproutes.${GATEWAY_API_GROUP}`,
  gateway: `gateways.${GATEWAY_API_GROUP}`,
  gatewayClass: `gatewayclasses.${GATEWAY_API_GROUP}`,
  istioGateway: 'gateways.networking.istio.io',
  virtualService: 'virtualservices.networking.istio.io',
} as const;

export const routeName = (service: string) => `meshup-${service}`;

export interface Route {
  service: string;
  namespace: string;
  port: number;
  /** "*" for any host. */
  host: string;
  /** A path prefix, starting with "/". */
  path: string;
}

const labelsFor = (value: string) => ({ ...MANAGED_BY, [EXPOSE_LABEL]: value });

/** Istio's Gateway and VirtualService, bound to the ingress gateway istioctl installs. */
export function istioRouteObjects(r: Route): Obj[] {
  const name = routeName(r.service);
  const metadata = { name, namespace: r.namespace, labels: labelsFor(r.service) };
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata,
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [r.host] }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata,
      spec: {
        hosts: [r.host],
        gateways: [name],
        http: [
          {
            match: [{ uri: { prefix: r.path } }],
            route: [{ destination: { host: `${r.service}.${r.namespace}.svc.cluster.local`, port: { number: r.port } } }],
          },
        ],
      },
    },
  ];
}

export interface SharedGatewayOptions {
  /** The nodePort to pin the http listener's port to; none lets the API server pick. */
  httpNodePort?: number;
  /** Create the namespace too (only when it does not exist: a namespace meshup did not create is
   * never labelled as meshup's, so it is never deleted by meshup). */
  createNamespace: boolean;
}

/**
 * The shared gateway: its namespace when new, the ConfigMap that pins its Service's nodePort, and
 * the Gateway. Only an http listener: an https one needs a certificate, which meshup has none of.
 *
 * How Istio 1.31 lets a Gateway shape the Service istiod renders for it
 * (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go in the istio.io/istio module:
 * configureIstioGateway, render, applyOverlay, fetchParameters):
 * - the annotation networking.istio.io/service-type sets the type, and nothing else;
 * - spec.infrastructure.parametersRef may name a ConfigMap (group "", kind ConfigMap) in the
 *   Gateway's namespace; its "service" key is a strategic merge patch onto the rendered Service,
 *   so ports merge by port number and a nodePort can be set. Keys other than deployment, service,
 *   serviceAccount, horizontalPodAutoscaler and podDisruptionBudget fail the render, and so does
 *   a missing ConfigMap: it is applied before the Gateway, in the same call;
 * - the Gateway's labels are copied onto what istiod creates unless spec.infrastructure.labels is
 *   set; it is, so istiod's Deployment and Service say which gateway they serve without claiming
 *   meshup manages them.
 * The Service stays a LoadBalancer, as istio-ingressgateway is: its nodePorts work without a load
 * balancer, and `minikube tunnel` or a desktop cluster can still give it an address.
 */
export function sharedGatewayObjects(o: SharedGatewayOptions): Obj[] {
  const { name, namespace } = SHARED_GATEWAY;
  const labels = labelsFor(SHARED_VALUE);
  const objects: Obj[] = [];
  if (o.createNamespace) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
  if (o.httpNodePort !== undefined) {
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: SHARED_GATEWAY_OPTIONS, namespace, labels },
      data: { service: serviceOverlay(o.httpNodePort) },
    });
  }
  objects.push({
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name, namespace, labels },
    spec: {
      gatewayClassName: 'istio',
      infrastructure: {
        labels: { [EXPOSE_LABEL]: SHARED_VALUE },
        ...(o.httpNodePort !== undefined ? { parametersRef: { group: '', kind: 'ConfigMap', name: SHARED_GATEWAY_OPTIONS } } : {}),
      },
      listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }],
    },
  });
  return objects;
}

/** The "service" key of the options ConfigMap, as YAML text (a ConfigMap holds strings). */
export function serviceOverlay(httpNodePort: number): string {
  return `spec:\n  ports:\n    - name: http\n      port: 80\n      nodePort: ${httpNodePort}\n`;
}

/** The HTTPRoute of one Service, attached to the shared gateway's http listener. */
export function httpRouteObject(r: Route): Obj {
  return {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: { name: routeName(r.service), namespace: r.namespace, labels: labelsFor(r.service) },
    spec: {
      parentRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: SHARED_GATEWAY.name, namespace: SHARED_GATEWAY.namespace, sectionName: 'http' }],
      // No hostnames matches every host, which is what "*" means here.
      ...(r.host === '*' ? {} : { hostnames: [r.host] }),
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: r.path } }], backendRefs: [{ name: r.service, port: r.port }] }],
    },
  };
}

interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** Whether an HTTPRoute is attached to the shared gateway (a parentRef's namespace defaults to the route's own). */
export function attachedToShared(route: { metadata: { name?: string; namespace?: string }; spec?: unknown }): boolean {
  const refs = ((route.spec ?? {}) as { parentRefs?: ParentRef[] }).parentRefs ?? [];
  return refs.some(
    (p) =>
      (p.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP &&
      (p.kind ?? 'Gateway') === 'Gateway' &&
      p.name === SHARED_GATEWAY.name &&
      (p.namespace ?? route.metadata.namespace) === SHARED_GATEWAY.namespace,
  );
}
