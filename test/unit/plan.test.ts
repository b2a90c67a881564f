// The planner, in-process: (spec, observed) → actions, for the situations a user meets. No
// process is started; every observed state is built here the way observe/evaluate builds it.

import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { HASH_ANNOTATION, tracingTelemetry } from '../../src/addons/manifest.js';
import { loadAddonCatalog } from '../../src/config/catalog.js';
import type { Spec } from '../../src/config/spec.js';
import { overlayHash, overlayYaml } from '../../src/istio/overlay.js';
import { emptyObserved, type Observed } from '../../src/observe/observe.js';
import { type Plan, plan } from '../../src/plan/plan.js';
import { planJson, renderPlan } from '../../src/plan/render.js';
import { providerFor } from '../../src/providers/index.js';
import type { KubeObject } from '../../src/tools/kubectl.js';
import { specFor } from '../helpers/spec.js';

const catalog = await loadAddonCatalog();
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ kind: 'Namespace', metadata: { name, labels } });
const marked = (name: string) => ns(name, { 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });

/** The cluster as `up` leaves it for this spec: everything present, ready and recorded. */
function converged(spec: Spec): Observed {
  const addons = Object.fromEntries(
    [...catalog.keys()].map((n) => [n, { present: spec.addons.includes(n), missing: [], changed: [], notReady: [], verified: true, kinds: [] }]),
  );
  const telemetryHash = (tracingTelemetry(spec.profile.istio.tracingSampling ?? 1).metadata as { annotations: Record<string, string> }).annotations[
    HASH_ANNOTATION
  ];
  return {
    cluster: { state: 'running' },
    reachable: true,
    nodes: [{ name: 'n', ready: true, cpuMillis: 4000, memoryMiB: 8192, kubeletVersion: 'v1.33.1', labels: {}, simulated: false }],
    namespaces: [ns('kube-system'), ...spec.namespaces.map(marked)],
    recorded: {
      provider: spec.provider,
      clusterName: spec.clusterName,
      profile: spec.profile.name,
      profileRef: spec.profileRef,
      istioVersion: spec.istioVersion,
      overlayHash: overlayHash(overlayYaml(spec)),
      addons: [...spec.addons],
      namespaces: [...spec.namespaces],
      ...(spec.mtls ? { mtls: spec.mtls } : {}),
    },
    istio: { present: true, missing: [], notReady: [], verified: true, manifestCached: true, objects: [] },
    addons,
    telemetry: spec.addons.includes('jaeger') ? { hash: telemetryHash } : undefined,
    peerAuthentication: spec.mtls ? { mode: spec.mtls, managed: true } : undefined,
  };
}

function planFor(spec: Spec, observed: Observed, only?: Parameters<typeof plan>[0]['only']): Plan {
  return plan({
    spec,
    observed,
    provider: providerFor(spec.provider),
    catalog,
    context: `kind-${spec.clusterName}`,
    overlayPath: '/state/istio-overlay.yaml',
    env: {},
    only,
  });
}

const summary = (p: Plan) => p.actions.map((a) => `${a.symbol} ${a.id}`);
const changing = (p: Plan) => p.actions.filter((a) => a.changes).map((a) => `${a.symbol} ${a.id}`);

