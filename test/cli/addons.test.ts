import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseServerFor, TEST_ADDONS } from '../helpers/release.js';
import { type Call, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const { jaeger: _omit, ...noJaeger } = TEST_ADDONS;
const server = releaseServerFor({ '1.31.1': {}, '1.30.4': { addons: noJaeger } });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
});
afterEach(() => w.cleanup());

const kube = (c: Call) => (c.args[0] === '--context' ? c.args.slice(2) : c.args);
const objects = () => Object.keys(w.readState().clusters['kind-meshup'].objects as Record<string, unknown>);
const up = (addons: string, extra: string[] = []) => w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', addons, '--yes', ...extra]);

describe('addons', () => {
  it('applies CRDs first, waits for them, then the addons, and labels every object', async () => {
    const r = await up('prometheus,kiali');
    expect(r.exitCode, r.stderr).toBe(0);
    const all = w.calls();
    const isApply = (c: Call) => c.tool === 'kubectl' && kube(c)[0] === 'apply';
    const firstCrd = all.findIndex((c) => isApply(c) && (c.stdin ?? '').includes('"name":"prometheuses.monitoring.test.meshup.dev"'));
    // Waited for in discovery, which lists a CRD's resources once it is Established.
    const waitIdx = all.findIndex((c, i) => i > firstCrd && c.tool === 'kubectl' && kube(c)[0] === 'api-resources');
    const kialiApply = all.findIndex((c) => isApply(c) && (c.stdin ?? '').includes('"name":"kiali-default"'));
    expect(firstCrd).toBeGreaterThan(-1);
    expect(waitIdx).toBeGreaterThan(firstCrd);
    expect(kialiApply).toBeGreaterThan(waitIdx);
    expect(kube(all[waitIdx]!)).toEqual(['api-resources', '-o', 'name']);
    const dep = w.readState().clusters['kind-meshup'].objects['deployment/istio-system/kiali'];
    expect(dep.metadata.labels['meshup.dev/addon']).toBe('kiali');
    expect(r.stdout).toContain('addons     prometheus, kiali');
  });

  it('lists addons with their state', async () => {
    expect((await up('prometheus,kiali')).exitCode).toBe(0);
    const r = await w.run(['addons', 'list', '--provider', 'kind', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; enabled: boolean; ready: boolean; version?: string }[];
    expect(rows.find((x) => x.name === 'kiali')).toMatchObject({ enabled: true, ready: true, version: '1.31.1' });
    expect(rows.find((x) => x.name === 'grafana')).toMatchObject({ enabled: false, ready: null });
  });

  it('refuses to disable what another addon needs, and disables exactly one addon', async () => {
    expect((await up('prometheus,kiali')).exitCode).toBe(0);
    const refused = await w.run(['addons', 'disable', 'prometheus', '--provider', 'kind']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('kiali needs prometheus');
    const r = await w.run(['addons', 'disable', 'kiali', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    const left = objects();
    expect(left.filter((k) => k.includes('kiali'))).toEqual([]);
    // Its CRD stays: users' resources may live in it.
    expect(left).toContain('customresourcedefinition//monitoringdashboards.monitoring.test.meshup.dev');
    expect(left).toContain('deployment/istio-system/prometheus');
    const spec = JSON.parse(w.readState().clusters['kind-meshup'].objects['configmap/kube-public/meshup'].data.spec);
    expect(spec.addons).toEqual(['prometheus']);
  });

  it('enables an addon later, with its dependency, and a re-run of up keeps it converged', async () => {
    expect((await up('')).exitCode).toBe(0);
    const r = await w.run(['addons', 'enable', 'grafana', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('also enabling prometheus');
    expect(objects()).toEqual(expect.arrayContaining(['deployment/istio-system/grafana', 'deployment/istio-system/prometheus']));
  });

  it('rejects an unknown addon name with the known ones', async () => {
    expect((await up('')).exitCode).toBe(0);
    const r = await w.run(['addons', 'enable', 'graphana', '--provider', 'kind']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown addon "graphana"');
    expect(r.stderr).toContain('Did you mean grafana?');
  });

  it('says which addon is not ready and why, and a re-run completes it', async () => {
    w.state({ notReady: ['kiali'] });
    const r = await up('prometheus,kiali', ['--timeout', '2s']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Addon not ready after 2s: kiali (deployment/kiali)');
    w.state({ notReady: [] });
    const before = w.calls().length;
    const again = await up('prometheus,kiali');
    expect(again.exitCode, again.stderr).toBe(0);
    const applied = mutatingCalls(w.calls().slice(before))
      .filter((c) => kube(c)[0] === 'apply')
      .map((c) => c.stdin ?? '');
    // The failed run recorded nothing, so both are applied again (server-side apply: no-ops for
    // what is unchanged) and the run completes.
    expect(applied.some((s) => s.includes('"name":"kiali"'))).toBe(true);
    expect(JSON.parse(w.readState().clusters['kind-meshup'].objects['configmap/kube-public/meshup'].data.spec).addons).toEqual(['prometheus', 'kiali']);
  });

  it('explains an addon the release does not ship', async () => {
    const r = await up('jaeger', ['--istio-version', '1.30.4']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Istio 1.30.4 ships no samples/addons/jaeger.yaml');
  });

  it('turns tracing on with the profile sampling when Jaeger is enabled', async () => {
    const r = await up('jaeger');
    expect(r.exitCode, r.stderr).toBe(0);
    const tel = w.readState().clusters['kind-meshup'].objects['telemetry/istio-system/mesh-default'];
    expect(tel.spec.tracing[0]).toEqual({ providers: [{ name: 'jaeger' }], randomSamplingPercentage: 100 });
  });
});
