// The IstioOperator overlays meshup generates from a profile: one for the control plane, one for
// the gateways (Istio's documented way to install gateways apart from it). Each is its own
// IstioOperator, by name, so each `istioctl install` prunes only what it put in itself (its
// objects carry install.operator.istio.io/owning-resource: that name, operator/pkg/install). On a
// new cluster the gateways then go in as soon as istiod is up, instead of at istioctl's next
// two-second poll, while the control plane's install finishes. Their combined hash is recorded in
// the cluster: same version and same hash means there is nothing to install.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Spec } from '../config/spec.js';
import type { Provider } from '../providers/types.js';

/** What the overlay needs from the provider: the platform Istio must be told about, if any. */
type PlatformSource = Pick<Provider, 'istioPlatform'>;

const CONTROL_PLANE_OPERATOR = 'meshup';
/** A revision's control plane is an IstioOperator of its own: installing one never prunes another's. */
export const controlPlaneOperator = (revision?: string) => (revision ? `${CONTROL_PLANE_OPERATOR}-${revision}` : CONTROL_PLANE_OPERATOR);
/** The gateways' names; their charts name every object of theirs after them. */
export const GATEWAY_NAMES = ['istio-ingressgateway', 'istio-egressgateway'] as const;
export const GATEWAYS_OPERATOR = 'meshup-gateways';
/** The east-west gateway of a multi-network mesh, as Istio's guide names it. */
export const EASTWEST_GATEWAY = 'istio-eastwestgateway';

/** global.platform: the user's word for a cluster meshup did not create, else the provider's. */
const platformOf = (o: Spec, provider: PlatformSource) => o.platform ?? provider.istioPlatform;

type Operator = Record<string, unknown>;

export interface Overlays {
  controlPlane: Operator;
  /** The gateways alone: every other component off, the profile's gateway settings kept. */
  gateways: Operator;
  /** Whether any gateway is wanted; without one, a new cluster needs no gateways install. */
  anyGateway: boolean;
}

export function istioOverlays(o: Spec, provider: PlatformSource): Overlays {
  const p = o.profile;
  const g = o.gateway;
  const meshConfig: Record<string, unknown> = {};
  if (p.istio.accessLogs) meshConfig.accessLogFile = '/dev/stdout';
  // Jaeger shows nothing until a provider exists and Telemetry selects it (istio/istio#53779).
  meshConfig.enableTracing = (p.istio.tracingSampling ?? 0) > 0;
  meshConfig.extensionProviders = [{ name: 'jaeger', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }];
  const network = o.mesh?.multiNetwork ? o.mesh.network : undefined;
  const gateways = (on: boolean) => ({
    ingressGateways: [
      {
        name: GATEWAY_NAMES[0],
        enabled: on && !!g.ingress,
        k8s: {
          service: {
            // Pinned nodePorts: kind maps them to host ports when the cluster is created.
            ports: [
              { name: 'status-port', port: 15021, targetPort: 15021 },
              { name: 'http2', port: 80, targetPort: 8080, nodePort: g.httpNodePort },
              { name: 'https', port: 443, targetPort: 8443, nodePort: g.httpsNodePort },
            ],
          },
        },
      },
      // A multi-network mesh reaches this cluster's workloads from the other networks through
      // it: mTLS passed through on 15443, istiod on 15012 and 15017 (Istio's multi-network
      // guide). Its addresses are the node's, put in as the Service's externalIPs once it runs
      // (mesh/join), so no load balancer (nor MetalLB's address pools) is needed.
      ...(network
        ? [
            {
              name: EASTWEST_GATEWAY,
              enabled: on,
              label: { istio: 'eastwestgateway', app: EASTWEST_GATEWAY, 'topology.istio.io/network': network },
              k8s: {
                env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }],
                service: {
                  type: 'ClusterIP',
                  ports: [
                    { name: 'status-port', port: 15021, targetPort: 15021 },
                    { name: 'tls', port: 15443, targetPort: 15443 },
                    { name: 'tls-istiod', port: 15012, targetPort: 15012 },
                    { name: 'tls-webhook', port: 15017, targetPort: 15017 },
                  ],
                },
              },
            },
          ]
        : []),
    ],
    egressGateways: [{ name: GATEWAY_NAMES[1], enabled: on && !!g.egress }],
  });
  const components: Record<string, unknown> = {};
  if (p.istio.pilotResources) components.pilot = { k8s: { resources: { requests: p.istio.pilotResources } } };
  const values: Record<string, unknown> = {};
  const global: Record<string, unknown> = {};
  if (p.istio.proxyResources) global.proxy = { resources: { requests: p.istio.proxyResources } };
  if (o.dataplane === 'ambient') {
    // Ambient mode on any base profile: the node agents (istio-cni, ztunnel) and the charts'
    // ambient values, which is what Istio's own ambient profile adds to its base.
    components.cni = { enabled: true };
    components.ztunnel = { enabled: true };
    values.profile = 'ambient';
    // istio-cni writes into the node's CNI directories, which differ per platform; Istio has no
    // value for kind, which needs none. Sidecar meshes install no istio-cni, so they go without.
    const platform = platformOf(o, provider);
    if (platform) global.platform = platform;
  }
  if (o.mesh) {
    // Multi-primary: one mesh ID, each cluster its own ID (istiod's CLUSTER_ID, and the name the
    // other clusters' remote secrets carry) and its network.
    global.meshID = o.mesh.meshId;
    global.multiCluster = { clusterName: o.mesh.clusterId };
    global.network = o.mesh.network;
  }
  if (Object.keys(global).length) values.global = global;
  // Both from the same profile and values, so a gateway is configured as one install would.
  const operator = (name: string, comps: Record<string, unknown>): Operator => ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: 'istio-system' },
    spec: {
      profile: p.istio.profile,
      ...(o.revision ? { revision: o.revision } : {}),
      meshConfig,
      components: comps,
      ...(Object.keys(values).length ? { values } : {}),
    },
  });
  const off = { enabled: false };
  return {
    controlPlane: operator(controlPlaneOperator(o.revision), { ...components, ...gateways(false) }),
    gateways: operator(GATEWAYS_OPERATOR, { base: off, pilot: off, cni: off, ztunnel: off, ...gateways(true) }),
    anyGateway: !!g.ingress || !!g.egress || !!network,
  };
}

export interface OverlayFiles {
  controlPlane: string;
  gateways: string;
  anyGateway: boolean;
}

export function overlayFiles(o: Spec, provider: PlatformSource): OverlayFiles {
  const ov = istioOverlays(o, provider);
  const head = `# Generated by meshup from profile ${o.profile.name}; meshup up rewrites it.\n`;
  return { controlPlane: head + stringify(ov.controlPlane), gateways: head + stringify(ov.gateways), anyGateway: ov.anyGateway };
}

/** What `istioctl manifest generate` lists: the control plane's overlay, and the gateways' when
 * some gateway is wanted (otherwise it renders nothing). */
export function listedOverlays(files: OverlayFiles): string[] {
  return [files.controlPlane, ...(files.anyGateway ? [files.gateways] : [])];
}

export function overlayHash(files: Pick<OverlayFiles, 'controlPlane' | 'gateways'>): string {
  return createHash('sha256').update(files.controlPlane).update('---\n').update(files.gateways).digest('hex').slice(0, 16);
}
