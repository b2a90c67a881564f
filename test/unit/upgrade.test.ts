// The upgrade planner, in-process: each refusal with nothing planned, and what start, resume,
// finish and rollback do on a mesh as `up` records it.
import { describe, expect, it } from 'vitest';
import type { Spec } from '../../src/config/spec.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { planUpgrade, type UpgradeInput, type UpgradeIntent } from '../../src/plan/upgrade.js';
import type { AppliedSpec } from '../../src/state/applied-spec.js';
import { specFor } from '../helpers/spec.js';
import { VERSIONS } from '../helpers/versions.js';

const ns = (name: string, labels: Record<string, string>): KubeObject => ({
  kind: 'Namespace',
  metadata: { name, labels: { ...labels, 'meshup.dev/injection': 'true' } },
});
const sidecar = (name: string) => ns(name, { 'istio-injection': 'enabled' });
const onRev = (name: string, rev: string) => ns(name, { 'istio.io/rev': rev });
const istiod = (name: string, version: string): KubeObject => ({
  kind: 'Deployment',
  metadata: { name, namespace: 'istio-system', labels: { 'operator.istio.io/version': version } },
});

async function input(
  intent: UpgradeIntent,
  o: {
    from?: string;
    namespaces?: KubeObject[];
    deployments?: KubeObject[];
    kubelet?: string;
    recorded?: Partial<AppliedSpec>;
    spec?: Spec;
    force?: boolean;
  } = {},
): Promise<UpgradeInput> {
  const from = o.from ?? '1.30.4';
  const spec = o.spec ?? (await specFor({ provider: 'kind', profile: 'default', namespaces: 'default,shop', istioVersion: from }));
  return {
    intent,
    spec,
    recorded: { provider: 'kind', clusterName: 'meshup', profile: 'default', istioVersion: from, namespaces: ['default', 'shop'], ...o.recorded },
    versions: VERSIONS,
    nodes: [{ kubeletVersion: o.kubelet ?? 'v1.34.11' }],
    namespaces: o.namespaces ?? [sidecar('default'), sidecar('shop')],
    deployments: o.deployments ?? [istiod('istiod', from)],
    force: o.force ?? false,
    kube: (args) => `kubectl ${args.join(' ')}`,
    istioctl: (v, args) => `istioctl-${v} ${args.join(' ')}`,
  };
}
const start = (to = '1.31.1', namespaces?: string[]): UpgradeIntent => ({ kind: 'start', to, ...(namespaces ? { namespaces } : {}) });
const ops = (p: ReturnType<typeof planUpgrade>) => p.steps.map((s) => `${s.op.type}${s.kept ? ' (kept)' : ''}`);