describe('plan', () => {
  it('on a fresh cluster: creates it, installs Istio, labels, applies addons and the Telemetry, records', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo' });
    const p = planFor(spec, emptyObserved({ state: 'absent' }));
    expect(summary(p)).toEqual([
      '+ cluster',
      '+ istio',
      '+ injection:default',
      '+ addon:prometheus',
      '+ addon:grafana',
      '+ addon:kiali',
      '+ addon:jaeger',
      '+ telemetry',
      '~ record',
    ]);
    expect(p.actions[0]!.title).toBe('create kind cluster meshup (3 CPUs, 5.1 GiB)');
    expect(p.actions[0]!.commands[0]).toMatch(/^kind create cluster --name meshup --config - --wait 180s <<'MESHUP_EOF'\n/);
    expect(p.actions[1]!.commands).toEqual(['istioctl --context kind-meshup install -f /state/istio-overlay.yaml -y --readiness-timeout 600s']);
    // Titles are in the future tense: nothing has happened yet.
    for (const a of p.actions) expect(a.title).toMatch(/^(create|install|enable|apply|record) /);
    expect(p.blockers).toEqual([]);
  });

  it('on a converged cluster: changes nothing, and says what it verified', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo', namespaces: 'default,shop' });
    const p = planFor(spec, converged(spec));
    expect(changing(p)).toEqual([]);
    expect(summary(p)).toContain('= istio');
    expect(p.actions.find((a) => a.id === 'istio')!.title).toBe('Istio 1.31.1 unchanged');
    expect(renderPlan(p, 'Plan:', new Chalk({ level: 0 }), { commands: true })).toContain('Nothing to change (');
    expect(planJson(p).changes).toBe(false);
  });

  it('a different Istio version is an upgrade that needs --yes', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'minimal' });
    const old = converged(spec);
    old.recorded!.istioVersion = '1.30.2';
    const a = planFor(spec, old).actions.find((x) => x.id === 'istio')!;
    expect(a).toMatchObject({ symbol: '~', title: 'upgrade Istio 1.30.2 → 1.31.1', needsYes: true, changes: true });
  });

  it('a profile change reconfigures Istio without asking, and keeps what is unchanged', async () => {
    const before = await specFor({ provider: 'kind', profile: 'minimal', addons: '' });
    const after = await specFor({ provider: 'kind', profile: 'demo', addons: '' });
    const p = planFor(after, converged(before));
    expect(changing(p)).toEqual(['~ istio', '~ record']);
    const istio = p.actions.find((a) => a.id === 'istio')!;
    expect(istio.title).toBe('reconfigure Istio 1.31.1 (profile demo: the overlay changed)');
    expect(istio.needsYes).toBeFalsy();
  });

  it('an addon added and one removed: exactly those two (and the record)', async () => {
    const before = await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus,grafana' });
    const after = await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus,kiali' });
    const p = planFor(after, converged(before));
    expect(changing(p)).toEqual(['+ addon:kiali', '- addon:grafana', '~ record']);
    const remove = p.actions.find((a) => a.id === 'addon:grafana')!;
    expect(remove.title).toBe('remove addon grafana');
    expect(remove.commands[0]).toContain('-l meshup.dev/addon=grafana');
  });

  it('a namespace added and one removed; a namespace labelled by hand is never unlabelled', async () => {
    const before = await specFor({ provider: 'kind', profile: 'minimal', namespaces: 'default,old' });
    const after = await specFor({ provider: 'kind', profile: 'minimal', namespaces: 'default,shop,mine' });
    const o = converged(before);
    o.namespaces.push(ns('mine', { 'istio-injection': 'enabled' }), ns('handmade', { 'istio-injection': 'enabled' }));
    const p = planFor(after, o);
    expect(changing(p)).toEqual(['+ injection:shop', '- injection:old', '~ record']);
    expect(p.actions.find((a) => a.id === 'injection:shop')!.title).toBe('enable sidecar injection in shop (creating the namespace)');
    expect(p.actions.find((a) => a.id === 'injection:mine')!.title).toBe('sidecar injection in mine unchanged (labelled by hand)');
    expect(p.actions.some((a) => a.id === 'injection:handmade')).toBe(false);
  });

  it('mTLS set, changed and removed', async () => {
    const none = await specFor({ provider: 'kind', profile: 'minimal' });
    const strict = { ...none, mtls: 'strict' as const };
    expect(changing(planFor(strict, converged(none)))).toEqual(['+ mtls', '~ record']);
    const permissive = { ...none, mtls: 'permissive' as const };
    const p = planFor(permissive, converged(strict));
    expect(p.actions.find((a) => a.id === 'mtls')).toMatchObject({ symbol: '~', title: 'set mesh-wide mTLS to permissive', reasons: ['it is strict'] });
    expect(planFor(none, converged(strict)).actions.find((a) => a.id === 'mtls')).toMatchObject({ symbol: '-', changes: true });
    // A PeerAuthentication someone else made is left alone.
    const theirs = converged(none);
    theirs.peerAuthentication = { mode: 'strict', managed: false };
    expect(planFor(none, theirs).actions.some((a) => a.id === 'mtls')).toBe(false);
  });

  it('drift becomes repairs, each with what was found', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo' });
    const o = converged(spec);
    o.istio.missing = [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istio-ingressgateway' },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector' },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'virtualservices.networking.istio.io' },
    ];
    o.addons.grafana!.missing = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'istio-grafana-dashboards' }];
    o.telemetry = undefined;
    const p = planFor(spec, o);
    // The record already says all this: it is not rewritten.
    expect(changing(p)).toEqual(['~ istio', '~ addon:grafana', '+ telemetry']);
    const istio = p.actions.find((a) => a.id === 'istio')!;
    expect(istio.title).toBe('repair Istio 1.31.1: 3 objects missing');
    expect(istio.reasons).toEqual([
      'deployment istio-system/istio-ingressgateway is missing',
      'mutatingwebhookconfiguration istio-sidecar-injector is missing',
      'customresourcedefinition virtualservices.networking.istio.io is missing',
    ]);
    expect(p.actions.find((a) => a.id === 'addon:grafana')!.reasons).toEqual(['configmap istio-system/istio-grafana-dashboards is missing']);
  });

  it('an addon object changed by hand, or from an older release, is reapplied', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus' });
    const o = converged(spec);
    o.addons.prometheus!.changed = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'istio-system', name: 'prometheus' }];
    expect(planFor(spec, o).actions.find((a) => a.id === 'addon:prometheus')).toMatchObject({
      symbol: '~',
      title: 'repair addon prometheus',
      reasons: ['configmap istio-system/prometheus was changed'],
    });
  });

  it('a profile without an ingress gateway changes the overlay; kind still maps the ports, for the Gateway API gateway', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'minimal' });
    expect(spec.gateway.ingress).toBe(false);
    expect(providerFor('kind').portMappings(spec)).toEqual([
      { containerPort: 30080, hostPort: 8080 },
      { containerPort: 30443, hostPort: 8443 },
    ]);
    const p = planFor(spec, emptyObserved({ state: 'absent' }));
    expect(p.actions[0]!.commands[0]).toMatch(/extraPortMappings:\n\s+- containerPort: 30080\n\s+hostPort: 8080/);
    expect(p.overlay.yaml).toMatch(/name: istio-ingressgateway\n\s+enabled: false/);
  });

  it('a stopped minikube profile is started; a kind cluster whose API server is down is a blocker', async () => {
    const mk = await specFor({ provider: 'minikube', profile: 'minimal' });
    const p = planFor(mk, emptyObserved({ state: 'stopped' }));
    expect(p.actions[0]).toMatchObject({
      id: 'cluster',
      symbol: '~',
      title: 'start minikube cluster meshup (it is stopped)',
      commands: ['minikube start -p meshup'],
    });
    const kind = await specFor({ provider: 'kind', profile: 'minimal' });
    const b = planFor(kind, emptyObserved({ state: 'broken', detail: 'Unable to connect to the server' }));
    expect(b.actions.some((a) => a.id === 'cluster')).toBe(false);
    expect(b.blockers[0]).toContain('exists but its API server does not answer (Unable to connect to the server)');
    expect(b.blockers[0]).toContain('kind delete cluster --name meshup');
  });

  it('a partial plan (addons enable) touches only its part and keeps the rest of the record', async () => {
    const before = await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus' });
    const after = await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus,grafana' });
    const o = converged(before);
    o.istio.missing = [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' }];
    const p = planFor(after, o, new Set(['addon', 'telemetry', 'record']));
    expect(changing(p)).toEqual(['+ addon:grafana', '~ record']);
    const rec = p.actions.find((a) => a.id === 'record')!;
    expect(rec.op).toMatchObject({ type: 'record', spec: { profile: 'demo', addons: ['prometheus', 'grafana'], namespaces: ['default'] } });
  });
});
