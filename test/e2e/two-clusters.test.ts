// Two simulated clusters, one mesh, each with the REAL istiod on 127.0.0.1 (test/helpers/istiod.ts):
// `meshup up` on a `clusters:` list puts one root's intermediates in as cacerts before istiod
// starts and a remote secret in each cluster for the other; what proves discovery is each istiod's
// own service registry (its debug endpoints), holding a Service and endpoints that exist only in
// the other cluster. Remote secrets name the other API server at 127.0.0.1: loopback only.
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIstiodCluster, expectLoopbackOnly, type IstiodCluster, until } from '../helpers/istiod.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';

let east: IstiodCluster;
let west: IstiodCluster;
let server: ReleaseServer;

const meshup = async (args: string[]) => {
  const r = await execa(process.execPath, [MESHUP, ...args], { env: east.env, extendEnv: false, reject: false, cwd: east.dir, input: '', timeout: 590_000 });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1, all: `${r.stdout}\n${r.stderr}` };
};

/** What an istiod's debug endpoint serves, as text (its JSON shapes are Istio's internals). */
async function debug(c: IstiodCluster, path: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${c.istiod.ports!.http}/debug/${path}`, { signal: AbortSignal.timeout(5000) });
  return r.text();
}

/** A Deployment and its Service that exist only in `c`: kwok runs the pod, the endpoint slice
 * controller gives the Service its endpoints. */
async function onlyIn(c: IstiodCluster, name: string): Promise<void> {
  await c.kubectl(['create', 'namespace', 'shop'], { reject: false });
  await c.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: 'shop' },
          spec: {
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', ports: [{ containerPort: 8080 }] }] },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace: 'shop' },
          spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
      ],
    }),
  });
}

/** Whether `c`'s istiod has `host` in its registry with endpoints from cluster `from` (and, when
 * given, on that network). */
async function discovers(c: IstiodCluster, host: string, from: string, network?: string): Promise<boolean> {
  const [registry, shards] = await Promise.all([debug(c, 'registryz'), debug(c, 'endpointShardz')]);
  if (!registry.includes(`"${host}"`)) return false;
  const byHost = (JSON.parse(shards) as Record<string, Record<string, { Shards?: Record<string, unknown[]> }>>)[host];
  return Object.values(byHost ?? {}).some((ns) =>
    Object.entries(ns.Shards ?? {}).some(
      ([key, eps]) => key.endsWith(`/${from}`) && eps.length > 0 && (!network || JSON.stringify(eps).includes(`"${network}"`)),
    ),
  );
}

function peerCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(new X509Certificate(s.getPeerCertificate().raw));
      s.end();
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  east = await createIstiodCluster('meshup-two-');
  west = await createIstiodCluster('', { beside: east, suffix: 'w' });
  const release = await buildRelease(join(east.dir, 'releases'), '1.31.1', { istioctl: join(east.env.MESHUP_KWOK_BIN_DIR!, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  east.env.MESHUP_ISTIO_MIRROR = server.url;
  writeFileSync(
    join(east.dir, 'meshup.yaml'),
    [
      'profile: minimal',
      'addons: []',
      'namespaces: [default]',
      'gatewayApi: false',
      'meshID: shop-mesh',
      'clusters:',
      `  - { name: east, provider: existing, context: ${east.context} }`,
      `  - { name: west, provider: existing, context: ${west.context} }`,
      '',
    ].join('\n'),
  );
  const up = await meshup(['up', '--yes', '--verbose']);
  if (up.exitCode !== 0) throw new Error(`meshup up failed (${up.exitCode}):\n${up.all}\n${east.istiod.logTail()}\n${west.istiod.logTail()}`);
  await Promise.all([east.istiod.ready(), west.istiod.ready()]);
  await Promise.all([onlyIn(east, 'only-in-east'), onlyIn(west, 'only-in-west')]);
}, 600_000);

afterAll(async () => {
  await west?.delete();
  await east?.delete();
  await server?.close();
}, 240_000);

describe('two clusters, one mesh, with the real istiod in each', () => {
  it('each istiod discovers a Service and its endpoints that exist only in the other cluster', async () => {
    await until('east to discover only-in-west', () => discovers(east, 'only-in-west.shop.svc.cluster.local', 'west'));
    await until('west to discover only-in-east', () => discovers(west, 'only-in-east.shop.svc.cluster.local', 'east'));
    // Each reads the other as a remote cluster, under the other's cluster ID.
    expect(await debug(east, 'clusterz')).toContain('"west"');
    expect(await debug(west, 'clusterz')).toContain('"east"');
  }, 180_000);

  it('both istiods sign with an intermediate of the one root meshup made, and their workloads trust that root', async () => {
    const state = join(east.env.XDG_STATE_HOME!, 'meshup', 'trust');
    const root = new X509Certificate(readFileSync(join(state, 'root', 'root-cert.pem')));
    for (const [c, name] of [
      [east, 'east'],
      [west, 'west'],
    ] as const) {
      const intermediate = new X509Certificate(readFileSync(join(state, 'clusters', name, 'ca-cert.pem')));
      expect(intermediate.verify(root.publicKey)).toBe(true);
      // The certificate istiod serves its webhooks with was signed by that intermediate.
      const leaf = await peerCertificate(c.istiod.ports!.webhook);
      expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey)).toBe(true);
      // What istiod hands every namespace as the mesh's root is the one root.
      const cm = await until(`istio-ca-root-cert in ${name}`, () =>
        c.kube.get<{ data: Record<string, string> }>('/api/v1/namespaces/default/configmaps/istio-ca-root-cert'),
      );
      expect(new X509Certificate(cm.data['root-cert.pem']!).fingerprint256).toBe(root.fingerprint256);
    }
  });

  it('a second up changes nothing', async () => {
    const r = await meshup(['up', '--yes', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const doc = JSON.parse(r.stdout) as { clusters: { plan: { changes: boolean } }[]; across: { changes: boolean; actions: { title: string }[] } };
    expect(doc.clusters.map((c) => c.plan.changes)).toEqual([false, false]);
    expect(doc.across.changes).toBe(false);
    expect(doc.across.actions.map((a) => a.title)).toEqual([
      expect.stringMatching(/^keep east's remote secret for west \(server https:\/\/127\.0\.0\.1:\d+\)$/),
      expect.stringMatching(/^keep west's remote secret for east \(server https:\/\/127\.0\.0\.1:\d+\)$/),
    ]);
  });

  it('a deleted remote secret is named by plan, restored by up, and discovery comes back', async () => {
    await east.kubectl(['delete', 'secret', 'istio-remote-secret-west', '-n', 'istio-system']);
    await until('east to forget west', async () => !(await debug(east, 'registryz')).includes('"only-in-west.shop.svc.cluster.local"'));
    const plan = await meshup(['plan']);
    expect(plan.exitCode, plan.all).toBe(10);
    expect(plan.stdout).toMatch(/\+ let east's istiod discover west \(secret istio-remote-secret-west in east, server https:\/\/127\.0\.0\.1:\d+\)/);
    expect(plan.stdout).toContain('east holds no remote secret for west');
    const status = await meshup(['status', '--cluster', 'east']);
    expect(status.stdout).toMatch(/Misses +west: east holds no remote secret for west; meshup up repairs it/);
    const up = await meshup(['up', '--yes']);
    expect(up.exitCode, up.all).toBe(0);
    await until('east to discover only-in-west again', () => discovers(east, 'only-in-west.shop.svc.cluster.local', 'west'));
    expect((await meshup(['status', '--cluster', 'east'])).stdout).toMatch(/Sees +west \(remote secret, server https:\/\/127\.0\.0\.1:\d+\)/);
  }, 180_000);

  it('sent nothing to any address but loopback', () => {
    expectLoopbackOnly(east);
    expectLoopbackOnly(west);
  });

  it('down removes the mesh from both clusters, and no istiod is left running', async () => {
    const r = await meshup(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('== cluster east of mesh shop-mesh ==');
    expect(r.stdout).toContain('== cluster west of mesh shop-mesh ==');
    for (const c of [east, west]) {
      await until('pilot-discovery to stop', async () => !c.istiod.pilotAlive(), 60_000);
      // istio-system goes, and the mesh's CA and remote secrets with it.
      await until('istio-system to be gone', async () => (await c.kube.get('/api/v1/namespaces/istio-system')) === undefined, 120_000);
    }
  }, 240_000);

  it("--multi-network: each cluster on its own network, with an east-west gateway, and each istiod places the other's endpoints on its network", async () => {
    const up = await meshup(['up', '--multi-network', '--yes']);
    expect(up.exitCode, up.all).toBe(0);
    // Nothing listens on a simulated node: the plan says the gateways have no address.
    expect(up.stderr).toContain("east's east-west gateway has no address the other networks reach");
    await Promise.all([east.istiod.ready(), west.istiod.ready()]);
    for (const [c, network] of [
      [east, 'network1'],
      [west, 'network2'],
    ] as const) {
      const ns = await c.kube.get<{ metadata: { labels: Record<string, string> } }>('/api/v1/namespaces/istio-system');
      expect(ns?.metadata.labels['topology.istio.io/network']).toBe(network);
      const svc = await c.kube.get<{ metadata: { labels: Record<string, string> }; spec: { ports: { port: number }[] } }>(
        '/api/v1/namespaces/istio-system/services/istio-eastwestgateway',
      );
      expect(svc?.metadata.labels['topology.istio.io/network']).toBe(network);
      expect(svc?.spec.ports.map((p) => p.port)).toEqual([15021, 15443, 15012, 15017]);
      const gw = await c.kube.get<{ spec: unknown }>('/apis/networking.istio.io/v1/namespaces/istio-system/gateways/cross-network-gateway');
      expect(gw?.spec).toMatchObject({ selector: { istio: 'eastwestgateway' }, servers: [{ port: { number: 15443 }, tls: { mode: 'AUTO_PASSTHROUGH' } }] });
    }
    await until('east to place only-in-west on network2', () => discovers(east, 'only-in-west.shop.svc.cluster.local', 'west', 'network2'));
    await until('west to place only-in-east on network1', () => discovers(west, 'only-in-east.shop.svc.cluster.local', 'east', 'network1'));
    // The config file names one network: the flag is a run's, and says it again.
    const again = await meshup(['plan', '--multi-network']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/= keep east's services exposed to the other networks/);
    const down = await meshup(['down', '--keep-cluster', '--yes']);
    expect(down.exitCode, down.all).toBe(0);
  }, 300_000);
});
