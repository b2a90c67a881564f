import { describe, expect, it } from 'vitest';
import { MeshupError } from '../../src/errors.js';
import { envLines, type IngressInput, resolveIngress } from '../../src/ingress/resolve.js';
import type { KubeObject, NodeInfo } from '../../src/tools/kubectl.js';

// Recorded shapes: the gateway Service as istioctl creates it (LoadBalancer, pinned nodePorts).
const svc = (lb?: { ip?: string; hostname?: string }, nodePorts = { http: 30080, https: 30443 }): KubeObject => ({
  metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
  spec: {
    type: 'LoadBalancer',
    ports: [
      { name: 'status-port', port: 15021, nodePort: 31021 },
      { name: 'http2', port: 80, nodePort: nodePorts.http },
      { name: 'https', port: 443, nodePort: nodePorts.https },
    ],
  },
  status: { loadBalancer: lb ? { ingress: [lb] } : {} },
});
const node = (ip: string): NodeInfo => ({
  name: 'n',
  ready: true,
  cpuMillis: 1,
  memoryMiB: 1,
  internalIP: ip,
  kubeletVersion: 'v1',
  labels: {},
  simulated: false,
});
const gw = { ingress: true, egress: false, httpNodePort: 30080, httpsNodePort: 30443, hostHttpPort: 8080, hostHttpsPort: 8443 };
const base = (o: Partial<IngressInput>): IngressInput => ({
  reach: 'node-address',
  providerName: 'existing',
  platform: 'linux',
  context: 'ctx',
  clusterName: 'meshup',
  service: svc(),
  nodes: [],
  gatewayPods: [],
  gateway: gw,
  ...o,
});

describe('ingress address', () => {
  it('prefers a LoadBalancer address (minikube tunnel gives 127.0.0.1 and the service port)', () => {
    expect(resolveIngress(base({ reach: 'machine-address', providerName: 'minikube', platform: 'darwin', service: svc({ ip: '127.0.0.1' }) }))).toMatchObject({
      host: '127.0.0.1',
      port: 80,
      securePort: 443,
      url: 'http://127.0.0.1',
      how: 'LoadBalancer address',
    });
    expect(resolveIngress(base({ service: svc({ hostname: 'gw.example' }) })).host).toBe('gw.example');
  });

  it('uses kind host port mappings on the pinned nodePorts, on every OS', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(resolveIngress(base({ reach: 'host-port-mapping', providerName: 'kind', platform }))).toMatchObject({
        host: '127.0.0.1',
        port: 8080,
        securePort: 8443,
        url: 'http://127.0.0.1:8080',
        how: 'kind port mapping',
      });
    }
  });

  it('falls back for a kind cluster without mappings: node address on Linux, advice elsewhere', () => {
    const unmapped = svc(undefined, { http: 31555, https: 31556 });
    expect(resolveIngress(base({ reach: 'host-port-mapping', providerName: 'kind', service: unmapped, nodes: [node('172.18.0.2')] }))).toMatchObject({
      host: '172.18.0.2',
      port: 31555,
    });
    const mac = resolveIngress(base({ reach: 'host-port-mapping', providerName: 'kind', platform: 'darwin', service: unmapped }));
    expect(mac.reachable).toBe(false);
    expect(mac.hint).toContain('port-forward -n istio-system svc/istio-ingressgateway 8080:80');
  });

  it('uses minikube ip and the nodePort on Linux', () => {
    expect(resolveIngress(base({ reach: 'machine-address', providerName: 'minikube', machineIp: '192.168.49.2' }))).toMatchObject({
      host: '192.168.49.2',
      port: 30080,
      how: 'minikube ip + nodePort',
    });
  });

  it('tells macOS and Windows docker-driver users to run minikube tunnel', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const r = resolveIngress(base({ reach: 'machine-address', providerName: 'minikube', platform, machineIp: '192.168.49.2', machineDriver: 'docker' }));
      expect(r.reachable).toBe(false);
      expect(r.hint).toContain('minikube tunnel -p meshup');
    }
    expect(
      resolveIngress(base({ reach: 'machine-address', providerName: 'minikube', platform: 'darwin', machineIp: '192.168.64.3', machineDriver: 'vfkit' })).host,
    ).toBe('192.168.64.3');
  });

  it("uses the gateway pod's host, else a node address, for other clusters", () => {
    const pod: KubeObject = { metadata: { name: 'gw' }, status: { hostIP: '10.1.0.7' } };
    expect(resolveIngress(base({ gatewayPods: [pod], nodes: [node('10.9.9.9')] }))).toMatchObject({
      host: '10.1.0.7',
      port: 30080,
      how: 'node address + nodePort',
    });
    expect(resolveIngress(base({ nodes: [node('127.0.0.1')] }))).toMatchObject({ host: '127.0.0.1', port: 30080 });
    expect(resolveIngress(base({ context: 'docker-desktop' }))).toMatchObject({ host: '127.0.0.1', port: 30080, how: 'localhost + nodePort' });
  });

  it('says honestly that nothing answers on a simulated cluster', () => {
    const r = resolveIngress(base({ reach: 'simulated', providerName: 'kwok', nodes: [node('127.0.0.1')] }));
    expect(r).toMatchObject({ reachable: false, how: 'unreachable' });
    expect(r.message).toContain('kwok cluster is simulated');
    expect(r.message).toContain('nodePort 30080');
    expect(r.url).toBeUndefined();
  });

  it('treats a cluster whose nodes are all kwok records as simulated, whatever the provider', () => {
    const fake = { ...node('127.0.0.1'), simulated: true };
    expect(resolveIngress(base({ nodes: [fake] }))).toMatchObject({ reachable: false });
  });

  it('resolves a Gateway API gateway by its Service, with port-forward advice naming it', () => {
    const edge: KubeObject = {
      metadata: { name: 'edge-istio', namespace: 'apps' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 31298 }] },
      status: {},
    };
    expect(resolveIngress(base({ service: edge, gatewayName: 'apps/edge', nodes: [node('10.0.0.9')] }))).toMatchObject({
      host: '10.0.0.9',
      port: 31298,
      url: 'http://10.0.0.9:31298',
    });
    // kind maps only Istio's own gateway nodePorts; a Gateway API one falls back.
    const mac = resolveIngress(base({ reach: 'host-port-mapping', providerName: 'kind', platform: 'darwin', service: edge, gatewayName: 'apps/edge' }));
    expect(mac.hint).toContain('port-forward -n apps svc/edge-istio 8080:80');
    expect(() => resolveIngress(base({ service: undefined, gatewayName: 'apps/nope' }))).toThrow(/nope-istio/);
  });

  it('says there is no gateway when the profile has none', () => {
    expect(() => resolveIngress(base({ service: undefined }))).toThrow(MeshupError);
  });

  it('prints the variables of the Istio docs', () => {
    expect(envLines(resolveIngress(base({ reach: 'host-port-mapping', providerName: 'kind' })))).toEqual([
      'export INGRESS_HOST=127.0.0.1',
      'export INGRESS_PORT=8080',
      'export SECURE_INGRESS_PORT=8443',
      'export GATEWAY_URL=127.0.0.1:8080',
    ]);
  });
});
