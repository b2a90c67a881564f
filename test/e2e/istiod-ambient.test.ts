// Ambient mode with the REAL istiod (pilot-discovery on 127.0.0.1, see test/helpers/istiod.ts):
// what only istiod's controllers do. meshup installs the Gateway API CRDs from a 127.0.0.1 mirror;
// istiod publishes its GatewayClasses, deploys the waypoint `meshup waypoint apply` asks for and
// the shared gateway `meshup expose` asks for (with the nodePort kind maps), and accepts the
// route. `down --keep-cluster` then leaves nothing of Istio but CRDs, the GatewayClasses istiod
// made included.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { createIstiodCluster, expectLoopbackOnly, type IstiodCluster, until } from '../helpers/istiod.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';

let c: IstiodCluster;
let server: ReleaseServer;
let gatewayApi: GatewayApiMirror | undefined;

type Conditions = { status?: { conditions?: { type: string; status: string }[] } };
const condition = (o: Conditions | undefined, type: string) => o?.status?.conditions?.find((x) => x.type === type)?.status;
const names = async (path: string) => ((await c.kube.get<{ items: { metadata: { name: string } }[] }>(path))?.items ?? []).map((o) => o.metadata.name).sort();

beforeAll(async () => {
  c = await createIstiodCluster('meshup-istiod-ambient-');
  const release = await buildRelease(join(c.dir, 'releases'), '1.31.1', { istioctl: join(c.env.MESHUP_KWOK_BIN_DIR!, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  c.env.MESHUP_ISTIO_MIRROR = server.url;
  gatewayApi = (await serveRealGatewayApi()).mirror;
  c.env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
});

afterAll(async () => {
  await c?.delete();
  await server?.close();
  await gatewayApi?.close();
}, 240_000);

describe('ambient mode with the real istiod', () => {
  it('up --profile ambient: istiod runs in ambient mode and publishes the waypoint GatewayClass for the CRDs meshup installed', async () => {
    await c.kubectl(['create', 'namespace', 'shop']);
    const up = await c.meshup(['up', '--profile', 'ambient', '--addons', '', '--namespaces', 'shop', '--yes']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}\n${c.istiod.logTail()}`).toBe(0);
    await c.istiod.ready();
    // The harness hands pilot-discovery the Deployment's environment: the ambient profile's switch.
    const dep = await c.kube.get<{ spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } }>(
      '/apis/apps/v1/namespaces/istio-system/deployments/istiod',
    );
    const env = dep!.spec.template.spec.containers.find((x) => x.name === 'discovery')!.env ?? [];
    expect(env.find((e) => e.name === 'PILOT_ENABLE_AMBIENT')?.value).toBe('true');
    const waypointClass = await until('GatewayClass istio-waypoint', () =>
      c.kube.get<{ spec: { controllerName: string } } & Conditions>('/apis/gateway.networking.k8s.io/v1/gatewayclasses/istio-waypoint'),
    );
    expect(waypointClass.spec.controllerName).toBe('istio.io/mesh-controller');
    const ns = await c.kube.get<{ metadata: { labels: Record<string, string> } }>('/api/v1/namespaces/shop');
    expect(ns!.metadata.labels['istio.io/dataplane-mode']).toBe('ambient');
  });

  it('`meshup waypoint apply`: istiod deploys the waypoint and programs it; list reports it', async () => {
    const r = await c.meshup(['waypoint', 'apply', '-n', 'shop']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    // istiod's deployment controller, not meshup, made these (named after the Gateway).
    const dep = await until('the waypoint Deployment', () =>
      c.kube.get<{ metadata: { labels: Record<string, string> } }>('/apis/apps/v1/namespaces/shop/deployments/waypoint'),
    );
    expect(dep.metadata.labels['gateway.networking.k8s.io/gateway-name']).toBe('waypoint');
    const svc = await until('the waypoint Service', () =>
      c.kube.get<{ spec: { type: string; ports: { port: number }[] } }>('/api/v1/namespaces/shop/services/waypoint'),
    );
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p) => p.port)).toContain(15008);
    const gw = await until('the waypoint Programmed', async () => {
      const g = await c.kube.get<Conditions>('/apis/gateway.networking.k8s.io/v1/namespaces/shop/gateways/waypoint');
      return condition(g, 'Programmed') === 'True' && g;
    });
    expect(condition(gw, 'Accepted')).toBe('True');
    const ns = await c.kube.get<{ metadata: { labels: Record<string, string> } }>('/api/v1/namespaces/shop');
    expect(ns!.metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    const list = await c.meshup(['waypoint', 'list', '-n', 'shop', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain('"waypoint"');
  });

  it('`meshup expose` on the ambient mesh goes through the Gateway API: istiod gives the shared gateway the pinned nodePort, ingress reports it', async () => {
    await c.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=8080:8080', '-n', 'shop']);
    const r = await c.meshup(['expose', 'web', '-n', 'shop', '--json']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ api: 'gateway' });
    const svc = await until('meshup-ingress-istio with its http port', async () => {
      const s = await c.kube.get<{ spec: { type: string; ports: { name: string; port: number; nodePort?: number }[] } }>(
        '/api/v1/namespaces/istio-ingress/services/meshup-ingress-istio',
      );
      return s?.spec.ports.some((p) => p.port === 80) && s;
    });
    expect(svc.spec.ports.find((p) => p.port === 80)).toMatchObject({ nodePort: 30080 });
    const route = await until('the HTTPRoute accepted by istiod', async () => {
      const x = await c.kube.get<{ status?: { parents?: { conditions: { type: string; status: string }[] }[] } }>(
        '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/meshup-web',
      );
      return x?.status?.parents?.some((p) => p.conditions.some((k) => k.type === 'Accepted' && k.status === 'True')) && x;
    });
    expect(route.status!.parents![0]!.conditions.find((k) => k.type === 'ResolvedRefs')?.status).toBe('True');
    const ing = await c.meshup(['ingress', '--json']);
    expect(ing.exitCode, ing.stderr).toBe(0);
    expect(JSON.parse(ing.stdout)).toMatchObject({ service: 'istio-ingress/meshup-ingress-istio', nodePort: 30080, reachable: false });
  });

  it('nothing connected to a simulated pod or Service address while istiod deployed the waypoint and the gateway', () => {
    expectLoopbackOnly(c);
  });

  it('a second up makes no changing call and plan has nothing to do: what istiod made is not mistaken for drift', async () => {
    const r = await c.meshup(['up', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { commands: unknown[] }).commands).toEqual([]);
    const plan = await c.meshup(['plan']);
    expect(plan.exitCode, `${plan.stdout}\n${plan.stderr}`).toBe(0);
  });

  it('`meshup down --keep-cluster` leaves nothing of Istio but CRDs: routes, gateways, waypoint, labels, istiod and its GatewayClasses', async () => {
    // Someone's own class for Istio's controller is theirs, and stays.
    await c.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GatewayClass',
        metadata: { name: 'team-edge' },
        spec: { controllerName: 'istio.io/gateway-controller' },
      }),
    });
    const r = await c.meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/GatewayClasses .*istio-waypoint/);
    // Not recreated: istiod had stopped before they went.
    await sleep(3000);
    expect(c.istiod.running).toBe(false);
    expect(await names('/apis/gateway.networking.k8s.io/v1/gatewayclasses')).toEqual(['team-edge']);
    expect(await names('/apis/gateway.networking.k8s.io/v1/gateways')).toEqual([]);
    expect(await names('/apis/gateway.networking.k8s.io/v1/httproutes')).toEqual([]);
    const shop = await c.kube.get<{ metadata: { labels?: Record<string, string> } }>('/api/v1/namespaces/shop');
    expect(Object.keys(shop!.metadata.labels ?? {}).filter((k) => /istio|meshup/.test(k))).toEqual([]);
    await until(
      'istio-system and istio-ingress to be gone',
      async () => !(await c.kube.get('/api/v1/namespaces/istio-system')) && !(await c.kube.get('/api/v1/namespaces/istio-ingress')),
    );
    expect((await names('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations')).filter((n) => /istio/.test(n))).toEqual([]);
    expect((await names('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations')).filter((n) => /istio/.test(n))).toEqual([]);
    expect((await names('/apis/rbac.authorization.k8s.io/v1/clusterroles')).filter((n) => /istio/.test(n))).toEqual([]);
    // The CRDs stay: Istio's and the Gateway API's.
    const crds = await names('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(crds).toContain('gateways.gateway.networking.k8s.io');
    expect(crds).toContain('virtualservices.networking.istio.io');
  });
});
