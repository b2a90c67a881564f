// Each planner alone: (spec, observed) → its actions, blockers and notes, as plan() composes them.
// No process is started; observations are built here as observe/evaluate.ts builds them.
import { describe, expect, it } from 'vitest';
import { loadAddonCatalog } from '../../src/config/catalog.js';
import type { Spec } from '../../src/config/spec.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { emptyObserved, type Observed } from '../../src/observe/evaluate.js';
import { planAddons, planTelemetry } from '../../src/plan/addons.js';
import { planCluster, planContextRestore, planHostPorts } from '../../src/plan/cluster.js';
import { planInjection } from '../../src/plan/injection.js';
import { planAmbientPlatform, planIstio } from '../../src/plan/istio.js';
import { planMtls } from '../../src/plan/mtls.js';
import { planContext } from '../../src/plan/plan.js';
import { planRecord } from '../../src/plan/record.js';
import { blockerText, type Planned, symbolOf } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';
import { specFor } from '../helpers/spec.js';

const catalog = await loadAddonCatalog();
const ctx = (spec: Spec, observed: Observed, only?: Parameters<typeof planContext>[0]['only']) =>
  planContext({
    spec,
    observed,
    provider: providerFor(spec.provider),
    catalog,
    context: `${spec.provider}-${spec.clusterName}`,
    overlayPath: '/state/istio-overlay.yaml',
    gatewayApiBundle: '/cache/bundle.yaml',
    only,
  });
const running = (more: Partial<Observed> = {}): Observed => ({ ...emptyObserved({ state: 'running' }), reachable: true, ...more });
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ kind: 'Namespace', metadata: { name, labels } });
const shown = (p: Planned) => (p.actions ?? []).map((a) => `${symbolOf(a)} ${a.id}: ${a.title}`);
const istioUp = { present: true, missing: [], notReady: [], verified: true, manifestCached: true, objects: [] };

describe('planCluster', async () => {
  const kind = await specFor({ provider: 'kind', profile: 'minimal' });
  const minikube = await specFor({ provider: 'minikube', profile: 'minimal' });
  const existing = await specFor({ provider: 'existing', context: 'docker-desktop', profile: 'minimal' });
  it.each([
    ['kind, absent: created', kind, emptyObserved({ state: 'absent' }), ['+ cluster: create kind cluster meshup (2 CPUs, 3 GiB)'], []],
    ['kind, running: reused', kind, running(), ['= cluster: reuse kind cluster meshup'], []],
    ['minikube, stopped: started', minikube, emptyObserved({ state: 'stopped' }), ['~ cluster: start minikube cluster meshup (it is stopped)'], []],
    [
      'kind, broken: a blocker with the fix',
      kind,
      emptyObserved({ state: 'broken', detail: 'no answer' }),
      [],
      [/API server does not answer \(no answer\)\. Fix: .*kind delete cluster/],
    ],
    ['existing, absent: a blocker, never created', existing, emptyObserved({ state: 'absent' }), [], [/does not answer; start it/]],
  ] as const)('%s', (_what, spec, observed, actions, blockers) => {
    const p = planCluster(ctx(spec, observed));
    expect(shown(p)).toEqual(actions);
    expect((p.blockers ?? []).map(blockerText)).toEqual(blockers.map((b) => expect.stringMatching(b)));
  });

  it('a deleted context: written back first when the provider can, else a blocker; nothing else is planned', async () => {
    const missing = { ...running(), cluster: { state: 'running' as const, contextMissing: true } };
    expect(planContextRestore(ctx(kind, missing))).toMatchObject({
      stop: true,
      actions: [{ change: 'update', commands: ['kind export kubeconfig --name meshup'] }],
    });
    expect(blockerText(planContextRestore(ctx(existing, missing))!.blockers![0]!)).toMatch(/context existing-meshup is missing\. Fix: create it again/);
    expect(planContextRestore(ctx(kind, running()))).toBeUndefined();
  });

  it('host ports kind mapped otherwise: a note, since they are fixed at creation', () => {
    expect(planHostPorts(ctx(kind, running({ hostPorts: [{ containerPort: 30080, hostPort: 9080 }] }))).notes?.[0]).toMatch(
      /maps host ports 9080→30080, not 8080→30080, 8443→30043/,
    );
    const same = [
      { containerPort: 30080, hostPort: 8080 },
      { containerPort: 30043, hostPort: 8443 },
    ];
    expect(planHostPorts(ctx(kind, running({ hostPorts: same })))).toEqual({});
  });
});

