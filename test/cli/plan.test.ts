// meshup plan, and what deciding before acting changes for up, status and later commands:
// regression tests for the defects of the plan/apply issue, on the fake tools.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseServerFor } from '../helpers/release.js';
import { type Call, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
});
afterEach(() => w.cleanup());

const kube = (c: Call) => (c.args[0] === '--context' ? c.args.slice(2) : c.args);
const objects = () => w.readState().clusters['kind-meshup'].objects as Record<string, { metadata: { name: string } }>;
const drop = (...keys: string[]) => {
  const s = w.readState();
  for (const k of keys) delete s.clusters['kind-meshup'].objects[k];
  w.state({ clusters: s.clusters });
};

describe('meshup plan', () => {
  it('exits 10 with changes pending and 0 once converged, as text and as JSON', async () => {
    const before = await w.run(['plan', '--provider', 'kind', '--profile', 'minimal']);
    expect(before.exitCode, before.stderr).toBe(10);
    expect(before.stdout).toContain('  + create kind cluster meshup');
    expect(before.stdout).toContain('  + install Istio 1.31.1 (minimal profile)');
    expect(mutatingCalls(w.calls())).toEqual([]);
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    const after = await w.run(['plan', '--json']);
    expect(after.exitCode, after.stderr).toBe(0);
    const doc = JSON.parse(after.stdout) as { changes: boolean; actions: { id: string; symbol: string }[] };
    expect(doc.changes).toBe(false);
    expect(doc.actions.map((a) => `${a.symbol} ${a.id}`)).toEqual([
      '= cluster',
      '= registries',
      '= registry-wiring',
      '= gateway-api',
      '= istio',
      '= injection:default',
    ]);
  });

  it('up --dry-run prints the same plan in the future tense and writes nothing', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', 'jaeger', '--yes', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('  + apply addon jaeger');
    expect(r.stdout).not.toMatch(/\b(created|removed|enabled in)\b/);
    expect(existsSync(join(w.env.XDG_STATE_HOME!, 'meshup'))).toBe(false);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});

describe('a re-run verifies the cluster, not its own record', () => {
  it('deleted control-plane and addon objects are named by status and plan, and restored by up without a reinstall', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', 'prometheus,jaeger', '--yes'])).exitCode).toBe(0);
    drop(
      'deployment/istio-system/istio-ingressgateway',
      'mutatingwebhookconfiguration//istio-sidecar-injector',
      'telemetry/istio-system/mesh-default',
      'deployment/istio-system/prometheus',
    );

    const status = await w.run(['status']);
    // No ingress gateway is a mesh that does not work from outside: a problem, not only drift.
    expect(status.exitCode, status.stderr).toBe(1);
    expect(status.stdout).toContain('! istio-ingressgateway has no ready pod: nothing reaches the mesh from outside');
    expect(status.stdout).toContain('Drift: 3 differences from what meshup applied; meshup up repairs them:');
    expect(status.stdout).toContain('deployment istio-system/istio-ingressgateway is missing');
    expect(status.stdout).toContain('mutatingwebhookconfiguration istio-sidecar-injector is missing');

    const plan = await w.run(['plan']);
    expect(plan.exitCode).toBe(10);
    expect(plan.stdout).toContain('  ~ repair Istio 1.31.1: 2 objects missing');
    expect(plan.stdout).toContain('  ~ repair addon prometheus');
    expect(plan.stdout).toContain('  + apply the tracing Telemetry');

    const before = w.calls().length;
    const up = await w.run(['up', '--yes']);
    expect(up.exitCode, up.stderr).toBe(0);
    const changed = mutatingCalls(w.calls().slice(before));
    expect(changed.filter((c) => c.tool === 'istioctl')).toEqual([]);
    for (const k of [
      'deployment/istio-system/istio-ingressgateway',
      'mutatingwebhookconfiguration//istio-sidecar-injector',
      'telemetry/istio-system/mesh-default',
      'deployment/istio-system/prometheus',
    ]) {
      expect(objects()[k], k).toBeDefined();
    }
    expect((await w.run(['plan'])).exitCode).toBe(0);
  });

  it('later commands target the cluster up made, and up keeps the recorded profile', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--name', 'lab', '--yes'])).exitCode).toBe(0);
    const status = await w.run(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain('Cluster   lab (kind, context kind-lab): running');
    const before = w.calls().length;
    const again = await w.run(['up', '--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('profile    minimal');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('a read refused while the rest answers is not "nothing there": plan and up stop, naming it, and change nothing', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', 'jaeger', '--yes'])).exitCode).toBe(0);
    // RBAC refuses the Telemetry list: read as empty, the plan would apply jaeger's Telemetry
    // again over one that is there (or, with jaeger gone, not remove it).
    const s = w.readState();
    s.clusters['kind-meshup'].forbidden = ['telemetries'];
    w.state({ clusters: s.clusters });
    const before = w.calls().length;
    const plan = await w.run(['plan']);
    expect(plan.exitCode, plan.stderr).toBe(3);
    expect(plan.stderr).toContain('Part of the cluster could not be read, so nothing is planned from it: ');
    expect(plan.stderr).toMatch(/Istio's resources \(telemetries, peerauthentications\): .*is forbidden: User "dev" cannot list resource "telemetries"/);
    const up = await w.run(['up', '--yes']);
    expect(up.exitCode, up.stderr).toBe(3);
    expect(up.stderr).toContain('auth can-i list');
    // Refused the main read too: these credentials, said as such; never a broken cluster to restart.
    s.clusters['kind-meshup'].forbidden = ['telemetries', 'deployments'];
    w.state({ clusters: s.clusters });
    const refused = await w.run(['up', '--yes']);
    expect(refused.exitCode, refused.stderr).not.toBe(0);
    expect(refused.stderr).toContain('Your kube user lacks permission for this');
    expect(refused.stderr).not.toMatch(/does not answer|restart|repair/i);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });
});

