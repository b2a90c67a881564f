// Only what is meshup's: on a simulated cluster (real kube-apiserver, real istioctl), a user's own
// objects under the names meshup would choose survive expose, addons enable, mesh-wide mTLS, their
// removal and down --keep-cluster, unchanged (same resourceVersion); each refusal exits 4 and
// names the object. A label copied by hand is not evidence; --adopt takes an object over. All
// traffic stays on 127.0.0.1; the cluster is always deleted.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, serveRealGatewayApi } from '../helpers/gateway-api.mjs';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-own-');
const name = `own${process.pid}`;
const context = `kwok-${name}`;
let server: ReleaseServer;
let gatewayApi: GatewayApiMirror | undefined;

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[], input?: string) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false, input })).stdout;
const version = (kind: string, obj: string, ns: string) => kubectl(['get', kind, obj, '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}']);

// A user's own objects, applied client-side as a person would (kubectl apply, no meshup label).
const USERS = `
apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { ports: [{ port: 80 }], selector: { app: web } }
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec: { ports: [{ port: 8080 }], selector: { app: api } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: meshup-web, namespace: shop }
spec:
  parentRefs: [{ name: my-gateway }]
  rules: [{ backendRefs: [{ name: web, port: 80 }] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: meshup-api, namespace: shop }
spec: { hosts: [api.example.com], http: [{ route: [{ destination: { host: api } }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: grafana, namespace: istio-system, labels: { app: my-grafana } }
spec: { ports: [{ port: 3000 }], selector: { app: my-grafana } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: PERMISSIVE } }
`;

const watched = [
  ['httproute', 'meshup-web', 'shop'],
  ['virtualservice', 'meshup-api', 'shop'],
  ['service', 'grafana', 'istio-system'],
  ['peerauthentication', 'default', 'istio-system'],
] as const;
const versions = () => Promise.all(watched.map(([k, o, n]) => version(k, o, n)));

beforeAll(async () => {
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
  gatewayApi = (await serveRealGatewayApi()).mirror;
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
});

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  await server?.close();
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a user's objects under meshup's names", () => {
  it('the mesh goes in; then the user adds objects meshup would name the same', async () => {
    const up = await meshup(['up', '--profile', 'demo', '--addons', 'prometheus', '--namespaces', '', '--yes']);
    expect(up.exitCode, up.stderr).toBe(0);
    await kubectl(['apply', '-f', '-'], USERS);
  });

  it('expose refuses to take over a route of the same name, with exit 4, and changes nothing', async () => {
    const before = await versions();
    for (const args of [
      ['expose', 'web', '-n', 'shop', '--api', 'gateway'],
      ['expose', 'api', '-n', 'shop', '--api', 'istio'],
    ]) {
      const r = await meshup(args);
      expect(r.exitCode, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/(httproute shop\/meshup-web|virtualservice shop\/meshup-api).* not meshup's/);
      expect(r.stderr).toContain('--adopt');
    }
    const gone = await meshup(['expose', '--delete', 'web', '-n', 'shop']);
    expect(gone.exitCode, gone.stderr).toBe(0);
    expect(gone.stdout).toContain('not exposed by meshup; nothing to delete');
    expect(await versions()).toEqual(before);
  });

  it('a plan that would take over an object (an addon, mesh-wide mTLS) is refused before any change', async () => {
    const before = await versions();
    const addon = await meshup(['addons', 'enable', 'grafana']);
    expect(addon.exitCode, addon.stderr).toBe(4);
    expect(addon.stderr).toContain("service istio-system/grafana exists and is not meshup's");
    const plan = await meshup(['plan', '--profile', 'demo', '--addons', 'prometheus,grafana', '--namespaces', '']);
    expect(plan.exitCode).toBe(4);
    expect(plan.stdout).toContain("! service istio-system/grafana exists and is not meshup's");
    writeFileSync(join(dir, 'strict.yaml'), 'mtls: strict\n');
    const mtls = await meshup(['up', '-c', join(dir, 'strict.yaml'), '--profile', 'demo', '--addons', 'prometheus', '--namespaces', '', '--yes']);
    expect(mtls.exitCode, mtls.stderr).toBe(4);
    expect(mtls.stderr).toContain("peerauthentication istio-system/default exists and is not meshup's");
    expect(await versions()).toEqual(before);
  });

  it("a meshup label copied onto a user's object by hand is not evidence: down leaves it", async () => {
    await kubectl(['label', 'httproute', 'meshup-web', '-n', 'shop', 'meshup.dev/expose=web', 'app.kubernetes.io/managed-by=meshup']);
    const before = await versions();
    const gone = await meshup(['expose', '--delete', 'web', '-n', 'shop']);
    expect(gone.stdout).toContain('not exposed by meshup; nothing to delete');
    const down = await meshup(['down', '--keep-cluster', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    // istio-system went with the mesh; the user's objects elsewhere stay as they were.
    expect(await version('httproute', 'meshup-web', 'shop')).toBe(before[0]);
    expect(await version('virtualservice', 'meshup-api', 'shop')).toBe(before[1]);
  });

  it('--adopt takes an object over, and from then on it is meshup’s to remove', async () => {
    const up = await meshup(['up', '--profile', 'demo', '--addons', '', '--namespaces', '', '--yes']);
    expect(up.exitCode, up.stderr).toBe(0);
    const r = await meshup(['expose', 'web', '-n', 'shop', '--api', 'gateway', '--adopt']);
    expect(r.exitCode, r.stderr).toBe(0);
    const del = await meshup(['expose', '--delete', 'web', '-n', 'shop']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await kubectl(['get', 'httproute', '-n', 'shop', '-o', 'name'])).not.toContain('meshup-web');
  });
});
