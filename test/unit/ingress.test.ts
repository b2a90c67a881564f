import { describe, expect, it } from 'vitest';
import { MeshupError } from '../../src/errors.js';
import { envLines, type IngressInput, resolveIngress } from '../../src/ingress/resolve.js';
import type { KubeObject, NodeInfo } from '../../src/kube/objects.js';

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

  // The Service istiod renders for meshup's shared gateway: status port, the http listener
  // (named after it), and the nodePort the options ConfigMap pins.
  const shared = (nodePort = 30080): KubeObject => ({
    metadata: { name: 'meshup-ingress-istio', namespace: 'istio-ingress' },
    spec: {
      type: 'LoadBalancer',
      ports: [
        { name: 'status-port', port: 15021, appProtocol: 'tcp', nodePort: 31900 },
        { name: 'http', port: 80, appProtocol: 'http', nodePort },
      ],
    },
    status: { loadBalancer: {} },
  });
  const sharedIn = (o: Partial<IngressInput>) => base({ service: shared(), gatewayName: 'istio-ingress/meshup-ingress', ...o });

  it('the shared Gateway API gateway on kind: the host port mapped onto its pinned nodePort', () => {
    const mapped = [
      { containerPort: 30080, hostPort: 8080 },
      { containerPort: 30443, hostPort: 8443 },
    ];
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(resolveIngress(sharedIn({ reach: 'host-port-mapping', providerName: 'kind', platform, hostPorts: mapped }))).toEqual({
        service: 'istio-ingress/meshup-ingress-istio',
        nodePort: 30080,
        host: '127.0.0.1',
        port: 8080,
        url: 'http://127.0.0.1:8080',
        how: 'kind port mapping',
        reachable: true,
      });
    }
    // The mappings unread: what the config asked kind to map.
    expect(resolveIngress(sharedIn({ reach: 'host-port-mapping', providerName: 'kind' }))).toMatchObject({ host: '127.0.0.1', port: 8080 });
    // A cluster whose host port differs: the one it really maps.
    expect(resolveIngress(sharedIn({ reach: 'host-port-mapping', providerName: 'kind', hostPorts: [{ containerPort: 30080, hostPort: 9080 }] })).url).toBe(
      'http://127.0.0.1:9080',
    );
  });

  it('the shared gateway on minikube: its address and the real nodePort, or tunnel advice naming the Service', () => {
    expect(resolveIngress(sharedIn({ reach: 'machine-address', providerName: 'minikube', machineIp: '192.168.49.2' }))).toMatchObject({
      host: '192.168.49.2',
      port: 30080,
      nodePort: 30080,
      how: 'minikube ip + nodePort',
    });
    // Not pinned (another Service held 30080): the port the API server gave it.
    expect(resolveIngress(sharedIn({ reach: 'machine-address', providerName: 'minikube', machineIp: '192.168.49.2', service: shared(31234) })).url).toBe(
      'http://192.168.49.2:31234',
    );
    const mac = resolveIngress(sharedIn({ reach: 'machine-address', providerName: 'minikube', platform: 'darwin', machineIp: '192.168.49.2' }));
    expect(mac.reachable).toBe(false);
    expect(mac.hint).toContain('port-forward -n istio-ingress svc/meshup-ingress-istio 8080:80');
  });

  it('the shared gateway on an existing cluster: the gateway pod’s node and the nodePort, or localhost on a desktop', () => {
    const pod: KubeObject = { metadata: { name: 'meshup-ingress-istio-abc' }, status: { hostIP: '10.1.0.7' } };
    expect(resolveIngress(sharedIn({ gatewayPods: [pod] }))).toMatchObject({ host: '10.1.0.7', port: 30080, how: 'node address + nodePort' });
    expect(resolveIngress(sharedIn({ context: 'docker-desktop' }))).toMatchObject({ url: 'http://127.0.0.1:30080', how: 'localhost + nodePort' });
    // A load balancer (MetalLB, minikube tunnel) wins, on the listener's port.
    const lb = { ...shared(), status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } };
    expect(resolveIngress(sharedIn({ service: lb }))).toMatchObject({ url: 'http://127.0.0.1', port: 80, nodePort: 30080 });
  });

  it('the shared gateway on a simulated cluster: unreachable, with the nodePort as data and in words', () => {
    const r = resolveIngress(sharedIn({ reach: 'simulated', providerName: 'kwok' }));
    expect(r).toMatchObject({ reachable: false, service: 'istio-ingress/meshup-ingress-istio', nodePort: 30080 });
    expect(r.message).toContain('a real cluster would answer on nodePort 30080');
  });

  it('finds http and https ports of a gateway whose listeners have other names, by protocol', () => {
    const edge: KubeObject = {
      metadata: { name: 'edge-istio', namespace: 'apps' },
      spec: {
        ports: [
          { name: 'status-port', port: 15021, appProtocol: 'tcp', nodePort: 31000 },
          { name: 'web', port: 8000, appProtocol: 'http', nodePort: 31001 },
          { name: 'secure', port: 8443, appProtocol: 'https', nodePort: 31002 },
        ],
      },
    };
    expect(resolveIngress(base({ service: edge, gatewayName: 'apps/edge', nodes: [node('10.0.0.9')] }))).toMatchObject({
      port: 31001,
      securePort: 31002,
      nodePort: 31001,
      secureNodePort: 31002,
    });
  });

  it('says there is no gateway when the profile has none, and how to get one', () => {
    let error: unknown;
    try {
      resolveIngress(base({ service: undefined }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MeshupError);
    expect((error as MeshupError).message).toContain('meshup has deployed no Gateway API gateway (istio-ingress/meshup-ingress)');
    expect((error as MeshupError).fix[0]).toContain('meshup expose SERVICE');
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
