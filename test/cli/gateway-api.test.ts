// `up`, `plan` and `down --purge-crds` with the Gateway API CRDs, in-process with fake tools and a
// Gateway API mirror on 127.0.0.1 serving a small bundle (helpers/gateway-api.mjs). The worlds
// here start with an empty Gateway API cache unless a test says otherwise.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, SMALL_BUNDLE_CRDS, serveGatewayApi, smallBundle } from '../helpers/gateway-api.mjs';
import { type Call, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let mirror: GatewayApiMirror;
let w: Sealed;
beforeAll(async () => {
  mirror = await serveGatewayApi({ 'v1.6.0': smallBundle('v1.6.0', { policy: true }) });
});
afterAll(() => mirror.close());
beforeEach(() => {
  w = sealed({ gatewayApiCache: false });
  w.env.MESHUP_GATEWAY_API_MIRROR = mirror.url;
  mirror.fault = 'none';
  mirror.requests.length = 0;
  mirror.bundles['v1.6.0'] = smallBundle('v1.6.0', { policy: true });
});
afterEach(() => w.cleanup());

const UP = ['up', '--provider', 'kind', '--profile', 'minimal', '--addons', ''];
const BUNDLE = '/v1.6.0/standard-install.yaml';
const kube = (c: Call) => (c.args[0] === '--context' ? c.args.slice(2) : c.args);
const objects = (): Record<string, any> => w.readState().clusters['kind-meshup'].objects;
const crdsInCluster = () =>
  Object.entries(objects())
    .filter(([k]) => k.startsWith('customresourcedefinition//') && k.endsWith('.gateway.networking.k8s.io'))
    .map(([, o]) => o);
const cacheEntries = () => {
  const dir = join(w.env.XDG_CACHE_HOME!, 'meshup', 'gateway-api');
  return existsSync(dir) ? readdirSync(dir) : [];
};
/** Puts Gateway API CRDs into the fake cluster as someone else would have installed them. */
function installByHand(version: string, channel = 'standard') {
  const s = w.readState();
  for (const name of SMALL_BUNDLE_CRDS) {
    s.clusters['kind-meshup'].objects[`customresourcedefinition//${name}`] = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name, annotations: { 'gateway.networking.k8s.io/bundle-version': version, 'gateway.networking.k8s.io/channel': channel } },
      spec: { group: 'gateway.networking.k8s.io' },
    };
  }
  w.state({ clusters: s.clusters });
}
/** A cluster with Istio and no Gateway API CRDs, whose record does not say to leave them alone
 * (as one set up before meshup recorded --no-gateway-api). */
async function meshWithoutGatewayApi() {
  const r = await w.run([...UP, '--yes', '--no-gateway-api']);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(crdsInCluster()).toEqual([]);
  const s = w.readState();
  const record = s.clusters['kind-meshup'].objects['configmap/kube-public/meshup'];
  const { gatewayApi, ...rest } = JSON.parse(record.data.spec);
  expect(gatewayApi).toBe(false);
  record.data.spec = JSON.stringify(rest);
  w.state({ clusters: s.clusters });
}

