// A canary upgrade end to end, with two real istioctl builds on the simulated cluster:
//   older: istio.io/istio v0.0.0-20260423205519-b01690e6db7d (master, April 2026; built against
//          gateway-api v1.5.1), stamped 1.30.9 by test/cluster/build (istio-prev);
//   newer: the pinned release-1.31 snapshot (gateway-api v1.6.0), stamped 1.31.1.
// Each release is assembled from its own module (its samples/addons, its istioctl) and served from
// a 127.0.0.1 mirror, with each one's Gateway API CRDs. What is real: both istioctl (install,
// uninstall --revision, x precheck), the API server, the controllers and the real manifests. What
// is not: istiod's pods are kwok's (no istiod process serves either revision), so no pod is
// injected, and the namespaces here hold no workload to restart.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayApiMirror, realBundle, serveGatewayApi } from '../helpers/gateway-api.mjs';
import { buildRealRelease, prevIstio } from '../helpers/real-release.mjs';
import { serveReleases } from '../helpers/release-server.mjs';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-upgrade-');
const name = `upg${process.pid}`;
const context = `kwok-${name}`;
// A second cluster for the in-place path.
const other = `inp${process.pid}`;
const prev = prevIstio();
const NEW = '1.31.1';
const REV = '1-31-1';

