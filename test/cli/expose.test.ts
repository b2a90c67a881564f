// meshup expose through either API, meshup ingress on what it deployed, and meshup down removing
// it all before the control plane. The fake kubectl plays istiod's gateway controller: a Gateway
// of class istio gets its NAME-istio Service, with the nodePort its options ConfigMap pins.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Call, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
beforeEach(() => {
  w = sealed();
});
afterEach(() => w.cleanup());

const CTX = 'kind-meshup';
type Objects = Record<string, { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: any }>;
const objects = (): Objects => w.readState().clusters[CTX].objects;

/** Changes the fake cluster's objects in place. */
function edit(fn: (o: Objects) => void): void {
  const s = w.readState();
  fn(s.clusters[CTX].objects);
  w.state({ clusters: s.clusters });
}

const crd = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
/** The standard channel's CRDs, as a user may have installed them (where `up` did not). */
function gatewayApiCrds(o: Objects): void {
  for (const n of ['gatewayclasses', 'gateways', 'httproutes'])
    o[`customresourcedefinition//${n}.gateway.networking.k8s.io`] ??= crd(`${n}.gateway.networking.k8s.io`);
}
function service(o: Objects, name: string, ns = 'default', ports = [8080]): void {
  o[`service/${ns}/${name}`] = { kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: ports.map((port) => ({ port })) } } as Objects[string];
}
/** A mesh; with gatewayApi false, on a cluster without the Gateway API CRDs (up installs them). */
async function up(profile: string, gatewayApi = true): Promise<void> {
  const r = await w.run(['up', '--provider', 'kind', '--profile', profile, '--addons', '', '--yes', ...(gatewayApi ? [] : ['--no-gateway-api'])]);
  expect(r.exitCode, r.stderr).toBe(0);
}

const keysOf = (kind: string) => Object.keys(objects()).filter((k) => k.startsWith(`${kind}/`));
const kube = (calls: Call[]) => calls.filter((c) => c.tool === 'kubectl').map((c) => (c.args[0] === '--context' ? c.args.slice(2) : c.args));

