// End to end on a simulated cluster: real etcd, kube-apiserver, controller-manager and scheduler
// (kwokctl's binary runtime, loopback only) and a real istioctl. Binaries come from
// test/cluster/build. Every address contacted is 127.0.0.1; the cluster is always deleted.

import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-');
const name = `e2e${process.pid}`;
const context = `kwok-${name}`;

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;
const getJson = async <T>(args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
/** The IstioOperator whose install made (and may prune) a Deployment of istio-system. */
const owner = (deployment: string) =>
  kubectl(['get', 'deployment', deployment, '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.install\\.operator\\.istio\\.io/owning-resource}']);

interface Deployment {
  metadata: { name: string };
  status: { readyReplicas?: number };
}

let server: ReleaseServer;
let gatewayApi: GatewayApiMirror | undefined;

beforeAll(async () => {
  // A release in the real layout holding the real istioctl and the tests' own small addon
  // manifests, served from 127.0.0.1 so meshup's download, checksum and cache path runs for real.
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
  // The real Gateway API CRDs Istio 1.31 is built against, from the Go module cache.
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
});

afterAll(async () => {
  // Always remove the cluster, whatever happened above.
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await server?.close();
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('meshup on a simulated cluster', () => {
  it('up --profile demo installs Istio with the real istioctl and labels the injection namespaces', async () => {
    const r = await meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', 'default,shop', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('injection  default, shop');
    const deps = await getJson<{ items: Deployment[] }>(['get', 'deployments', '-n', 'istio-system']);
    const ready = Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]));
    expect(ready).toMatchObject({ istiod: 1, 'istio-ingressgateway': 1, 'istio-egressgateway': 1 });
    // Two IstioOperators: each install owns, and so prunes, only its own objects.
    expect(await Promise.all(['istiod', 'istio-ingressgateway', 'istio-egressgateway'].map(owner))).toEqual(['meshup', 'meshup-gateways', 'meshup-gateways']);
    // The gateways, which meshup applied itself on this new mesh, carry the labels the real
    // istioctl gave istiod, but for their owner and component.
    const labels = async (d: string) =>
      (await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'deployment', d, '-n', 'istio-system'])).metadata.labels;
    const operatorLabels = (l: Record<string, string>) =>
      Object.fromEntries(Object.entries(l).filter(([k]) => /operator\.istio\.io\/|^istio\.io\/rev$/.test(k)));
    const [istiod, ingress] = [operatorLabels(await labels('istiod')), operatorLabels(await labels('istio-ingressgateway'))];
    expect(Object.keys(ingress).sort()).toEqual(Object.keys(istiod).sort());
    expect({ ...ingress, 'install.operator.istio.io/owning-resource': 'meshup', 'operator.istio.io/component': 'Pilot' }).toEqual(istiod);
    const svc = await getJson<{ spec: { ports: { name: string; nodePort?: number }[] } }>(['get', 'service', 'istio-ingressgateway', '-n', 'istio-system']);
    expect(svc.spec.ports.find((p) => p.name === 'http2')?.nodePort).toBe(30080);
    const shop = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'shop']);
    expect(shop.metadata.labels).toMatchObject({ 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });
  });

  it('applies addons from the downloaded release and waits until they are Ready', async () => {
    const r = await meshup(['up', '--profile', 'demo', '--addons', 'prometheus,kiali', '--namespaces', 'default,shop', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(server.requests.some((u) => u.endsWith('.tar.gz'))).toBe(true);
    const deps = await getJson<{ items: Deployment[] }>(['get', 'deployments', '-n', 'istio-system', '-l', 'meshup.dev/addon']);
    expect(Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]))).toEqual({ prometheus: 1, kiali: 1 });
    expect(await kubectl(['get', 'crd', 'monitoringdashboards.monitoring.test.meshup.dev', '-o', 'name'])).toContain('monitoringdashboards');
    // Honest on a simulated cluster: nothing listens, whatever the nodePort.
    expect(r.stdout).toContain(
      'gateway    the kwok cluster is simulated: its gateway pod runs nothing, so no address answers (a real cluster would answer on nodePort 30080)',
    );
  });

  it('a second up makes no changing call', async () => {
    const r = await meshup(['up', '--profile', 'demo', '--addons', 'prometheus,kiali', '--namespaces', 'default,shop', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; commands: unknown[] };
    expect(doc.ok).toBe(true);
    expect(doc.commands).toEqual([]);
  });

  it('plan on a converged cluster changes nothing; after meshup.yaml drops an addon and adds a namespace, plan and up do exactly those', async () => {
    const converged = await meshup(['plan', '--profile', 'demo', '--addons', 'prometheus,kiali', '--namespaces', 'default,shop']);
    expect(converged.exitCode, converged.stdout + converged.stderr).toBe(0);
    expect(converged.stdout).toContain('Nothing to change');
    // Later commands need no flags: the profile, addons and namespaces are the recorded ones.
    expect((await meshup(['plan'])).exitCode).toBe(0);

    writeFileSync(join(dir, 'meshup.yaml'), 'profile: demo\naddons: [prometheus]\nnamespaces: [default, shop, extra]\n');
    try {
      const p = await meshup(['plan', '--json']);
      expect(p.exitCode, p.stderr).toBe(10);
      const doc = JSON.parse(p.stdout) as { changes: boolean; actions: { id: string; symbol: string; changes: boolean; title: string }[] };
      expect(doc.actions.filter((a) => a.changes).map((a) => `${a.symbol} ${a.id}`)).toEqual(['+ injection:extra', '- addon:kiali', '~ record']);
      const u = await meshup(['up', '--yes', '--json']);
      expect(u.exitCode, u.stderr).toBe(0);
      const commands = (JSON.parse(u.stdout) as { commands: { command: string }[] }).commands.map((c) => c.command.split('\n')[0]!);
      expect(commands).toHaveLength(3);
      // The label goes in as a server-side apply sent straight to the API server (kubectl's own
      // request, without the process), beside the removal of Kiali; then the record.
      expect(commands).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^PATCH https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/extra\?fieldManager=meshup&force=true&fieldValidation=Strict$/),
          expect.stringMatching(/ delete .* -l meshup\.dev\/addon=kiali /),
        ]),
      );
      expect(commands[2]).toMatch(/^PATCH https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/[^/]+\/configmaps\/[^?]+\?fieldManager=meshup&/);
      expect(JSON.parse(await kubectl(['get', 'namespace', 'extra', '-o', 'json'])).metadata.labels).toMatchObject({ 'istio-injection': 'enabled' });
      expect(await kubectl(['get', 'deployment', 'kiali', '-n', 'istio-system', '--ignore-not-found'])).toBe('');
      expect((await meshup(['plan'])).exitCode).toBe(0);
    } finally {
      rmSync(join(dir, 'meshup.yaml'), { force: true });
    }
    // Back to the state the later tests expect.
    const back = await meshup(['up', '--profile', 'demo', '--addons', 'prometheus,kiali', '--namespaces', 'default,shop', '--yes']);
    expect(back.exitCode, back.stderr).toBe(0);
  });

  it("ingress says nothing listens on a simulated cluster, naming the gateway's real nodePort", async () => {
    const r = await meshup(['ingress', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const svc = await getJson<{ spec: { ports: { name: string; nodePort: number }[] } }>(['get', 'service', 'istio-ingressgateway', '-n', 'istio-system']);
    const http = svc.spec.ports.find((p) => p.name === 'http2')!.nodePort;
    const doc = JSON.parse(r.stdout) as { reachable: boolean; url?: string; message: string };
    expect(doc).toMatchObject({ reachable: false, how: 'unreachable' });
    expect(doc.url).toBeUndefined();
    expect(doc.message).toContain(`a real cluster would answer on nodePort ${http}`);
    const text = await meshup(['ingress']);
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toContain('is simulated');
  });

  it('dashboard port-forwards to 127.0.0.1, serves what kwok forwards to, and stops on Ctrl-C', async () => {
    // kwok forwards a pod's port only to a target a PortForward names: a server of this test.
    const page = createServer((_req, res) => res.end('prometheus test page')).listen(0, '127.0.0.1');
    await once(page, 'listening');
    const target = (page.address() as AddressInfo).port;
    await execa('kubectl', ['--context', context, 'apply', '-f', '-'], {
      env,
      extendEnv: false,
      input: JSON.stringify({
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'ClusterPortForward',
        metadata: { name: 'to-test-server' },
        spec: { selector: { matchNamespaces: ['istio-system'] }, forwards: [{ ports: [9090], target: { port: target, address: '127.0.0.1' } }] },
      }),
    });
    const child = execa(process.execPath, [MESHUP, 'dashboard', 'prometheus', '--no-browser', '--provider', 'kwok', '--name', name], {
      env,
      extendEnv: false,
      reject: false,
      cwd: dir,
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) resolve(m[0]);
      });
      void child.then((r) => reject(new Error(`dashboard exited: ${r.stderr}`)));
    });
    try {
      const res = await fetch(url);
      expect(await res.text()).toBe('prometheus test page');
    } finally {
      child.kill('SIGINT');
    }
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    await expect(fetch(url)).rejects.toThrow();
    page.close();
  });

  it('dashboard explains a port in use and an addon that is not enabled', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const r = await meshup(['dashboard', 'prometheus', '--no-browser', '--port', String((busy.address() as AddressInfo).port)]);
    busy.close();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('already in use');
    const g = await meshup(['dashboard', 'grafana', '--no-browser']);
    expect(g.exitCode).toBe(1);
    expect(g.stderr).toContain('enable it with: meshup addons enable grafana'.replace('enable it', 'Enable it'));
  });

  it('addons disable kiali removes only Kiali', async () => {
    const r = await meshup(['addons', 'disable', 'kiali']);
    expect(r.exitCode, r.stderr).toBe(0);
    const deps = await getJson<{ items: Deployment[] }>(['get', 'deployments', '-n', 'istio-system', '-l', 'meshup.dev/addon']);
    expect(deps.items.map((d) => d.metadata.name)).toEqual(['prometheus']);
    expect(await kubectl(['get', 'service', 'kiali', '-n', 'istio-system', '--ignore-not-found'])).toBe('');
    const list = JSON.parse((await meshup(['addons', 'list', '--json'])).stdout) as { name: string; enabled: boolean; ready: boolean }[];
    expect(list.filter((a) => a.enabled).map((a) => a.name)).toEqual(['prometheus']);
  });

  it('injection list and --restart say that simulated pods get no sidecars, instead of restarting them', async () => {
    await kubectl(['create', 'deployment', 'web', '--image=example.invalid/web:1', '-n', 'shop']);
    await kubectl(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=60s']);
    const list = await meshup(['injection', 'list']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain('is simulated: its pods run nothing and get no sidecars');
    expect(list.stdout).not.toContain('restart them');
    const r = await meshup(['injection', 'enable', 'shop', '--restart']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('restarting them would change nothing');
    const dep = await getJson<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(['get', 'deployment', 'web', '-n', 'shop']);
    expect(dep.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  it('expose --api istio routes the classic gateway to a Service, checks it exists, and --delete removes the route', async () => {
    await kubectl(['expose', 'deployment', 'web', '--port', '8080', '-n', 'shop']);
    const missing = await meshup(['expose', 'wbe', '-n', 'shop']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('No Service "wbe" in namespace shop');
    expect(missing.stderr).toContain('Did you mean web?');
    // The Gateway API way (the default here, the CRDs being installed) needs istiod running: see istiod.test.ts.
    const r = await meshup(['expose', 'web', '-n', 'shop', '--path', '/api', '--api', 'istio']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('web.shop:8080 is exposed through the ingress gateway');
    expect(r.stdout).toContain('is simulated');
    const vs = await getJson<{ spec: { http: { route: { destination: { host: string; port: { number: number } } }[] }[] } }>([
      'get',
      'virtualservices.networking.istio.io',
      'meshup-web',
      '-n',
      'shop',
    ]);
    expect(vs.spec.http[0]!.route[0]!.destination).toEqual({ host: 'web.shop.svc.cluster.local', port: { number: 8080 } });
    const del = await meshup(['expose', '--delete', 'web', '-n', 'shop']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await kubectl(['get', 'gateways.networking.istio.io,virtualservices.networking.istio.io', '-n', 'shop', '-o', 'name'])).toBe('');
  });

  it("inject adds sidecars with the real istioctl and the cluster's injector settings", async () => {
    writeFileSync(
      join(dir, 'app.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app, namespace: shop }\nspec:\n  selector: { matchLabels: { app: app } }\n  template:\n    metadata: { labels: { app: app } }\n    spec:\n      containers: [{ name: app, image: example.invalid/app:1 }]\n',
    );
    const r = await meshup(['inject', '-f', join(dir, 'app.yaml')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('name: istio-proxy');
    expect(r.stdout).toContain('proxyv2');
  });

  it('removes only the labels it set when a namespace leaves the config', async () => {
    await kubectl(['create', 'namespace', 'mine']);
    await kubectl(['label', 'namespace', 'mine', 'istio-injection=enabled']);
    const r = await meshup(['up', '--profile', 'demo', '--addons', 'prometheus', '--namespaces', 'default', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const shop = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'shop']);
    expect(shop.metadata.labels['istio-injection']).toBeUndefined();
    const mine = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', 'mine']);
    expect(mine.metadata.labels['istio-injection']).toBe('enabled');
  });

  it('the real istioctl prunes a gateway meshup applied on the new mesh once the config drops it', async () => {
    writeFileSync(join(dir, 'meshup.yaml'), 'gateway:\n  egress: false\n');
    try {
      const r = await meshup(['up', '--yes']);
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stderr).toContain('Reconfigure Istio 1.31.1');
      expect(await kubectl(['get', 'deployment', 'istio-egressgateway', '-n', 'istio-system', '--ignore-not-found'])).toBe('');
      expect(await owner('istio-ingressgateway')).toBe('meshup-gateways');
    } finally {
      rmSync(join(dir, 'meshup.yaml'), { force: true });
    }
    const back = await meshup(['up', '--yes']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await owner('istio-egressgateway')).toBe('meshup-gateways');
  });

  it('takes over the gateways an older meshup installed with the control plane, without losing them', async () => {
    // What an older meshup did: one IstioOperator, named meshup, for istiod and its gateways.
    const state = join(env.XDG_STATE_HOME!, 'meshup', 'kwok', name);
    const single = parse(readFileSync(join(state, 'istio-overlay.yaml'), 'utf8'));
    const gateways = parse(readFileSync(join(state, 'istio-gateways.yaml'), 'utf8'));
    single.spec.components.ingressGateways = gateways.spec.components.ingressGateways;
    single.spec.components.egressGateways = gateways.spec.components.egressGateways;
    writeFileSync(join(dir, 'single.yaml'), stringify(single));
    await execa('istioctl', ['--context', context, 'install', '-f', join(dir, 'single.yaml'), '-y'], { env, extendEnv: false });
    expect(await owner('istio-ingressgateway')).toBe('meshup');
    // …and the overlay hash it recorded, which is not this meshup's.
    const rec = await getJson<{ data: { spec: string } }>(['get', 'configmap', 'meshup', '-n', 'kube-public']);
    const spec = { ...JSON.parse(rec.data.spec), overlayHash: '0123456789abcdef' };
    await execa('kubectl', ['--context', context, 'apply', '-f', '-'], {
      env,
      extendEnv: false,
      input: JSON.stringify({ ...rec, data: { ...rec.data, spec: JSON.stringify(spec) } }),
    });

    const r = await meshup(['up', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain('Reconfigure Istio 1.31.1');
    expect(await Promise.all(['istiod', 'istio-ingressgateway', 'istio-egressgateway'].map(owner))).toEqual(['meshup', 'meshup-gateways', 'meshup-gateways']);
    const deps = await getJson<{ items: Deployment[] }>(['get', 'deployments', '-n', 'istio-system']);
    expect(Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]))).toMatchObject({
      istiod: 1,
      'istio-ingressgateway': 1,
      'istio-egressgateway': 1,
    });
    expect((await meshup(['plan'])).exitCode).toBe(0);
  });

  it('down --keep-cluster removes the mesh but keeps CRDs, and a second one is a no-op', async () => {
    const r = await meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const ns = await getJson<{ items: { metadata: { name: string; labels?: Record<string, string> } }[] }>(['get', 'namespaces']);
    // Namespace deletion finishes asynchronously; it must at least be terminating.
    const istio = ns.items.find((n) => n.metadata.name === 'istio-system') as { status?: { phase?: string } } | undefined;
    expect(istio === undefined || istio.status?.phase === 'Terminating').toBe(true);
    expect(ns.items.find((n) => n.metadata.name === 'default')?.metadata.labels?.['istio-injection']).toBeUndefined();
    const hooks = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'validatingwebhookconfigurations']);
    expect(hooks.items.filter((h) => /^istio/.test(h.metadata.name))).toEqual([]);
    const crds = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'crds']);
    expect(crds.items.some((c) => c.metadata.name.endsWith('.istio.io'))).toBe(true);

    const again = await meshup(['down', '--keep-cluster', '--yes', '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: [], commands: [] });
  });

  it('down deletes the cluster it created', async () => {
    const r = await meshup(['down', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const list = await execa('kwokctl', ['get', 'clusters'], { env, extendEnv: false });
    expect(list.stdout.split('\n')).not.toContain(name);
  });
});