const meshup = (args: string[], cluster = name) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', cluster], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[], ctx = context) => (await execa('kubectl', ['--context', ctx, ...args], { env, extendEnv: false })).stdout;
// Kiali differs between the two modules' samples/addons (v2.22.0 in the older, v2.27.0 in 1.31's).
const kialiVersion = (ctx = context) =>
  kubectl(['get', 'deployment', 'kiali', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}'], ctx);
const labels = async (ns: string) => JSON.parse(await kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels}'])) as Record<string, string>;
// istio-system's Deployments but the addons'.
const deployments = async (ctx = context) =>
  (await kubectl(['get', 'deployments', '-n', 'istio-system', '-l', '!meshup.dev/addon', '-o', 'name'], ctx)).split('\n').filter(Boolean).sort();
const record = async () =>
  JSON.parse(await kubectl(['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}'])) as Record<string, unknown>;
const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

let mirror: { url: string; close: () => Promise<void> } | undefined;
let gatewayApi: GatewayApiMirror | undefined;
beforeAll(async () => {
  const root = join(dir, 'releases');
  const older = await buildRealRelease(root, prev.version, { istioctl: join(prev.bin, 'istioctl'), moduleDir: prev.moduleDir, samples: ['addons'] });
  const newer = await buildRealRelease(root, NEW, { istioctl: join(bin, 'istioctl'), samples: ['addons'] });
  mirror = await serveReleases({ [prev.version]: older, [NEW]: newer });
  env.MESHUP_ISTIO_MIRROR = mirror.url;
  const [a, b] = [realBundle({ cwd: join(import.meta.dirname, '..', 'cluster', 'istio-prev') }), realBundle()];
  // The v1.5.1 module's source still stamps its safe-upgrades policy v1.5.0-dev; its release asset is
  // stamped with the release's version when it is built, as this does.
  gatewayApi = await serveGatewayApi({ [a.version]: a.text.replaceAll('bundle-version: v1.5.0-dev', `bundle-version: ${a.version}`), [b.version]: b.text });
  env.MESHUP_GATEWAY_API_MIRROR = gatewayApi.url;
}, 300_000);

afterAll(async () => {
  for (const c of [name, other]) await execa('kwokctl', ['delete', 'cluster', '--name', c], { env, extendEnv: false, reject: false });
  await Promise.all([mirror?.close(), gatewayApi?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a canary upgrade with two real istioctl builds', () => {
  it(`installs the older Istio (${prev.version}) with its own istioctl`, async () => {
    const r = await meshup(['up', '--profile', 'default', '--istio-version', prev.version, '--namespaces', 'default,shop', '--addons', 'kiali', '--yes']);
    expect(r.exitCode, out(r)).toBe(0);
    expect(await deployments()).toEqual(['deployment.apps/istio-ingressgateway', 'deployment.apps/istiod']);
    expect(await kialiVersion()).toBe('v2.22.0');
    expect(await kubectl(['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.operator\\.istio\\.io/version}'])).toBe(
      prev.version,
    );
  });

  it('up with another version points at upgrade instead of replacing the control plane', async () => {
    const r = await meshup(['up', '--istio-version', NEW, '--yes']);
    expect(r.exitCode, out(r)).toBe(2);
    expect(r.stderr).toContain(`Istio ${prev.version} runs here; Istio ${NEW} would replace it`);
    expect(r.stderr).toContain(`meshup upgrade --to ${NEW}`);
  });

  it('plans the canary under --dry-run and changes nothing', async () => {
    const r = await meshup(['upgrade', '--to', NEW, '--dry-run']);
    expect(r.exitCode, out(r)).toBe(0);
    expect(r.stdout).toContain(`install Istio ${NEW} as revision ${REV} beside the default revision`);
    expect(r.stdout).toContain(`move default, shop to revision ${REV}`);
    expect(r.stdout).toContain('the Gateway API CRDs stay at v1.5.1 while both revisions run');
    expect(await deployments()).toEqual(['deployment.apps/istio-ingressgateway', 'deployment.apps/istiod']);
  });

  it('moves one namespace: the new revision runs beside the old, and finishing is refused while one is left', async () => {
    const r = await meshup(['upgrade', '--to', NEW, '--namespaces', 'shop']);
    expect(r.exitCode, out(r)).toBe(0);
    expect(await deployments()).toEqual(['deployment.apps/istio-ingressgateway', 'deployment.apps/istiod', `deployment.apps/istiod-${REV}`]);
    expect((await labels('shop'))['istio.io/rev']).toBe(REV);
    expect((await labels('shop'))['istio-injection']).toBeUndefined();
    expect((await labels('default'))['istio-injection']).toBe('enabled');
    expect((await record()).upgrade).toEqual({ to: NEW, revision: REV });
    // The gateways were upgraded in place, to the new revision.
    expect(await kubectl(['get', 'deployment', 'istio-ingressgateway', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.istio\\.io/rev}'])).toBe(REV);
    const finish = await meshup(['upgrade', '--finish']);
    expect(finish.exitCode, out(finish)).toBe(2);
    expect(finish.stderr).toContain('default is still on the default revision');
    // up keeps its hands off while it is under way.
    const up = await meshup(['up', '--yes']);
    expect(up.exitCode, out(up)).toBe(2);
    expect(up.stderr).toContain(`An upgrade to Istio ${NEW} (revision ${REV}) is under way`);
  });

  it('rolls back: namespaces and gateways on the old version, the new revision gone, the mesh converged', async () => {
    const r = await meshup(['upgrade', '--rollback']);
    expect(r.exitCode, out(r)).toBe(0);
    expect(await deployments()).toEqual(['deployment.apps/istio-ingressgateway', 'deployment.apps/istiod']);
    expect((await labels('shop'))['istio-injection']).toBe('enabled');
    expect((await labels('shop'))['istio.io/rev']).toBeUndefined();
    expect((await record()).upgrade).toBeUndefined();
    expect(
      await kubectl(['get', 'deployment', 'istio-ingressgateway', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.operator\\.istio\\.io/version}']),
    ).toBe(prev.version);
    const plan = await meshup(['plan']);
    expect(plan.exitCode, out(plan)).toBe(0);
  });

  it('interrupted midway, a second run resumes the upgrade', async () => {
    const run = execa(process.execPath, [MESHUP, 'upgrade', '--to', NEW, '--provider', 'kwok', '--name', name], {
      env,
      extendEnv: false,
      reject: false,
      cwd: dir,
    });
    // Stopped once the new istiod is being installed.
    for (let i = 0; i < 600 && !(await deployments()).includes(`deployment.apps/istiod-${REV}`); i++) await new Promise((r) => setTimeout(r, 200));
    run.kill('SIGINT');
    const stopped = await run;
    expect(stopped.exitCode, out(stopped)).not.toBe(0);
    expect((await record()).upgrade).toEqual({ to: NEW, revision: REV });
    const status = await meshup(['status']);
    expect(status.stdout).toContain(`upgrade to Istio ${NEW} under way`);
    const resumed = await meshup(['upgrade']);
    expect(resumed.exitCode, out(resumed)).toBe(0);
    expect((await labels('default'))['istio.io/rev']).toBe(REV);
    expect((await labels('shop'))['istio.io/rev']).toBe(REV);
  });

  it('finishes: the old revision uninstalled, the record on the new one, the CRDs on its Gateway API, and a second up changes nothing', async () => {
    const r = await meshup(['upgrade', '--finish', '--json']);
    expect(r.exitCode, out(r)).toBe(0);
    // One JSON document, the upgrade's, though up's own plan ran inside it.
    expect((JSON.parse(r.stdout) as { to: { revision: string } }).to.revision).toBe(REV);
    expect(await deployments()).toEqual(['deployment.apps/istio-ingressgateway', `deployment.apps/istiod-${REV}`]);
    const rec = await record();
    expect([rec.istioVersion, rec.istioRevision, rec.upgrade]).toEqual([NEW, REV, undefined]);
    expect(
      await kubectl([
        'get',
        'crd',
        'httproutes.gateway.networking.k8s.io',
        '-o',
        'jsonpath={.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}',
      ]),
    ).toBe('v1.6.0');
    // The addons followed the control plane: Kiali is 1.31's now.
    expect(await kialiVersion()).toBe('v2.27.0');
    const plan = await meshup(['plan']);
    expect(plan.exitCode, out(plan)).toBe(0);
  });

  it('--in-place replaces the control plane of the default revision, as up did before, with its CRDs and addons', async () => {
    const octx = `kwok-${other}`;
    const first = await meshup(['up', '--profile', 'default', '--istio-version', prev.version, '--addons', 'kiali', '--yes'], other);
    expect(first.exitCode, out(first)).toBe(0);
    const r = await meshup(['upgrade', '--to', NEW, '--in-place'], other);
    expect(r.exitCode, out(r)).toBe(0);
    expect(await deployments(octx)).toEqual(['deployment.apps/istio-ingressgateway', 'deployment.apps/istiod']);
    expect(await kubectl(['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'jsonpath={.metadata.labels.operator\\.istio\\.io/version}'], octx)).toBe(
      NEW,
    );
    expect(await kialiVersion(octx)).toBe('v2.27.0');
    const plan = await meshup(['plan'], other);
    expect(plan.exitCode, out(plan)).toBe(0);
  });
});