describe('planIstio', async () => {
  const spec = await specFor({ provider: 'kind', profile: 'minimal' });
  const hash = ctx(spec, running()).overlay.hash;
  const recorded = { provider: 'kind', clusterName: 'meshup', profile: 'minimal', istioVersion: spec.istioVersion, overlayHash: hash };
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' };
  it.each([
    ['no cluster yet: installed on a new mesh', emptyObserved({ state: 'absent' }), '+', 'install', false],
    ['another overlay: reconfigured', running({ istio: istioUp, recorded: { ...recorded, overlayHash: 'other' } }), '~', 'reconfigure', false],
    ['an object missing: repaired from the rendered manifest', running({ istio: { ...istioUp, missing: [ref] }, recorded }), '~', 'repair', false],
    ['converged: unchanged', running({ istio: istioUp, recorded }), '=', 'keep', false],
  ] as const)('%s', (_what, observed, symbol, how, needsYes) => {
    const [a] = planIstio(ctx(spec, observed)).actions!;
    expect({ symbol: symbolOf(a!), how: (a!.op as { how: string }).how, needsYes: !!a!.needsYes }).toEqual({ symbol, how, needsYes });
  });

  it('recorded at another version: a blocker that names meshup upgrade; with --in-place, an upgrade that needs a yes', () => {
    const observed = running({ istio: istioUp, recorded: { ...recorded, istioVersion: '1.30.2' } });
    const refused = planIstio(ctx(spec, observed));
    expect(refused.actions).toBeUndefined();
    expect(refused.blockers![0]!.fix).toContain('meshup upgrade --to 1.31.1');
    const [a] = planIstio({ ...ctx(spec, observed), inPlace: true }).actions!;
    expect({ symbol: symbolOf(a!), how: (a!.op as { how: string }).how, needsYes: !!a!.needsYes }).toEqual({ symbol: '~', how: 'upgrade', needsYes: true });
  });

  it('a workload not ready is repaired by the install, which waits and says why', () => {
    const [a] = planIstio(ctx(spec, running({ istio: { ...istioUp, notReady: ['deployment/istiod'] }, recorded }))).actions!;
    expect(a!.op).toEqual({ type: 'istio', how: 'repair' });
    expect(a!.commands[0]).toMatch(/^istioctl --context kind-meshup install -f \/state\/istio-overlay\.yaml/);
  });

  it('ambient on k3s without its platform is a blocker; a sidecar mesh does not care', async () => {
    const ambient = await specFor({ provider: 'existing', context: 'k3d-x', profile: 'ambient' });
    const k3s = running({ nodes: [{ name: 'n', ready: true, cpuMillis: 1, memoryMiB: 1, kubeletVersion: 'v1.33.1+k3s1', labels: {}, simulated: false }] });
    expect(blockerText(planAmbientPlatform(ctx(ambient, k3s)).blockers![0]!)).toMatch(/needs global\.platform=k3s.*Fix: add platform: k3s/);
    expect(planAmbientPlatform(ctx(spec, k3s))).toEqual({});
  });
});

describe('planMtls', async () => {
  const none = await specFor({ provider: 'kind', profile: 'minimal' });
  const strict = await specFor({ provider: 'kind', profile: 'demo' }).then((s) => ({ ...s, mtls: 'strict' as const }));
  it.each([
    ['wanted, absent: set', strict, undefined, ['+ mtls: set mesh-wide mTLS to strict']],
    ['wanted, another mode: changed', strict, { mode: 'permissive', managed: true }, ['~ mtls: set mesh-wide mTLS to strict']],
    ['wanted and there: unchanged', strict, { mode: 'strict', managed: true }, ['= mtls: mesh-wide mTLS strict unchanged']],
    ["not wanted, meshup's: removed", none, { mode: 'strict', managed: true }, ['- mtls: remove the mesh-wide mTLS setting meshup made']],
    ["not wanted, a user's: left alone", none, { mode: 'strict', managed: false }, []],
  ] as const)('%s', (_what, spec, pa, want) => {
    expect(shown(planMtls(ctx(spec, running({ peerAuthentication: pa }))))).toEqual(want);
  });
});

