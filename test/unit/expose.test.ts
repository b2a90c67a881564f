import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MeshupError, UsageError } from '../../src/errors.js';
import { type ApiFacts, chooseApi, nodePortHolder } from '../../src/expose/decide.js';
import { attachedToShared, httpRouteObject, istioRouteObjects, serviceOverlay, sharedGatewayObjects } from '../../src/expose/objects.js';
import type { KubeObject } from '../../src/kube/objects.js';

const route = { service: 'web', namespace: 'shop', port: 8080, host: 'web.local', path: '/api' };
const meshup = { 'app.kubernetes.io/managed-by': 'meshup' };

describe('the objects meshup expose creates', () => {
  it('the shared Gateway API gateway: its namespace, the options pinning nodePort 30080, the Gateway', () => {
    expect(sharedGatewayObjects({ httpNodePort: 30080, createNamespace: true })).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-ingress', labels: { ...meshup, 'meshup.dev/expose': 'shared' } } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'meshup-ingress-options', namespace: 'istio-ingress', labels: { ...meshup, 'meshup.dev/expose': 'shared' } },
        data: { service: 'spec:\n  ports:\n    - name: http\n      port: 80\n      nodePort: 30080\n' },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'meshup-ingress', namespace: 'istio-ingress', labels: { ...meshup, 'meshup.dev/expose': 'shared' } },
        spec: {
          gatewayClassName: 'istio',
          infrastructure: {
            labels: { 'meshup.dev/expose': 'shared' },
            parametersRef: { group: '', kind: 'ConfigMap', name: 'meshup-ingress-options' },
          },
          listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }],
        },
      },
    ]);
  });

  it('the options are a strategic merge patch istiod merges into the Service by port number', () => {
    expect(parse(serviceOverlay(30080))).toEqual({ spec: { ports: [{ name: 'http', port: 80, nodePort: 30080 }] } });
  });

  it('without a nodePort to pin, no options and no parametersRef; an existing namespace is left alone', () => {
    const objects = sharedGatewayObjects({ createNamespace: false });
    expect(objects.map((o) => o.kind)).toEqual(['Gateway']);
    expect((objects[0]!.spec as { infrastructure: unknown }).infrastructure).toEqual({ labels: { 'meshup.dev/expose': 'shared' } });
  });

  it('an HTTPRoute per Service, in its namespace, on the shared gateway, to the Service port', () => {
    expect(httpRouteObject(route)).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'meshup-web', namespace: 'shop', labels: { ...meshup, 'meshup.dev/expose': 'web' } },
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'meshup-ingress', namespace: 'istio-ingress', sectionName: 'http' }],
        hostnames: ['web.local'],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'web', port: 8080 }] }],
      },
    });
    // Any host: no hostnames at all (the Gateway API has no "*" hostname).
    expect((httpRouteObject({ ...route, host: '*' }).spec as Record<string, unknown>).hostnames).toBeUndefined();
  });

  it("Istio's Gateway and VirtualService on istio-ingressgateway, as before", () => {
    const [gw, vs] = istioRouteObjects(route);
    expect(gw).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'meshup-web', namespace: 'shop', labels: { ...meshup, 'meshup.dev/expose': 'web' } },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['web.local'] }] },
    });
    expect(vs!.spec).toEqual({
      hosts: ['web.local'],
      gateways: ['meshup-web'],
      http: [{ match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 8080 } } }] }],
    });
  });

  it('knows which routes hang on the shared gateway (a parentRef namespace defaults to the route’s)', () => {
    expect(attachedToShared(httpRouteObject(route) as KubeObject)).toBe(true);
    const local = { metadata: { name: 'r', namespace: 'istio-ingress' }, spec: { parentRefs: [{ name: 'meshup-ingress' }] } };
    expect(attachedToShared(local)).toBe(true);
    expect(attachedToShared({ ...local, metadata: { name: 'r', namespace: 'shop' } })).toBe(false);
    expect(
      attachedToShared({
        metadata: { name: 'r', namespace: 'shop' },
        spec: { parentRefs: [{ name: 'meshup-ingress', namespace: 'istio-ingress', kind: 'Service' }] },
      }),
    ).toBe(false);
  });
});

describe('which API meshup expose uses', () => {
  const facts = (f: Partial<ApiFacts>): ApiFacts => ({ gatewayApi: false, classicGateway: false, mapsHostPorts: false, ...f });
  const rows: [string, Partial<ApiFacts>, string][] = [
    ['ambient mesh with the Gateway API CRDs', { dataplane: 'ambient', gatewayApi: true }, 'gateway'],
    ['sidecar mesh with the CRDs and no istio-ingressgateway', { gatewayApi: true }, 'gateway'],
    ['sidecar mesh with the CRDs and istio-ingressgateway on a cluster without host ports', { gatewayApi: true, classicGateway: true }, 'gateway'],
    [
      'CRDs, but istio-ingressgateway holds the nodePort kind maps',
      { gatewayApi: true, classicGateway: true, mapsHostPorts: true, pinHeldBy: 'istio-system/istio-ingressgateway' },
      'istio',
    ],
    ['no CRDs: istio-ingressgateway', { classicGateway: true }, 'istio'],
    ['a missing dataplane is sidecar', { dataplane: undefined, classicGateway: true }, 'istio'],
    ['--api istio', { flag: 'istio', gatewayApi: true, classicGateway: true }, 'istio'],
    [
      '--api gateway, even where the pin is held',
      { flag: 'gateway', gatewayApi: true, classicGateway: true, mapsHostPorts: true, pinHeldBy: 'x/y' },
      'gateway',
    ],
  ];
  for (const [name, f, api] of rows) it(name, () => expect(chooseApi(facts(f)).api).toBe(api));

  it('refuses --api istio without istio-ingressgateway as a usage error, with the fix', () => {
    let e: UsageError | undefined;
    try {
      chooseApi(facts({ flag: 'istio', gatewayApi: true, dataplane: 'ambient' }));
    } catch (x) {
      e = x as UsageError;
    }
    expect(e).toBeInstanceOf(UsageError);
    expect(e!.exitCode).toBe(2);
    expect(e!.message).toBe('--api istio routes through istio-system/istio-ingressgateway, and this mesh has none');
    expect(e!.fix[0]).toContain('Use --api gateway');
    expect(e!.fix[1]).toContain('ambient');
  });

  it('refuses --api gateway without the CRDs, and says when a mesh has no way in at all', () => {
    expect(() => chooseApi(facts({ flag: 'gateway', classicGateway: true }))).toThrow(/needs the Kubernetes Gateway API CRDs/);
    expect(() => chooseApi(facts({ dataplane: 'ambient' }))).toThrow(MeshupError);
    expect(() => chooseApi(facts({}))).toThrow(/no way in/);
  });
});

describe('the nodePort the shared gateway pins', () => {
  const svc = (ns: string, name: string, nodePort: number): KubeObject => ({ metadata: { name, namespace: ns }, spec: { ports: [{ port: 80, nodePort }] } });
  it('is held by another Service, or free; the shared gateway holding it itself is no conflict', () => {
    expect(nodePortHolder([svc('istio-system', 'istio-ingressgateway', 30080)], 30080)).toBe('istio-system/istio-ingressgateway');
    expect(nodePortHolder([svc('istio-ingress', 'meshup-ingress-istio', 30080)], 30080)).toBeUndefined();
    expect(nodePortHolder([svc('a', 'b', 31000)], 30080)).toBeUndefined();
  });
});
