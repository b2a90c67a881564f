// Ambient mode on the fake tools: the ambient profile, enrolment labels with meshup's marker, a
// namespace switching modes as one planned change, waypoints, and what down takes away first.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Call, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
beforeEach(() => {
  w = sealed();
});
afterEach(() => w.cleanup());

type Obj = { metadata: { name: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };
const objects = () => w.readState().clusters['kind-meshup'].objects as Record<string, Obj>;
const labelsOf = (ns: string) => objects()[`namespace//${ns}`]?.metadata.labels ?? {};
const kube = (c: Call) => (c.args[0] === '--context' ? c.args.slice(2) : c.args);
describe('ambient mode', () => {
  it('up --profile ambient installs the node agents, enrols default with the marker, and a re-run changes nothing', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'ambient', '--addons', '', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('ambient dataplane');
    expect(labelsOf('default')).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'meshup.dev/injection': 'true' });
    expect(objects()['daemonset/istio-system/ztunnel']).toBeDefined();
    expect(objects()['daemonset/istio-system/istio-cni-node']).toBeDefined();
    const again = await w.run(['plan', '--json']);
    expect(again.exitCode, again.stdout).toBe(0);
    const status = await w.run(['status']);
    expect(status.stdout).toContain('Ambient   default');
    expect(status.stdout).toMatch(/daemonset\/ztunnel\s+1\/1/);
  });

  it('switching a sidecar mesh to ambient is planned as a mode switch, then applied without touching a hand-set label', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--namespaces', 'default,shop', '--yes'])).exitCode).toBe(0);
    expect(labelsOf('shop')).toEqual({ 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });
    // A namespace the user labelled by hand, outside meshup's list.
    const s = w.readState();
    s.clusters['kind-meshup'].objects['namespace//legacy'] = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'legacy', labels: { 'istio-injection': 'enabled' } },
    };
    w.state({ clusters: s.clusters });
    const before = w.calls().length;
    const plan = await w.run(['plan', '--dataplane', 'ambient']);
    expect(plan.exitCode, plan.stderr).toBe(10);
    expect(plan.stdout).toContain('~ switch shop from sidecar injection to ambient mode');
    expect(plan.stdout).toContain('~ switch default from sidecar injection to ambient mode');
    expect(plan.stdout).toContain('no running pod needs a restart');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);

    const up = await w.run(['up', '--dataplane', 'ambient', '--yes']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(labelsOf('shop')).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'meshup.dev/injection': 'true' });
    expect(labelsOf('legacy')).toEqual({ 'istio-injection': 'enabled' });
    // The mode is recorded: a plain re-run keeps it and changes nothing.
    const again = await w.run(['plan']);
    expect(again.exitCode, again.stdout).toBe(0);
    const list = JSON.parse((await w.run(['injection', 'list', '--json'])).stdout) as { namespace: string; mode: string; setBy: string }[];
    expect(list.map((n) => `${n.namespace} ${n.mode} ${n.setBy}`).sort()).toEqual(['default ambient meshup', 'legacy sidecar user', 'shop ambient meshup']);
  });

  it('injection enable in an ambient mesh enrols; disable removes only meshup-set labels', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'ambient', '--addons', '', '--yes'])).exitCode).toBe(0);
    const on = await w.run(['injection', 'enable', 'shop']);
    expect(on.exitCode, on.stderr).toBe(0);
    expect(on.stdout).toContain('Ambient mode enabled in shop');
    expect(labelsOf('shop')['istio.io/dataplane-mode']).toBe('ambient');
    const off = await w.run(['injection', 'disable', 'shop']);
    expect(off.exitCode, off.stderr).toBe(0);
    expect(labelsOf('shop')).toEqual({});
  });

  it('waypoints: refused on a sidecar mesh; applied, listed and removed with their namespace label on an ambient one', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--no-gateway-api', '--yes'])).exitCode).toBe(0);
    const refused = await w.run(['waypoint', 'apply', '-n', 'default']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('is not in ambient mode; waypoints serve ambient meshes only');
    expect(refused.stderr).toContain('meshup up --dataplane ambient');

    // Without the Gateway API CRDs (up was told not to install them), a waypoint cannot exist.
    expect((await w.run(['up', '--dataplane', 'ambient', '--no-gateway-api', '--yes'])).exitCode).toBe(0);
    const noCrds = await w.run(['waypoint', 'apply', '-n', 'default']);
    expect(noCrds.exitCode).toBe(1);
    expect(noCrds.stderr).toContain('The Gateway API CRDs are not installed');
    // The record says to leave the Gateway API CRDs alone until asked otherwise.
    expect((await w.run(['up', '--dataplane', 'ambient', '--gateway-api', '--yes'])).exitCode).toBe(0);

    const before = w.calls().length;
    const dry = await w.run(['waypoint', 'apply', '-n', 'default', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);

    const ok = await w.run(['waypoint', 'apply', '-n', 'default', '--for', 'all']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const gw = objects()['gateway/default/waypoint']!;
    expect(gw.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
    expect(gw.metadata.labels).toMatchObject({ 'istio.io/waypoint-for': 'all', 'meshup.dev/waypoint': 'true', 'app.kubernetes.io/managed-by': 'meshup' });
    expect(labelsOf('default')).toMatchObject({ 'istio.io/use-waypoint': 'waypoint', 'meshup.dev/waypoint': 'true' });

    const bad = await w.run(['waypoint', 'apply', 'Bad_Name', '-n', 'default']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('"Bad_Name" is not a valid name');
    const typo = await w.run(['waypoint', 'apply', '-n', 'default', '--for', 'workloads']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('Did you mean workload?');

    const list = await w.run(['waypoint', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([
      { namespace: 'default', name: 'waypoint', traffic: 'all', programmed: false, setBy: 'meshup', usedBy: ['default'] },
    ]);
    const rm = await w.run(['waypoint', 'remove', '-n', 'default']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(objects()['gateway/default/waypoint']).toBeUndefined();
    expect(labelsOf('default')['istio.io/use-waypoint']).toBeUndefined();
    expect(labelsOf('default')['istio.io/dataplane-mode']).toBe('ambient');
  });

  it('down --keep-cluster removes waypoints and mesh labels before the control plane', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'ambient', '--addons', '', '--yes'])).exitCode).toBe(0);
    expect((await w.run(['waypoint', 'apply', '-n', 'default'])).exitCode).toBe(0);
    const before = w.calls().length;
    const down = await w.run(['down', '--keep-cluster', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    const changes = mutatingCalls(w.calls().slice(before)).map((c) => kube(c).slice(0, 3).join(' '));
    const at = (re: RegExp) => changes.findIndex((c) => re.test(c));
    expect(at(/gateways\.gateway\.networking\.k8s\.io\/waypoint/)).toBeGreaterThanOrEqual(0);
    expect(at(/^label namespace default/)).toBeLessThan(at(/namespace\/istio-system/));
    expect(at(/gateways\.gateway\.networking\.k8s\.io\/waypoint/)).toBeLessThan(at(/namespace\/istio-system/));
    expect(labelsOf('default')).toEqual({});
    expect(objects()['gateway/default/waypoint']).toBeUndefined();
  });
});