describe('meshup expose through the Gateway API', () => {
  beforeEach(async () => {
    await up('minimal');
    edit((o) => {
      gatewayApiCrds(o);
      service(o, 'web');
      service(o, 'api', 'shop', [9090, 9091]);
    });
  });

  it('is the default without istio-ingressgateway: a shared Gateway with pinned nodePort 30080, an HTTPRoute, and the kind URL', async () => {
    const r = await w.run(['expose', 'web', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'web.default:8080 is exposed through the Gateway API gateway istio-ingress/meshup-ingress (the Gateway API CRDs are installed).',
    );
    expect(r.stdout).toContain('  curl http://127.0.0.1:8080/');
    const o = objects();
    expect(o['namespace//istio-ingress']!.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'meshup', 'meshup.dev/expose': 'shared' });
    expect(o['configmap/istio-ingress/meshup-ingress-options']!.data.service).toContain('nodePort: 30080');
    expect(o['gateway/istio-ingress/meshup-ingress']!.spec.infrastructure.parametersRef.name).toBe('meshup-ingress-options');
    expect(o['httproute/default/meshup-web']!.spec.rules[0].backendRefs).toEqual([{ name: 'web', port: 8080 }]);
    // What istiod made of it (here, the fake's stand-in): the pinned nodePort on the http port.
    expect(o['service/istio-ingress/meshup-ingress-istio']!.spec.ports.find((p: { port: number }) => p.port === 80).nodePort).toBe(30080);
    // Nothing of Istio's own API.
    expect(keysOf('virtualservice')).toEqual([]);

    const ing = JSON.parse((await w.run(['ingress', '--json', '--provider', 'kind'])).stdout);
    expect(ing).toMatchObject({
      service: 'istio-ingress/meshup-ingress-istio',
      nodePort: 30080,
      url: 'http://127.0.0.1:8080',
      how: 'kind port mapping',
      reachable: true,
    });
    const named = JSON.parse((await w.run(['ingress', '--json', '--gateway', 'meshup-ingress', '--provider', 'kind'])).stdout);
    expect(named).toEqual(ing);
    const env = await w.run(['ingress', '--env', '--provider', 'kind']);
    expect(env.stdout).toContain('export GATEWAY_URL=127.0.0.1:8080');
    // status names it too, as it does istio-ingressgateway.
    const status = await w.run(['status', '--provider', 'kind']);
    expect(status.stdout).toContain('Gateway   http://127.0.0.1:8080 (kind port mapping)');
  });

  it('a second Service shares the gateway; --delete keeps it while a route is left and removes it with the last', async () => {
    expect((await w.run(['expose', 'web', '--provider', 'kind'])).exitCode).toBe(0);
    const second = await w.run(['expose', 'api', '-n', 'shop', '--port', '9091', '--path', '/v1', '--host', 'api.local', '--provider', 'kind']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain("  curl -H 'Host: api.local' http://127.0.0.1:8080/v1");
    // The namespace exists now: the second apply does not claim it again.
    const applies = w.calls().filter((c) => c.tool === 'kubectl' && c.args.includes('apply'));
    expect(applies.at(-1)!.stdin).not.toContain('"kind":"Namespace"');
    expect(keysOf('gateway')).toEqual(['gateway/istio-ingress/meshup-ingress']);

    const first = await w.run(['expose', '--delete', 'web', '--provider', 'kind', '--json']);
    expect(JSON.parse(first.stdout)).toEqual({ service: 'web', namespace: 'default', deleted: true, gatewayRemoved: false });
    expect(objects()['httproute/default/meshup-web']).toBeUndefined();
    expect(objects()['gateway/istio-ingress/meshup-ingress']).toBeDefined();

    const last = await w.run(['expose', '--delete', 'api', '-n', 'shop', '--provider', 'kind']);
    expect(last.exitCode, last.stderr).toBe(0);
    expect(last.stdout).toContain('Removed the shared gateway istio-ingress/meshup-ingress: no route is left on it.');
    expect(Object.keys(objects()).filter((k) => /istio-ingress|meshup-(web|api)/.test(k))).toEqual([]);
    const again = await w.run(['expose', '--delete', 'api', '-n', 'shop', '--provider', 'kind']);
    expect(again.stdout).toContain('api in shop is not exposed by meshup; nothing to delete.');
  });

  it('keeps the shared gateway while a route someone else attached to it remains', async () => {
    expect((await w.run(['expose', 'web', '--provider', 'kind'])).exitCode).toBe(0);
    edit((o) => {
      o['httproute/shop/mine'] = {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'mine', namespace: 'shop' },
        spec: { parentRefs: [{ name: 'meshup-ingress', namespace: 'istio-ingress' }] },
      } as Objects[string];
    });
    const r = await w.run(['expose', '--delete', 'web', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('shared gateway');
    expect(objects()['gateway/istio-ingress/meshup-ingress']).toBeDefined();
  });

  it("refuses to take over a user's route of the name it would use, and never deletes one (exit 4, nothing changed)", async () => {
    const mine = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'meshup-web', namespace: 'default' },
      spec: { parentRefs: [{ name: 'my-gateway' }] },
    } as Objects[string];
    edit((o) => {
      o['httproute/default/meshup-web'] = mine;
    });
    const before = w.calls().length;
    const r = await w.run(['expose', 'web', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toContain("error: httproute default/meshup-web exists and is not meshup's: meshup expose would take it over");
    expect(r.stderr).toContain('--adopt');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    // Its label copied by hand (kubectl label) is not meshup's evidence: --delete leaves it.
    edit((o) => {
      o['httproute/default/meshup-web']!.metadata.labels = { 'meshup.dev/expose': 'web' };
      (o['httproute/default/meshup-web']!.metadata as Record<string, unknown>).managedFields = [
        { manager: 'kubectl-label', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:meshup.dev/expose': {} } } } },
      ];
    });
    const del = await w.run(['expose', '--delete', 'web', '--provider', 'kind']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toContain('web in default is not exposed by meshup; nothing to delete.');
    expect(objects()['httproute/default/meshup-web']!.spec).toEqual(mine.spec);
    // --adopt takes it over; from then on it is meshup's, and --delete removes it.
    expect((await w.run(['expose', 'web', '--adopt', '--provider', 'kind'])).exitCode).toBe(0);
    expect((await w.run(['expose', '--delete', 'web', '--provider', 'kind'])).exitCode).toBe(0);
    expect(objects()['httproute/default/meshup-web']).toBeUndefined();
  });

  it('--delete with -o is a usage error, and deletes nothing', async () => {
    expect((await w.run(['expose', 'web', '--provider', 'kind'])).exitCode).toBe(0);
    const before = w.calls().length;
    const r = await w.run(['expose', '--delete', 'web', '-o', 'yaml', '--provider', 'kind']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--delete applies nothing');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    expect(objects()['httproute/default/meshup-web']).toBeDefined();
  });

  it('-o yaml and --dry-run print the objects and change nothing', async () => {
    const before = w.calls().length;
    const yaml = await w.run(['expose', 'web', '-o', 'yaml', '--provider', 'kind']);
    expect(yaml.exitCode, yaml.stderr).toBe(0);
    expect(yaml.stdout.split('---\n').map((d) => /^kind: (\w+)/m.exec(d)?.[1])).toEqual(['Namespace', 'ConfigMap', 'Gateway', 'HTTPRoute']);
    const dry = await w.run(['expose', 'web', '--dry-run', '--provider', 'kind']);
    expect(dry.stdout).toBe(yaml.stdout);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('--api istio on a mesh without istio-ingressgateway is a usage error with the fix', async () => {
    const r = await w.run(['expose', 'web', '--api', 'istio', '--provider', 'kind']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: --api istio routes through istio-system/istio-ingressgateway, and this mesh has none');
    expect(r.stderr).toContain('fix: Use --api gateway (the default here): meshup deploys a Gateway API gateway, istio-ingress/meshup-ingress');
    const bad = await w.run(['expose', 'web', '--api', 'contour', '--provider', 'kind']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are gateway, istio');
    expect(mutatingCalls(w.calls().filter((c) => c.args.includes('expose')))).toEqual([]);
  });

  it('needs Istio: without istiod nothing would program a gateway', async () => {
    expect((await w.run(['down', '--keep-cluster', '--yes', '--provider', 'kind'])).exitCode).toBe(0);
    const before = w.calls().length;
    const r = await w.run(['expose', 'web', '--provider', 'kind']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error: Istio is not installed in context kind-meshup, so nothing would route to web');
    expect(r.stderr).toContain('fix: Install it: meshup up');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('the existing checks stay: the Service and its port must exist', async () => {
    const missing = await w.run(['expose', 'wbe', '--provider', 'kind']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('No Service "wbe" in namespace default');
    expect(missing.stderr).toContain('Did you mean web?');
    const several = await w.run(['expose', 'api', '-n', 'shop', '--provider', 'kind']);
    expect(several.exitCode).toBe(2);
    expect(several.stderr).toContain('Service api has several ports; say which with --port');
    const port = await w.run(['expose', 'api', '-n', 'shop', '--port', '1', '--provider', 'kind']);
    expect(port.stderr).toContain('Service api has no port 1');
  });
});

describe('meshup expose on a mesh with istio-ingressgateway', () => {
  beforeEach(async () => {
    await up('demo', false);
    edit((o) => service(o, 'web'));
  });

  it('without the Gateway API CRDs: Istio Gateway and VirtualService, as before', async () => {
    const r = await w.run(['expose', 'web', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('through the ingress gateway (no Gateway API CRDs are installed)');
    expect(r.stdout).toContain('curl http://127.0.0.1:8080/');
    expect(keysOf('virtualservice')).toEqual(['virtualservice/default/meshup-web']);
    const gw = await w.run(['expose', 'web', '--api', 'gateway', '--provider', 'kind']);
    expect(gw.exitCode).toBe(2);
    expect(gw.stderr).toContain('--api gateway needs the Kubernetes Gateway API CRDs');
  });

  it('with the CRDs on kind: istio-ingressgateway holds nodePort 30080, so it stays the default; --api gateway says what that costs', async () => {
    edit(gatewayApiCrds);
    const r = await w.run(['expose', 'web', '--provider', 'kind', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ api: 'istio', url: 'http://127.0.0.1:8080/' });
    expect(JSON.parse(r.stdout).why).toContain('istio-system/istio-ingressgateway holds the nodePort the host port is mapped to');

    const g = await w.run(['expose', 'web', '--api', 'gateway', '--provider', 'kind']);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(g.stderr).toContain('istio-system/istio-ingressgateway holds nodePort 30080, and two Services cannot share one');
    expect(objects()['configmap/istio-ingress/meshup-ingress-options']).toBeUndefined();
    const np = objects()['service/istio-ingress/meshup-ingress-istio']!.spec.ports.find((p: { port: number }) => p.port === 80).nodePort;
    expect(np).not.toBe(30080);
    // kind maps nothing onto that nodePort; on Linux the node address answers.
    const ing = JSON.parse((await w.run(['ingress', '--json', '--gateway', 'meshup-ingress', '--provider', 'kind'])).stdout);
    expect(ing).toMatchObject({ nodePort: np, how: 'node address + nodePort (no kind port mapping for this nodePort)', url: `http://172.18.0.2:${np}` });
    // Without --gateway, istio-ingressgateway is still what ingress reports.
    expect(JSON.parse((await w.run(['ingress', '--json', '--provider', 'kind'])).stdout).service).toBe('istio-system/istio-ingressgateway');
  });

  it('an ambient mesh (as recorded) goes through the Gateway API, and says so', async () => {
    edit((o) => {
      gatewayApiCrds(o);
      const rec = o['configmap/kube-public/meshup']!;
      rec.data.spec = JSON.stringify({ ...JSON.parse(rec.data.spec), dataplane: 'ambient' });
      // An ambient mesh has no istio-ingressgateway.
      delete o['service/istio-system/istio-ingressgateway'];
    });
    const r = await w.run(['expose', 'web', '--provider', 'kind', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ api: 'gateway', why: 'the mesh is ambient', url: 'http://127.0.0.1:8080/' });
  });
});

describe('meshup down --keep-cluster', () => {
  it('removes the routes and gateways of both APIs, then the control plane; only CRDs stay', async () => {
    await up('demo');
    edit((o) => {
      gatewayApiCrds(o);
      service(o, 'web');
      service(o, 'api', 'shop');
    });
    expect((await w.run(['expose', 'web', '--api', 'istio', '--provider', 'kind'])).exitCode).toBe(0);
    // The classic gateway keeps 30080, so this one is unpinned; either way it is meshup's.
    expect((await w.run(['expose', 'api', '-n', 'shop', '--api', 'gateway', '--provider', 'kind'])).exitCode).toBe(0);
    const before = w.calls().length;
    const r = await w.run(['down', '--keep-cluster', '--yes', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 exposed route(s) and 2 gateway(s) (and namespace istio-ingress)');

    const deletes = kube(w.calls().slice(before)).filter((a) => a[0] === 'delete');
    const at = (re: RegExp) => deletes.findIndex((a) => a.some((x) => re.test(x)));
    expect(deletes[0]).toEqual(['delete', 'httproutes.gateway.networking.k8s.io/meshup-api', '--ignore-not-found', '--wait=false', '-n', 'shop']);
    expect(deletes[1]).toEqual([
      'delete',
      'virtualservices.networking.istio.io/meshup-web',
      'gateways.networking.istio.io/meshup-web',
      '--ignore-not-found',
      '--wait=false',
      '-n',
      'default',
    ]);
    expect(deletes[2]).toEqual(['delete', 'gateways.gateway.networking.k8s.io/meshup-ingress', '--ignore-not-found', '--wait=false', '-n', 'istio-ingress']);
    expect(deletes[3]).toEqual(['delete', 'namespace/istio-ingress', '--ignore-not-found', '--wait=false']);
    const controlPlane = Math.min(...[/webhookconfiguration/, /^namespace\/istio-system$/, /^clusterrole/].map(at).filter((i) => i >= 0));
    const exposed = Math.max(...[/httproutes/, /virtualservices/, /gateways\./, /^namespace\/istio-ingress$/].map(at));
    expect(exposed).toBeLessThan(controlPlane);

    const [crds, rest] = [Object.keys(objects()).filter((k) => k.startsWith('customresourcedefinition/')), Object.keys(objects())];
    expect(rest.filter((k) => !crds.includes(k) && /httproute|virtualservice|gateway|istio-ingress|meshup-(web|api)/.test(k))).toEqual([]);
    expect(crds).toContain('customresourcedefinition//httproutes.gateway.networking.k8s.io');
    expect(crds).toContain('customresourcedefinition//virtualservices.networking.istio.io');
  });
});

describe('meshup down --keep-cluster on a mesh without istio-ingressgateway', () => {
  it('removes the route, the pinned gateway with its options and namespace (and so what istiod made of it) first', async () => {
    await up('minimal');
    edit((o) => {
      gatewayApiCrds(o);
      service(o, 'web');
    });
    expect((await w.run(['expose', 'web', '--provider', 'kind'])).exitCode).toBe(0);
    expect(objects()['service/istio-ingress/meshup-ingress-istio']).toBeDefined();
    const before = w.calls().length;
    const r = await w.run(['down', '--keep-cluster', '--yes', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    const deletes = kube(w.calls().slice(before)).filter((a) => a[0] === 'delete');
    expect(deletes.slice(0, 3)).toEqual([
      ['delete', 'httproutes.gateway.networking.k8s.io/meshup-web', '--ignore-not-found', '--wait=false', '-n', 'default'],
      [
        'delete',
        'gateways.gateway.networking.k8s.io/meshup-ingress',
        'configmaps/meshup-ingress-options',
        '--ignore-not-found',
        '--wait=false',
        '-n',
        'istio-ingress',
      ],
      ['delete', 'namespace/istio-ingress', '--ignore-not-found', '--wait=false'],
    ]);
    // The control plane only after them.
    expect(deletes.slice(3).some((a) => a.includes('namespace/istio-system'))).toBe(true);
    expect(Object.keys(objects()).filter((k) => k.includes('istio-ingress'))).toEqual([]);
  });
});
