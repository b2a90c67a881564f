// End to end with the REAL istiod: pilot-discovery runs as a local process on 127.0.0.1 and the
// simulated cluster's API server calls its webhooks (see test/helpers/istiod.ts for how, and why
// nothing ever dials a simulated pod or Service address). meshup drives the cluster with its own
// commands; the assertions are on what the cluster holds afterwards.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createIstiodCluster, expectLoopbackOnly, gatewayApiCrds, type IstiodCluster, until } from '../helpers/istiod.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';

let c: IstiodCluster;
let server: ReleaseServer;

interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}
interface Pod {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: PodSpec;
  status?: { phase?: string; podIP?: string };
}

const pods = async (ns: string, selector?: string) =>
  (
    (await c.kube.get<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`))?.items ?? []
  ).filter((p) => !p.metadata.deletionTimestamp);

const names = (cs: Container[] | undefined) => (cs ?? []).map((x) => x.name);
const withSidecar = (p: Pod) => [...names(p.spec.containers), ...names(p.spec.initContainers)].includes('istio-proxy');

async function upMesh(): Promise<void> {
  // The Gateway API CRDs are applied by hand below, while istiod runs; meshup's own install of
  // them (--gateway-api-mirror, helpers/gateway-api.mjs) is left to the Gateway API tests.
  const up = await c.meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', 'default', '--yes', '--no-gateway-api']);
  if (up.exitCode !== 0) throw new Error(`meshup up failed (${up.exitCode}):\n${up.stdout}\n${up.stderr}\n${c.istiod.logTail()}`);
  await c.istiod.ready();
}

beforeAll(async () => {
  c = await createIstiodCluster('meshup-istiod-');
  const release = await buildRelease(join(c.dir, 'releases'), '1.31.1', { istioctl: join(c.env.MESHUP_KWOK_BIN_DIR!, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  c.env.MESHUP_ISTIO_MIRROR = server.url;
  await upMesh();
});

afterAll(async () => {
  await c?.delete();
  await server?.close();
}, 240_000);

describe('meshup with the real istiod on a simulated cluster', () => {
  it('pilot-discovery is running and serves the webhooks of this cluster on 127.0.0.1', async () => {
    expect(c.istiod.running).toBe(true);
    expect(c.istiod.pilotAlive()).toBe(true);
    expect(await c.istiod.readyz()).toBe(200);
    const port = c.istiod.ports!.webhook;
    const hooks = await c.istiod.webhooks();
    expect(new Set(hooks.map((h) => h.config))).toEqual(
      new Set(['istio-sidecar-injector', 'istio-revision-tag-default', 'istio-validator-istio-system', 'istiod-default-validator']),
    );
    for (const h of hooks) {
      expect(h.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/(inject|validate)`));
      expect(h.service).toBeUndefined();
      // Only a running istiod patches its CA in and switches the validators to fail closed.
      expect(h.caBundle).toBe(true);
      if (h.kind === 'validatingwebhookconfigurations') expect(h.failurePolicy).toBe('Fail');
    }
    // The API server can verify what it dials: the certificate names 127.0.0.1 and chains to the bundle.
    const injector = await c.kube.get<{ webhooks: { clientConfig: { caBundle: string } }[] }>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector',
    );
    const ca = Buffer.from(injector!.webhooks[0]!.clientConfig.caBundle, 'base64');
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca }, () => {
        resolve(s.authorized);
        s.end();
      });
      s.on('error', reject);
    });
    expect(authorized).toBe(true);
    // The istiod pod plays at 127.0.0.1, which Endpoints refuse: the Service has no address to dial.
    const [istiodPod] = await pods('istio-system', 'app=istiod');
    expect(istiodPod?.status?.podIP).toBe('127.0.0.1');
    const ep = await c.kube.get<{ subsets?: { addresses?: unknown[] }[] }>('/api/v1/namespaces/istio-system/endpoints/istiod');
    expect((ep?.subsets ?? []).flatMap((s) => s.addresses ?? [])).toEqual([]);
  });

  it('a namespace labelled by `meshup injection enable` gets real sidecars, the ones `meshup inject` writes', async () => {
    await c.kubectl(['create', 'namespace', 'apps']);
    const en = await c.meshup(['injection', 'enable', 'apps']);
    expect(en.exitCode, en.stderr).toBe(0);
    const manifest = join(c.dir, 'app.yaml');
    writeFileSync(
      manifest,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app, namespace: apps }\nspec:\n  selector: { matchLabels: { app: app } }\n  template:\n    metadata: { labels: { app: app } }\n    spec:\n      containers: [{ name: app, image: example.invalid/app:1 }]\n',
    );
    const inj = await c.meshup(['inject', '-f', manifest]);
    expect(inj.exitCode, inj.stderr).toBe(0);
    const offline = (
      parseAllDocuments(inj.stdout)
        .map((d) => d.toJS())
        .find((d) => d?.kind === 'Deployment') as { spec: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } } }
    ).spec.template;

    await c.kubectl(['apply', '-f', manifest]);
    const pod = await until('the app pod', async () => (await pods('apps', 'app=app'))[0]);
    // The webhook, not the manifest, added these.
    expect(withSidecar(pod)).toBe(true);
    expect(names(pod.spec.containers)).toEqual(names(offline.spec.containers));
    expect(names(pod.spec.initContainers)).toEqual(names(offline.spec.initContainers));
    const image = (s: PodSpec) => [...s.containers, ...(s.initContainers ?? [])].find((x) => x.name === 'istio-proxy')!.image;
    expect(image(pod.spec)).toMatch(/proxyv2/);
    expect(image(pod.spec)).toBe(image(offline.spec));
    const status = (a: Record<string, string> | undefined) => JSON.parse(a?.['sidecar.istio.io/status'] ?? '{}') as Record<string, unknown>;
    expect(status(pod.metadata.annotations)).toMatchObject({
      containers: status(offline.metadata.annotations).containers,
      initContainers: status(offline.metadata.annotations).initContainers,
    });
    expect(status(pod.metadata.annotations).containers).toContain('istio-proxy');
  });

  it('without pilot-discovery, pod creation in that namespace fails closed at 127.0.0.1; with it again, it succeeds', async () => {
    const port = c.istiod.ports!.webhook;
    c.istiod.hold = true;
    await c.istiod.stop('negative control');
    expect(c.istiod.pilotAlive()).toBe(false);
    const refused = await c.kubectl(['run', 'probe', '-n', 'apps', '--image=example.invalid/probe:1', '--restart=Never'], { reject: false });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('failed calling webhook');
    expect(refused.stderr).toContain(`https://127.0.0.1:${port}/inject`);
    c.istiod.hold = false;
    await c.istiod.ready();
    const ok = await c.kubectl(['run', 'probe', '-n', 'apps', '--image=example.invalid/probe:1', '--restart=Never']);
    expect(ok.exitCode).toBe(0);
    const probe = await until('the probe pod', async () => (await pods('apps', 'run=probe'))[0]);
    expect(withSidecar(probe)).toBe(true);
  });

  it('`meshup injection enable NS --restart` gives the pods that predate injection their sidecars', async () => {
    await c.kubectl(['create', 'namespace', 'legacy']);
    await c.kubectl(['create', 'deployment', 'old', '--image=example.invalid/old:1', '-n', 'legacy']);
    const before = await until('the old pod', async () => (await pods('legacy', 'app=old')).find((p) => p.status?.phase === 'Running'));
    expect(withSidecar(before)).toBe(false);
    const r = await c.meshup(['injection', 'enable', 'legacy', '--restart']);
    expect(r.exitCode, r.stderr).toBe(0);
    const after = await until('only sidecar pods in legacy', async () => {
      const ps = await pods('legacy', 'app=old');
      return ps.length === 1 && ps[0]!.metadata.name !== before.metadata.name && withSidecar(ps[0]!) && ps[0]!.status?.phase === 'Running' && ps;
    });
    expect(names(after[0]!.spec.containers)).toContain('istio-proxy');
    const list = JSON.parse((await c.meshup(['injection', 'list', '--json'])).stdout) as { namespace: string; podsToRestart: string[] }[];
    expect(list.find((n) => n.namespace === 'legacy')).toMatchObject({ podsToRestart: [] });
  });

  /** A VirtualService Istio's validation refuses: its host is no domain name. */
  const invalidRoute = JSON.stringify({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'invalid', namespace: 'apps' },
    spec: { hosts: ['not a host!'], http: [{ route: [{ destination: { host: 'web' } }] }] },
  });
  const applyInvalid = () => c.kubectl(['apply', '-f', '-'], { input: invalidRoute, reject: false });

  it('an invalid Istio resource is refused by the real validating webhook; meshup refuses the same host itself, before any change', async () => {
    await c.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=8080:8080', '-n', 'apps']);
    const refused = await applyInvalid();
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('admission webhook "validation.istio.io" denied the request');
    expect(refused.stderr).toContain('domain name "not a host!" invalid');
    const bad = await c.meshup(['expose', 'web', '-n', 'apps', '--host', 'not a host!']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('not a host!');
    expect((await c.kubectl(['get', 'gateways.networking.istio.io,virtualservices.networking.istio.io', '-n', 'apps', '-o', 'name'])).stdout).toBe('');
    // The same route with a valid host passes the same webhook.
    const good = await c.meshup(['expose', 'web', '-n', 'apps']);
    expect(good.exitCode, good.stderr).toBe(0);
    expect((await c.kubectl(['get', 'virtualservices.networking.istio.io', 'meshup-web', '-n', 'apps', '-o', 'name'])).stdout).toContain('meshup-web');
  });

  it("meshup's validating webhook edited to match nothing is drift: named by plan, restored by up (its URL kept), and the real webhook refuses", async () => {
    type Hooks = { items: { metadata: { name: string }; webhooks: { name: string; rules: unknown[]; clientConfig: { url?: string } }[] }[] };
    const read = async () => JSON.parse((await c.kubectl(['get', 'validatingwebhookconfigurations', '-l', 'app=istiod', '-o', 'json'])).stdout) as Hooks;
    // The revision's validator is meshup's (istioctl's install). istiod's own default validator,
    // which it makes at run time, is not meshup's to compare or repair, and is left as it is.
    const mine = (h: Hooks) => h.items.find((v) => v.metadata.name === 'istio-validator-istio-system')!;
    const before = mine(await read());
    expect(before, 'the revision validator').toBeDefined();
    await c.kubectl([
      'patch',
      'validatingwebhookconfiguration',
      before.metadata.name,
      '--type=json',
      '-p',
      JSON.stringify(before.webhooks.map((_, i) => ({ op: 'replace', path: `/webhooks/${i}/rules/0/apiGroups`, value: ['none.invalid'] }))),
    ]);
    // No spec flags: the spec is what the cluster records.
    const plan = await c.meshup(['plan']);
    expect(plan.exitCode, `${plan.stdout}\n${plan.stderr}`).toBe(10);
    expect(plan.stdout).toMatch(
      /validatingwebhookconfiguration istio-validator-istio-system webhooks\[name=[^\]]+\]\.rules\[0\]\.apiGroups \["none\.invalid"\] → \[".*istio\.io".*\(changed by kubectl-patch\)/,
    );
    expect(plan.stdout).not.toContain('istiod-default-validator');
    const up = await c.meshup(['up', '--yes', '--verbose']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    expect(up.stderr).not.toMatch(/istioctl .*install -f/);
    expect((await c.meshup(['plan'])).exitCode).toBe(0);
    // Restored as it was, rules and URL (this harness points it at pilot-discovery on 127.0.0.1).
    const after = mine(await read());
    expect(after.webhooks.map((w) => [w.name, w.rules, w.clientConfig.url])).toEqual(before.webhooks.map((w) => [w.name, w.rules, w.clientConfig.url]));
    expect(after.webhooks.every((w) => w.clientConfig.url?.startsWith('https://127.0.0.1:'))).toBe(true);
    const refused = await applyInvalid();
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('admission webhook "validation.istio.io" denied the request');
  });

  it('with the Gateway API CRDs present, a Gateway of class istio gets its Deployment and Service from istiod', async () => {
    const crds = gatewayApiCrds();
    expect(crds.files).toContain('gateway.networking.k8s.io_gateways.yaml');
    await c.kubectl(['apply', '--server-side', '-f', '-'], { input: crds.yaml });
    await c.kubectl([
      'wait',
      '--for=condition=Established',
      'crd/gateways.gateway.networking.k8s.io',
      'crd/gatewayclasses.gateway.networking.k8s.io',
      '--timeout=60s',
    ]);
    // istiod notices the CRDs while running and publishes its GatewayClass.
    await until('GatewayClass istio', () => c.kube.get('/apis/gateway.networking.k8s.io/v1/gatewayclasses/istio'));
    await c.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'edge', namespace: 'apps' },
        spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      }),
    });
    const dep = await until('the Deployment istiod creates', () =>
      c.kube.get<{ metadata: { labels: Record<string, string> } }>('/apis/apps/v1/namespaces/apps/deployments/edge-istio'),
    );
    expect(dep.metadata.labels['gateway.networking.k8s.io/gateway-name']).toBe('edge');
    const svc = await until('the Service istiod creates', () =>
      c.kube.get<{ spec: { type: string; ports: { port: number; nodePort?: number }[] } }>('/api/v1/namespaces/apps/services/edge-istio'),
    );
    expect(svc.spec.ports.map((p) => p.port)).toContain(80);
    // meshup finds it by the Gateway's name, and says honestly that nothing listens on simulated nodes.
    const nodePort = await until(
      'its nodePort',
      async () =>
        (await c.kube.get<{ spec: { ports: { port: number; nodePort?: number }[] } }>('/api/v1/namespaces/apps/services/edge-istio'))?.spec.ports.find(
          (p) => p.port === 80,
        )?.nodePort,
    );
    const ing = await c.meshup(['ingress', '--gateway', 'edge', '-n', 'apps', '--json']);
    expect(ing.exitCode, ing.stderr).toBe(0);
    const found = JSON.parse(ing.stdout) as { reachable: boolean; message?: string };
    expect(found.reachable).toBe(false);
    expect(found.message).toContain(`a real cluster would answer on nodePort ${nodePort}`);
    // Its pod is injected through the webhook with the gateway template (image "auto" replaced).
    const gwPod = await until('the gateway pod', async () => (await pods('apps', 'gateway.networking.k8s.io/gateway-name=edge'))[0]);
    const proxy = gwPod.spec.containers.find((x) => x.name === 'istio-proxy');
    expect(proxy?.image).toMatch(/proxyv2/);
    const accepted = await until('Gateway edge Accepted', async () => {
      const gw = await c.kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        '/apis/gateway.networking.k8s.io/v1/namespaces/apps/gateways/edge',
      );
      return gw?.status?.conditions?.find((x) => x.type === 'Accepted' && x.status === 'True');
    });
    expect(accepted.status).toBe('True');
  });

  it('`meshup down --keep-cluster` leaves no webhook behind, and istiod stops with its namespace', async () => {
    const r = await c.meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const list = await c.kube.get<{ items: { metadata: { name: string }; webhooks?: { name: string; clientConfig: { url?: string } }[] }[] }>(
        `/apis/admissionregistration.k8s.io/v1/${kind}`,
      );
      const istio = (list?.items ?? []).filter(
        (x) => /istio/.test(x.metadata.name) || (x.webhooks ?? []).some((w) => w.clientConfig.url?.includes('127.0.0.1') || /istio\.io$/.test(w.name)),
      );
      expect(istio.map((x) => x.metadata.name)).toEqual([]);
    }
    await until('pilot-discovery to stop', async () => !c.istiod.running && !c.istiod.pilotAlive(), 60_000);
  });

  it('nothing connected to a simulated pod or Service address; the API server reached istiod on 127.0.0.1', () => {
    expectLoopbackOnly(c);
  });

  it('on a mesh without istio-ingressgateway, `meshup expose` goes through the Gateway API: istiod gives the shared gateway the pinned nodePort, ingress reports it, down removes it', async () => {
    await until('istio-system to be gone', async () => !(await c.kube.get('/api/v1/namespaces/istio-system')), 180_000);
    // minimal: istiod only. The Gateway API CRDs applied above are still there (down keeps CRDs).
    const up = await c.meshup(['up', '--profile', 'minimal', '--addons', '', '--namespaces', 'default', '--yes', '--no-gateway-api']);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    await c.istiod.ready();
    expect(await c.kube.get('/api/v1/namespaces/istio-system/services/istio-ingressgateway')).toBeFalsy();

    const r = await c.meshup(['expose', 'web', '-n', 'apps', '--path', '/shop', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const exposed = JSON.parse(r.stdout) as { api: string; why: string; gateway: { service?: string; nodePort?: number; reachable: boolean } | null };
    expect(exposed).toMatchObject({ api: 'gateway', why: 'the Gateway API CRDs are installed' });

    // The real istiod rendered the Service with the ConfigMap's patch: the profile's nodePort.
    type Svc = { metadata: { labels?: Record<string, string> }; spec: { type: string; ports: { name: string; port: number; nodePort?: number }[] } };
    const svc = await until('meshup-ingress-istio with its http port', async () => {
      const s = await c.kube.get<Svc>('/api/v1/namespaces/istio-ingress/services/meshup-ingress-istio');
      return s?.spec.ports.some((p) => p.port === 80) && s;
    });
    const http = svc.spec.ports.find((p) => p.port === 80)!;
    expect(http).toMatchObject({ name: 'http', nodePort: 30080 });
    expect(svc.spec.type).toBe('LoadBalancer');
    // istiod's objects carry the gateway's infrastructure labels, not meshup's managed-by.
    expect(svc.metadata.labels?.['meshup.dev/expose']).toBe('shared');
    expect(svc.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    expect(exposed.gateway).toMatchObject({ service: 'istio-ingress/meshup-ingress-istio', nodePort: 30080, reachable: false });

    // The route from the Service's namespace is attached to the shared gateway and its backend resolves.
    type Route = { status?: { parents?: { parentRef: { name: string; namespace?: string }; conditions: { type: string; status: string }[] }[] } };
    const parent = await until('the HTTPRoute accepted by istiod', async () => {
      const route = await c.kube.get<Route>('/apis/gateway.networking.k8s.io/v1/namespaces/apps/httproutes/meshup-web');
      const p = route?.status?.parents?.find((x) => x.parentRef.name === 'meshup-ingress');
      return p?.conditions.some((x) => x.type === 'Accepted' && x.status === 'True') && p;
    });
    expect(parent.parentRef.namespace).toBe('istio-ingress');
    expect(parent.conditions.find((x) => x.type === 'ResolvedRefs')?.status).toBe('True');

    // meshup ingress finds it with no --gateway (there is no istio-ingressgateway) and reports the real nodePort.
    const ing = await c.meshup(['ingress', '--json']);
    expect(ing.exitCode, ing.stderr).toBe(0);
    const found = JSON.parse(ing.stdout) as { service: string; nodePort: number; reachable: boolean; message: string };
    expect(found).toMatchObject({ service: 'istio-ingress/meshup-ingress-istio', nodePort: 30080, reachable: false });
    expect(found.message).toContain('a real cluster would answer on nodePort 30080');

    const down = await c.meshup(['down', '--keep-cluster', '--yes']);
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(down.stdout).toContain('1 exposed route(s) and 1 gateway(s) (and namespace istio-ingress)');
    for (const kind of [
      'httproutes.gateway.networking.k8s.io',
      'gateways.gateway.networking.k8s.io',
      'virtualservices.networking.istio.io',
      'gateways.networking.istio.io',
      'configmaps',
    ]) {
      const left = await c.kubectl(['get', kind, '-A', '-l', 'meshup.dev/expose', '-o', 'name']);
      expect(left.stdout, kind).toBe('');
    }
    // What istiod made of the gateway goes with it, and so does its namespace.
    await until('istio-ingress to be gone', async () => !(await c.kube.get('/api/v1/namespaces/istio-ingress')), 120_000);
    await until('pilot-discovery to stop', async () => !c.istiod.running && !c.istiod.pilotAlive(), 60_000);
    // The GatewayClass istiod published went once istiod had stopped, and stays gone.
    expect(down.stdout).toMatch(/GatewayClass(es)? istio\b/);
    await sleep(2000);
    const classes = await c.kube.get<{ items: { metadata: { name: string } }[] }>('/apis/gateway.networking.k8s.io/v1/gatewayclasses');
    expect((classes?.items ?? []).map((x) => x.metadata.name)).toEqual([]);
  });

  it('a new install starts istiod again, and deleting the cluster stops and reaps it', async () => {
    await until('istio-system to be gone', async () => !(await c.kube.get('/api/v1/namespaces/istio-system')), 180_000);
    const starts = c.istiod.starts;
    await upMesh();
    expect(c.istiod.starts).toBe(starts + 1);
    const pid = c.istiod.pid!;
    expect(c.istiod.pilotAlive()).toBe(true);
    expectLoopbackOnly(c);
    // Delete the cluster behind the harness's back: the watchdog must notice on its own.
    await execa('kwokctl', ['delete', 'cluster', '--name', c.name], { env: c.env, extendEnv: false });
    expect(await c.istiod.waitExit(30_000)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