describe('planInjection', async () => {
  const spec = await specFor({ provider: 'kind', profile: 'minimal', namespaces: 'shop,web,lab' });
  const marked = { 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' };
  it('enables, keeps, switches and disables, and leaves a label set by hand', () => {
    const observed = running({
      namespaces: [
        ns('shop', marked),
        ns('web', { 'istio.io/dataplane-mode': 'ambient', 'meshup.dev/injection': 'true' }),
        ns('lab', { 'istio.io/dataplane-mode': 'ambient' }),
        ns('old', marked),
      ],
    });
    const p = planInjection(ctx(spec, observed));
    expect(shown(p)).toEqual([
      '+ injection:lab: enable sidecar injection in lab',
      '~ injection:web: switch web from ambient mode to sidecar injection',
      '- injection:old: disable sidecar injection in old (running pods keep their sidecars until restarted)',
      '= injection:shop: sidecar injection in shop unchanged',
    ]);
    expect(p.notes).toEqual([expect.stringMatching(/^lab: its istio\.io\/dataplane-mode label was set by hand/)]);
  });
});

describe('planAddons and planTelemetry', async () => {
  const spec = await specFor({ provider: 'kind', profile: 'minimal', addons: 'prometheus,jaeger' });
  const addon = (present: boolean, more = {}) => ({
    present,
    ours: present,
    missing: [],
    changed: [],
    notReady: [],
    verified: true,
    kinds: ['deployments.apps'],
    foreign: [],
    ...more,
  });
  const recorded = { provider: 'kind', clusterName: 'meshup', profile: 'minimal', istioVersion: spec.istioVersion, addons: ['prometheus', 'jaeger', 'kiali'] };
  it('applies, repairs, keeps and removes exactly what meshup applied', () => {
    const observed = running({
      recorded,
      addons: {
        prometheus: addon(true, { notReady: ['deployment/prometheus'] }),
        jaeger: addon(false),
        kiali: addon(true),
        // Labelled as meshup's, but not by meshup's apply (a copied label): not meshup's to remove.
        grafana: addon(true, { ours: false }),
      },
    });
    expect(shown(planAddons(ctx(spec, observed)))).toEqual([
      '~ addon:prometheus: repair addon prometheus',
      '+ addon:jaeger: apply addon jaeger',
      '- addon:kiali: remove addon kiali',
    ]);
  });

  it('the tracing Telemetry follows jaeger, and is repaired when its content changed', async () => {
    expect(shown(planTelemetry(ctx(spec, running())))).toEqual(['+ telemetry: apply the tracing Telemetry (1% sampled, to jaeger)']);
    expect(shown(planTelemetry(ctx(spec, running({ telemetry: { hash: 'edited', ours: true } }))))[0]).toMatch(/^~ telemetry/);
    const without = await specFor({ provider: 'kind', profile: 'minimal', addons: 'prometheus' });
    expect(shown(planTelemetry(ctx(without, running({ telemetry: { hash: 'x', ours: true } }))))).toEqual(['- telemetry: remove the tracing Telemetry']);
    expect(planTelemetry(ctx(without, running()))).toEqual({});
  });
});

describe('planRecord', async () => {
  const spec = await specFor({ provider: 'kind', profile: 'minimal', addons: '' });
  it('records what the plan converges to, once, and a partial plan only over a record', () => {
    const first = planRecord(ctx(spec, running()), () => true);
    expect(shown(first)).toEqual(['~ record: record the applied spec in kube-public/meshup']);
    const op = first.actions![0]!.op;
    const next = op.type === 'record' ? op.spec : undefined;
    expect(next).toMatchObject({ provider: 'kind', clusterName: 'meshup', profile: 'minimal', addons: [], dataplane: 'sidecar' });
    expect(planRecord(ctx(spec, running({ recorded: next })), () => true)).toEqual({});
    expect(planRecord(ctx(spec, running(), new Set(['addon'])), (t) => t === 'addon')).toEqual({});
  });
});