describe('meshup upgrade: the plan', () => {
  it('a canary: precheck, recorded as under way, the new revision beside the old, every namespace moved, restarted, checked', async () => {
    const p = planUpgrade(await input(start()));
    expect(p.blockers).toEqual([]);
    expect([p.from, p.to]).toEqual([
      { version: '1.30.4', revision: undefined },
      { version: '1.31.1', revision: '1-31-1' },
    ]);
    expect(ops(p)).toEqual(['precheck', 'mark', 'install-revision', 'move', 'restart', 'verify']);
    expect(p.steps.find((s) => s.op.type === 'move')!.commands).toEqual([
      'kubectl label namespace default --overwrite istio.io/rev=1-31-1 istio-injection-',
      'kubectl label namespace shop --overwrite istio.io/rev=1-31-1 istio-injection-',
    ]);
    // 1.30 is built against v1.5, which 1.31 also accepts: the CRDs stay while both run.
    expect(p.notes).toContain('the Gateway API CRDs stay at v1.5.1 while both revisions run (both accept v1.5); --finish moves them to v1.6.0');
  });

  it('one namespace at a time; resumed, what is done is kept and not marked again', async () => {
    const first = planUpgrade(await input(start('1.31.1', ['shop'])));
    expect(first.steps.find((s) => s.op.type === 'move')!.op).toMatchObject({ namespaces: ['shop'] });
    expect(first.notes).toContain('still on the default revision afterwards: default (meshup upgrade --namespaces default moves them)');
    const resumed = planUpgrade(
      await input(start(), {
        recorded: { upgrade: { to: '1.31.1', revision: '1-31-1' } },
        namespaces: [sidecar('default'), onRev('shop', '1-31-1')],
        deployments: [istiod('istiod', '1.30.4'), istiod('istiod-1-31-1', '1.31.1')],
      }),
    );
    expect(ops(resumed)).toEqual(['precheck', 'install-revision (kept)', 'move', 'restart', 'verify']);
    expect(resumed.steps.find((s) => s.op.type === 'move')!.op).toMatchObject({ namespaces: ['default'] });
  });

  it.each([
    ['an Istio the catalog does not know', start('1.32.0'), {}, "Istio 1.32.0 is not in meshup's version catalog"],
    [
      'a cluster outside the target’s Kubernetes range',
      start(),
      { kubelet: 'v1.37.0' },
      'Istio 1.31.1 supports Kubernetes 1.32 to 1.36; the cluster runs v1.37.0',
    ],
    [
      'no Gateway API window both revisions accept',
      start(),
      { from: '1.29.6', kubelet: 'v1.33.1' },
      'No Gateway API CRD release works with both Istio 1.29.6 (v1.4) and 1.31.1 (v1.5, v1.6)',
    ],
    ['more than one minor skipped', start(), { from: '1.28.10', kubelet: 'v1.33.1' }, 'Istio 1.28.10 → 1.31.1 skips 2 minors; revisions may skip one at most'],
    ['a downgrade', start('1.29.6'), {}, 'Istio 1.29.6 is older than the 1.30.4 that runs here: that is a downgrade'],
    ['the version that runs', start('1.30.4'), {}, 'Istio 1.30.4 already runs here'],
    ['another upgrade under way', start(), { recorded: { upgrade: { to: '1.31.0', revision: '1-31-0' } } }, 'An upgrade to Istio 1.31.0 is under way'],
    ['a namespace not in the mesh', start('1.31.1', ['web']), {}, 'web is not in the mesh meshup manages here'],
    ['no mesh meshup installed', start(), { recorded: undefined as never }, 'meshup has not installed a mesh on this cluster'],
  ] as const)('refuses %s, with nothing planned', async (_what, intent, o, message) => {
    const i = await input(intent, o);
    if ('recorded' in o && o.recorded === undefined) i.recorded = undefined;
    const p = planUpgrade(i);
    expect(p.steps).toEqual([]);
    expect(p.blockers[0]!.message).toContain(message);
    expect(p.blockers[0]!.kind).toBe('usage');
  });

  it('--force plans what the catalog refuses, saying so', async () => {
    const p = planUpgrade(await input(start(), { kubelet: 'v1.37.0', force: true }));
    expect(p.blockers).toEqual([]);
    expect(p.notes).toContain('Istio 1.31.1 supports Kubernetes 1.32 to 1.36; the cluster runs v1.37.0: planned anyway (--force)');
    expect(ops(p)).toContain('install-revision');
  });

  it('an ambient mesh is refused for a canary, pointing at --in-place', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'ambient', istioVersion: '1.30.4' });
    const p = planUpgrade(await input(start(), { spec }));
    expect(p.blockers[0]!.fix).toBe('Upgrade in place: meshup upgrade --to 1.31.1 --in-place');
  });

  it('finish: refused while a namespace is on the old revision; then the old one uninstalled, recorded, and converged', async () => {
    const under = { recorded: { upgrade: { to: '1.31.1', revision: '1-31-1' } } };
    const early = planUpgrade(await input({ kind: 'finish' }, { ...under, namespaces: [sidecar('default'), onRev('shop', '1-31-1')] }));
    expect(early.steps).toEqual([]);
    expect(early.blockers[0]).toMatchObject({ message: 'default is still on the default revision (Istio 1.30.4)' });
    expect(early.blockers[0]!.fix).toContain('meshup upgrade --namespaces default');
    const p = planUpgrade(await input({ kind: 'finish' }, { ...under, namespaces: [onRev('default', '1-31-1'), onRev('shop', '1-31-1')] }));
    expect(ops(p)).toEqual(['uninstall-revision', 'mark', 'converge']);
    expect(p.steps[0]!.commands).toEqual(['istioctl-1.31.1 uninstall --revision default -y']);
    // Nothing under way: nothing to finish or roll back.
    expect(planUpgrade(await input({ kind: 'finish' })).blockers[0]!.message).toBe('No upgrade is under way on this cluster (it runs Istio 1.30.4)');
  });

  it('rollback: moved namespaces back, the old install restored, restarted, the new revision uninstalled, the record cleared', async () => {
    const p = planUpgrade(
      await input(
        { kind: 'rollback' },
        { recorded: { upgrade: { to: '1.31.1', revision: '1-31-1' } }, namespaces: [sidecar('default'), onRev('shop', '1-31-1')] },
      ),
    );
    expect(ops(p)).toEqual(['move', 'reinstall', 'restart', 'uninstall-revision', 'mark']);
    expect(p.steps[0]!.commands).toEqual(['kubectl label namespace shop --overwrite istio-injection=enabled istio.io/rev-']);
    expect(p.steps[3]!.commands).toEqual(['istioctl-1.30.4 uninstall --revision 1-31-1 -y']);
  });
});