describe('the Gateway API CRDs on up', () => {
  it('are downloaded once, applied server-side with meshup’s mark once istioctl has put in Istio core, and then left alone', async () => {
    const r = await w.run([...UP, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The precondition's probe, then the download.
    expect(mirror.requests).toEqual([BUNDLE, BUNDLE]);
    expect(cacheEntries()).toEqual(['v1.6.0']);
    const calls = w.calls();
    const applyIdx = calls.findIndex((c) => c.tool === 'kubectl' && kube(c)[0] === 'apply' && (c.stdin ?? '').includes('gateways.gateway.networking.k8s.io'));
    const installIdx = calls.findIndex((c) => c.tool === 'istioctl' && kube(c)[0] === 'install');
    expect(installIdx).toBeGreaterThan(-1);
    // istiod picks the CRDs up when they appear, so they wait for nothing but Istio's core.
    expect(applyIdx).toBeGreaterThan(installIdx);
    expect(kube(calls[applyIdx]!)).toEqual(['apply', '--server-side', '--field-manager=meshup', '--force-conflicts', '-f', '-']);
    // …and are waited for until discovery serves them.
    expect(calls.findIndex((c, i) => i > applyIdx && c.tool === 'kubectl' && kube(c)[0] === 'api-resources')).toBeGreaterThan(applyIdx);
    expect(crdsInCluster().map((o) => [o.metadata.name, o.metadata.labels['meshup.dev/gateway-api']])).toEqual(SMALL_BUNDLE_CRDS.map((n) => [n, 'v1.6.0']));
    expect(objects()['validatingadmissionpolicy//safe-upgrades.gateway.networking.k8s.io'].metadata.labels).toEqual({ 'meshup.dev/gateway-api': 'v1.6.0' });

    // Converged: nothing downloaded, nothing changed, and the plan says the CRDs were checked.
    mirror.requests.length = 0;
    const before = w.calls().length;
    const again = await w.run([...UP, '--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(mirror.requests).toEqual([]);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    const plan = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal', '--addons', '']);
    expect(plan.exitCode, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('  = Gateway API CRDs v1.6.0 unchanged');
    const status = await w.run(['status']);
    expect(status.stdout).toContain('CRDs      Gateway API v1.6.0 (standard channel, 4 CRDs, installed by meshup)');
  });

  it('a CRD of meshup’s that was deleted is planned back and restored', async () => {
    expect((await w.run([...UP, '--yes'])).exitCode).toBe(0);
    const s = w.readState();
    delete s.clusters['kind-meshup'].objects['customresourcedefinition//httproutes.gateway.networking.k8s.io'];
    w.state({ clusters: s.clusters });
    const plan = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal', '--addons', '']);
    expect(plan.exitCode).toBe(10);
    expect(plan.stdout).toContain('  ~ restore 1 missing Gateway API CRD of v1.6.0');
    expect(plan.stdout).toContain('      customresourcedefinition httproutes.gateway.networking.k8s.io is missing');
    expect((await w.run([...UP, '--yes'])).exitCode).toBe(0);
    expect(crdsInCluster().map((o) => o.metadata.name)).toContain('httproutes.gateway.networking.k8s.io');
  });

  it('--dry-run shows the install and its command; only the probe reaches the mirror and nothing is cached', async () => {
    const r = await w.run([...UP, '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('  + install Gateway API CRDs v1.6.0 (standard channel)');
    expect(r.stdout).toContain('$ kubectl --context kind-meshup apply --server-side --field-manager=meshup --force-conflicts -f - <<');
    expect(r.stdout).toContain('gateway-api/v1.6.0/standard-install.yaml, each labelled meshup.dev/gateway-api=v1.6.0)');
    expect(mirror.requests).toEqual([BUNDLE]);
    expect(cacheEntries()).toEqual([]);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('a mirror that does not answer stops up before the first change (exit 3)', async () => {
    const r = await w.run([...UP, '--yes'], { env: { MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: The Gateway API v1.6.0 CRDs cannot be downloaded');
    expect(r.stderr).toContain('fix: Check your network or proxy (HTTPS_PROXY), or point meshup at a reachable mirror: --gateway-api-mirror URL');
    expect(mutatingCalls(w.calls())).toEqual([]);
    expect(w.readState().kind).toBeUndefined();
  });

  it('a bundle that is not what it claims fails the step, and nothing of it is cached or applied', async () => {
    mirror.bundles['v1.6.0'] = smallBundle('v1.5.1');
    const r = await w.run([...UP, '--yes']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`The Gateway API v1.6.0 bundle from ${mirror.url}${BUNDLE} is not the standard channel's CRDs of v1.6.0`);
    expect(cacheEntries()).toEqual([]);
    expect(w.calls().some((c) => c.tool === 'kubectl' && kube(c)[0] === 'apply' && (c.stdin ?? '').includes('gateway.networking.k8s.io'))).toBe(false);
  });

  it('--no-gateway-api asks no mirror and plans nothing about them', async () => {
    const r = await w.run([...UP, '--yes', '--no-gateway-api'], { env: { MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mirror.requests).toEqual([]);
    const plan = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal', '--addons', '', '--no-gateway-api', '--json']);
    expect((JSON.parse(plan.stdout) as { actions: { id: string }[] }).actions.map((a) => a.id)).not.toContain('gateway-api');
  });
});

describe('Gateway API CRDs meshup did not install', () => {
  it('of a compatible release are kept: no download, no apply, no mark, and down --purge-crds leaves them', async () => {
    await meshWithoutGatewayApi();
    installByHand('v1.6.1');
    const before = w.calls().length;
    const r = await w.run([...UP, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mirror.requests).toEqual([]);
    expect(mutatingCalls(w.calls().slice(before)).filter((c) => (c.stdin ?? '').includes('gateway.networking.k8s.io'))).toEqual([]);
    expect(crdsInCluster().every((o) => !o.metadata.labels)).toBe(true);
    const plan = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal', '--addons', '']);
    expect(plan.stdout).toContain('  = Gateway API CRDs v1.6.1 kept (not installed by meshup; compatible with v1.6.0)');

    const down = await w.run(['down', '--keep-cluster', '--purge-crds', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(crdsInCluster().map((o) => o.metadata.name)).toEqual([...SMALL_BUNDLE_CRDS]);
    expect(down.stdout).not.toContain('Gateway API');
  });

  it('of an older release are replaced only with --yes, and stay unmarked', async () => {
    await meshWithoutGatewayApi();
    installByHand('v1.4.0');
    const before = w.calls().length;
    const refused = await w.run(UP);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('error: This would replace Gateway API CRDs v1.4.0 with v1.6.0 (standard channel), which needs confirmation');
    expect(refused.stderr).toContain('fix: Confirm it with --yes');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    const plan = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal', '--addons', '']);
    expect(plan.stdout).toContain('  ~ replace Gateway API CRDs v1.4.0 with v1.6.0 (standard channel) (needs --yes)');
    expect(plan.stdout).toContain('routes silently stop working');

    const r = await w.run([...UP, '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(crdsInCluster().map((o) => [o.metadata.annotations['gateway.networking.k8s.io/bundle-version'], o.metadata.labels])).toEqual(
      SMALL_BUNDLE_CRDS.map(() => ['v1.6.0', undefined]),
    );
    // Still someone else's: a purge leaves them.
    expect((await w.run(['down', '--keep-cluster', '--purge-crds', '--yes'])).exitCode).toBe(0);
    expect(crdsInCluster()).toHaveLength(SMALL_BUNDLE_CRDS.length);
  });
});

describe('down --purge-crds', () => {
  it('removes the Gateway API CRDs and policy meshup installed, and only with --purge-crds', async () => {
    expect((await w.run([...UP, '--yes'])).exitCode).toBe(0);
    expect((await w.run(['down', '--keep-cluster', '--yes'])).exitCode).toBe(0);
    expect(crdsInCluster()).toHaveLength(SMALL_BUNDLE_CRDS.length);
    // A CRD of the group that someone else added stays.
    const s = w.readState();
    s.clusters['kind-meshup'].objects['customresourcedefinition//tcproutes.gateway.networking.k8s.io'] = {
      kind: 'CustomResourceDefinition',
      metadata: { name: 'tcproutes.gateway.networking.k8s.io', annotations: { 'gateway.networking.k8s.io/bundle-version': 'v1.6.0' } },
    };
    w.state({ clusters: s.clusters });
    const r = await w.run(['down', '--keep-cluster', '--purge-crds', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('4 Gateway API CRD(s) meshup installed');
    expect(r.stdout).toContain('the Gateway API safe-upgrades policy');
    expect(crdsInCluster().map((o) => o.metadata.name)).toEqual(['tcproutes.gateway.networking.k8s.io']);
    expect(Object.keys(objects()).filter((k) => k.includes('safe-upgrades'))).toEqual([]);
  });
});

describe("istiod's GatewayClasses on down", () => {
  it('go once istiod has stopped; a class of another name or controller stays, and a second down changes nothing', async () => {
    expect((await w.run([...UP, '--yes'])).exitCode).toBe(0);
    // What a running istiod publishes, a class a user made for the same controller, and one
    // that uses an Istio name for another controller.
    const s = w.readState();
    const cls = (name: string, controllerName: string) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name },
      spec: { controllerName },
    });
    const o = s.clusters['kind-meshup'].objects;
    o['gatewayclass//istio'] = cls('istio', 'istio.io/gateway-controller');
    o['gatewayclass//istio-waypoint'] = cls('istio-waypoint', 'istio.io/mesh-controller');
    o['gatewayclass//team-edge'] = cls('team-edge', 'istio.io/gateway-controller');
    o['gatewayclass//istio-remote'] = cls('istio-remote', 'example.com/other');
    o['pod/istio-system/istiod-1'] = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'istiod-1', namespace: 'istio-system', labels: { app: 'istiod' } } };
    w.state({ clusters: s.clusters });

    const r = await w.run(['down', '--keep-cluster', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('GatewayClasses istio, istio-waypoint');
    const kubectl = w
      .calls()
      .filter((c) => c.tool === 'kubectl')
      .map(kube);
    const nsDelete = kubectl.findIndex((a) => a[0] === 'delete' && a.includes('namespace/istio-system'));
    // Its pods are looked for once istio-system is being deleted (this fake deletes at once, so
    // there is none left to wait for; the real istiod's end-to-end test waits for one).
    const waited = kubectl.findIndex((a) => a[0] === 'get' && a[1] === 'pods' && a.includes('app=istiod'));
    const classDelete = kubectl.findIndex((a) => a[0] === 'delete' && a.includes('gatewayclasses.gateway.networking.k8s.io/istio'));
    expect(nsDelete).toBeGreaterThan(-1);
    expect(waited).toBeGreaterThan(nsDelete);
    expect(classDelete).toBeGreaterThan(waited);
    expect(
      Object.keys(objects())
        .filter((k) => k.startsWith('gatewayclass/'))
        .sort(),
    ).toEqual(['gatewayclass//istio-remote', 'gatewayclass//team-edge']);

    const before = w.calls().length;
    const again = await w.run(['down', '--keep-cluster', '--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(
      w
        .calls()
        .slice(before)
        .filter((c) => c.tool === 'kubectl' && ['delete', 'wait', 'apply', 'label'].includes(kube(c)[0]!)),
    ).toEqual([]);
  });
});