describe('addons and injection go through the same planner', () => {
  it('addons disable of an addon that is not enabled says so and downloads nothing', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    const requests = server().requests.length;
    const r = await w.run(['addons', 'disable', 'grafana']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Not enabled: grafana');
    expect(server().requests.length).toBe(requests);
  });

  it('addons enable with an unknown name is refused before the cluster is read', async () => {
    const r = await w.run(['addons', 'enable', 'kialli', '--provider', 'kind']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Did you mean kiali?');
    expect(w.calls()).toEqual([]);
  });

  it('injection enable refuses system and invalid namespaces, and labels through a plan', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    for (const bad of ['kube-system', 'kube-public', 'kube-node-lease', 'istio-system', 'Shop_1']) {
      const r = await w.run(['injection', 'enable', bad]);
      expect(r.exitCode, bad).toBe(2);
    }
    const dry = await w.run(['injection', 'enable', 'shop', '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('  + enable sidecar injection in shop (creating the namespace)');
    expect(objects()['namespace//shop']).toBeUndefined();
    const r = await w.run(['injection', 'enable', 'shop']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(objects()['namespace//shop']).toBeDefined();
    const rec = JSON.parse((objects()['configmap/kube-public/meshup'] as unknown as { data: { spec: string } }).data.spec) as { namespaces: string[] };
    expect(rec.namespaces).toEqual(['default', 'shop']);
    // up keeps it: the recorded namespaces are a layer.
    const before = w.calls().length;
    expect((await w.run(['up', '--yes'])).exitCode).toBe(0);
    expect(mutatingCalls(w.calls().slice(before)).filter((c) => kube(c)[0] === 'label')).toEqual([]);
  });
});

describe('the Istio source is checked before the first change', () => {
  const cases: [string, string[], Record<string, string>, number, string][] = [
    ['a missing --istio-dir', ['--istio-dir', '/nonexistent'], {}, 2, '"/nonexistent" does not exist'],
    ['an unknown version', ['--istio-version', '1.99.0'], {}, 2, 'Istio 1.99.0 has no release'],
    ['an unreachable mirror, when addons need the release', ['--istio-mirror', 'http://127.0.0.1:9', '--addons', 'kiali'], {}, 3, 'cannot be downloaded'],
    ['a bad namespace', ['--namespaces', 'Shop_1,kube-system'], {}, 2, 'is not a valid namespace name'],
    ['a cluster name with a space', ['--name', 'My Cluster'], {}, 2, 'is not a valid cluster name'],
    ['a path as cluster name (env)', [], { MESHUP_CLUSTER_NAME: '../../../x' }, 2, 'is not a valid cluster name'],
    ['equal host ports', [], { MESHUP_CONFIG: 'ports.yaml' }, 2, 'are both 8080'],
    ['Kubernetes older than Istio supports', ['--kubernetes-version', '1.30.0'], {}, 2, 'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.30.0'],
    [
      'Kubernetes newer than Istio supports (kind v0.33.0’s default)',
      ['--kubernetes-version', 'v1.37.0'],
      {},
      2,
      'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; you asked for v1.37.0',
    ],
  ];
  for (const [what, args, env, code, message] of cases) {
    it(`${what}: exit ${code}, nothing created`, async () => {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(w.dir, 'work', 'ports.yaml'), 'gateway: { hostHttpPort: 8080, hostHttpsPort: 8080 }\n');
      const r = await w.run(['up', '--provider', 'kind', '--profile', 'default', '--addons', '', '--yes', ...args], { env });
      expect(r.exitCode, r.stderr).toBe(code);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toMatch(/fix: /);
      expect(mutatingCalls(w.calls())).toEqual([]);
    });
  }

  it('a Kubernetes outside the range: meshup plan shows the plan and exits 2; with --force it is planned with the warning', async () => {
    const refused = await w.run(['plan', '--provider', 'kind', '--profile', 'default', '--addons', '', '--kubernetes-version', 'v1.37.0']);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stdout).toContain('create kind cluster meshup');
    expect(refused.stderr).toContain('--kubernetes-version v1.36');
    const forced = await w.run(['plan', '--provider', 'kind', '--profile', 'default', '--addons', '', '--kubernetes-version', 'v1.37.0', '--force']);
    expect(forced.exitCode, forced.stderr).toBe(10);
    expect(`${forced.stdout}${forced.stderr}`).toContain('you asked for v1.37.0: planned anyway (--force)');
    expect(forced.stdout).toContain('--image kindest/node:v1.37.0@sha256:a1ed56cf');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});
