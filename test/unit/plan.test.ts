// The planner, in-process: (spec, observed) → actions, for the situations a user meets. No
// process is started; every observed state is built here the way observe/evaluate builds it.

import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { HASH_ANNOTATION, tracingTelemetry } from '../../src/addons/manifest.js';
import type { Spec } from '../../src/config/spec.js';
import { overlayFiles, overlayHash } from '../../src/istio/overlay.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { emptyObserved, type Observed } from '../../src/observe/evaluate.js';
import { STATIC_NODE_PORTS } from '../../src/plan/istio.js';
import { plan } from '../../src/plan/plan.js';
import { planJson, renderPlan } from '../../src/plan/render.js';
import { type Action, blockerText, changes, type Plan, symbolOf } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';
import { addonCatalog, planInput } from '../helpers/plan-input.js';
import { specFor } from '../helpers/spec.js';
import { gatewayApiFor } from '../helpers/versions.js';

const catalog = addonCatalog;
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ kind: 'Namespace', metadata: { name, labels } });
const marked = (name: string) => ns(name, { 'istio-injection': 'enabled', 'meshup.dev/injection': 'true' });

/** The cluster as `up` leaves it for this spec: everything present, ready and recorded. */
function converged(spec: Spec): Observed {
  const addons = Object.fromEntries(
    [...catalog.keys()].map((n) => [
      n,
      { present: spec.addons.includes(n), ours: spec.addons.includes(n), missing: [], changed: [], notReady: [], verified: true, kinds: [], foreign: [] },
    ]),
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
      overlayHash: overlayHash(overlayFiles(spec, providerFor(spec.provider))),
      addons: [...spec.addons],
      namespaces: [...spec.namespaces],
      dataplane: spec.dataplane,
      ...(spec.mtls ? { mtls: spec.mtls } : {}),
    },
    istio: { present: true, missing: [], notReady: [], verified: true, manifestCached: true, objects: [] },
    addons,
    telemetry: spec.addons.includes('jaeger') ? { hash: telemetryHash, ours: true } : undefined,
    peerAuthentication: spec.mtls ? { mode: spec.mtls, managed: true } : undefined,
    gatewayApi: {
      crds: ['gatewayclasses', 'gateways', 'httproutes'].map((p) => ({
        name: `${p}.gateway.networking.k8s.io`,
        version: gatewayApiFor(spec.istioVersion),
        channel: 'standard',
        meshup: true,
      })),
      missing: [],
      verified: true,
    },
  };
}

const planFor = (spec: Spec, observed: Observed, only?: Parameters<typeof plan>[0]['only']): Plan => plan(planInput(spec, observed, { only }));

/** An action as the plan's JSON shows it: its symbol and whether it changes anything. */
const legacy = (a: Action | undefined) => a && { ...a, symbol: symbolOf(a), changes: changes(a) };
const summary = (p: Plan) => p.actions.map((a) => `${symbolOf(a)} ${a.id}`);
const changing = (p: Plan) => p.actions.filter((a) => changes(a)).map((a) => `${symbolOf(a)} ${a.id}`);

describe('plan', () => {
  it('on a fresh cluster: creates it, installs Istio, labels, applies addons and the Telemetry, records', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo' });
    const p = planFor(spec, emptyObserved({ state: 'absent' }));
    expect(summary(p)).toEqual([
      '+ cluster',
      '+ gateway-api',
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
    expect(p.actions[0]!.commands[0]).toMatch(
      /^kind create cluster --name meshup --config - --wait 180s --image kindest\/node:v1\.36\.4@sha256:[0-9a-f]{64} <<'MESHUP_EOF'\n/,
    );
    // The control plane, then its gateways (an IstioOperator of their own), which on a new mesh
    // are applied as istioctl would apply them.
    expect(p.actions.find((a) => a.id === 'istio')!.commands).toEqual([
      'istioctl --context kind-meshup install -f /state/istio-overlay.yaml -y --readiness-timeout 600s',
      "kubectl --context kind-meshup apply --server-side --field-manager=istio-operator --force-conflicts -f - <<'MESHUP_EOF'\n(the gateways' objects istioctl renders for /state/istio-gateways.yaml, labelled as its install labels them)\nMESHUP_EOF",
    ]);
    // Titles are in the future tense: nothing has happened yet.
    for (const a of p.actions) expect(a.title).toMatch(/^(create|install|enable|apply|record) /);
    expect(p.blockers).toEqual([]);
  });

  it("runs the gateways' install unless the cluster is known to have no Istio yet", async () => {
    const minimal = await specFor({ provider: 'minikube', profile: 'minimal' });
    const istioOf = (p: Plan) => p.actions.find((a) => a.id === 'istio')!;
    // A new cluster, and a profile without gateways: the control plane alone, on a new mesh.
    const fresh = planFor(minimal, emptyObserved({ state: 'absent' }));
    expect(istioOf(fresh).commands).toHaveLength(1);
    expect(istioOf(fresh).op).toMatchObject({ how: 'install', newMesh: true });
    // A stopped cluster cannot be read: nothing but its start is planned (never a plan made from
    // an empty read); up reads it again once it answers.
    const stopped = planFor(minimal, emptyObserved({ state: 'stopped' }));
    expect(summary(stopped)).toEqual(['~ cluster']);
    expect(stopped.unread).toMatch(/exists but could not be read \(it is stopped\)/);
    expect(stopped.overlay.installGateways).toBe(true);
    // A cluster with an istiod meshup did not record may hold gateways from before, which the
    // gateways' install takes over or prunes, after the control plane's install.
    const foreign = planFor(minimal, { ...converged(minimal), recorded: undefined });
    expect(istioOf(foreign).commands.map((c) => c.replace(/^.* -f (\S+) .*$/, '$1'))).toEqual(['/state/istio-overlay.yaml', '/state/istio-gateways.yaml']);
    expect(istioOf(foreign).op).toMatchObject({ how: 'reconfigure' });
    expect(istioOf(foreign).op).not.toHaveProperty('newMesh');
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

  it('a different Istio version is an upgrade, which up refuses and points at meshup upgrade', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'minimal' });
    const old = converged(spec);
    old.recorded!.istioVersion = '1.30.2';
    const p = planFor(spec, old);
    expect(p.actions.find((x) => x.id === 'istio')).toBeUndefined();
    expect(p.blockers).toEqual([
      {
        kind: 'usage',
        message: 'Istio 1.30.2 runs here; Istio 1.31.1 would replace it',
        fix: 'Upgrade as a canary (both side by side until --finish): meshup upgrade --to 1.31.1; or in place: meshup upgrade --to 1.31.1 --in-place; or keep it: meshup up --istio-version 1.30.2',
      },
    ]);
    // meshup upgrade --in-place: planned as up's reinstall, confirmed by the command.
    const inPlace = plan(planInput(spec, old, { inPlace: true })).actions.find((x) => x.id === 'istio')!;
    expect(legacy(inPlace)).toMatchObject({ symbol: '~', title: 'upgrade Istio 1.30.2 → 1.31.1', needsYes: true, changes: true });
    // Not across two minors: an in-place upgrade may skip none.
    old.recorded!.istioVersion = '1.29.6';
    expect(plan(planInput(spec, old, { inPlace: true })).blockers[0]!.message).toBe(
      'Istio 1.29.6 → 1.31.1 in place skips a minor, which an in-place upgrade may not',
    );
  });

  it('says how many images the nodes will pull, and from where, when the plan makes workloads and they are known', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo' });
    const images = [
      { image: 'docker.io/istio/pilot:1.31.1', registry: 'docker.io', usedBy: ['istio-system/deployment/istiod'], perNode: false },
      { image: 'docker.io/istio/proxyv2:1.31.1', registry: 'docker.io', usedBy: ['istio-system/deployment/istio-ingressgateway'], perNode: false },
      { image: 'quay.io/kiali/kiali:v2.27', registry: 'quay.io', usedBy: ['istio-system/deployment/kiali'], perNode: false },
    ];
    const fresh = planFor(spec, { ...emptyObserved({ state: 'absent' }), images });
    expect(fresh.notes).toContain('the nodes pull 3 images: 2 from docker.io, 1 from quay.io (meshup images lists them)');
    // Converged: nothing is pulled, nothing said.
    expect(planFor(spec, { ...converged(spec), images }).notes.join('\n')).not.toContain('the nodes pull');
    // Not known (never rendered here): nothing guessed.
    expect(planFor(spec, emptyObserved({ state: 'absent' })).notes.join('\n')).not.toContain('the nodes pull');
  });

  it('an upgrade under way holds up off until it is finished or rolled back', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'minimal' });
    const o = converged(spec);
    o.recorded!.upgrade = { to: '1.31.2', revision: '1-31-2' };
    const p = planFor(spec, o);
    expect(p.blockers.map((b) => b.message)).toEqual(['An upgrade to Istio 1.31.2 (revision 1-31-2) is under way on this cluster']);
    expect(p.blockers[0]!.fix).toContain('meshup upgrade --finish');
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
    // kubectl apply lines come with a word on how they are sent; a plan with none has no such word.
    const note = '# each kubectl apply goes as the same server-side apply, a PATCH per object';
    expect(renderPlan(p, 'Plan:', new Chalk({ level: 0 }), { commands: true })).toContain(note);
    const removeOnly = planFor(await specFor({ provider: 'kind', profile: 'demo', addons: 'prometheus' }), converged(before));
    expect(changing(removeOnly)).toEqual(['- addon:grafana', '~ record']);
    const text = renderPlan({ ...removeOnly, actions: removeOnly.actions.filter((a) => a.id !== 'record') }, 'Plan:', new Chalk({ level: 0 }), {
      commands: true,
    });
    expect(text).toContain('-l meshup.dev/addon=grafana');
    expect(text).not.toContain(note);
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
    expect(legacy(p.actions.find((a) => a.id === 'mtls'))).toMatchObject({ symbol: '~', title: 'set mesh-wide mTLS to permissive', reasons: ['it is strict'] });
    expect(legacy(planFor(none, converged(strict)).actions.find((a) => a.id === 'mtls'))).toMatchObject({ symbol: '-', changes: true });
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
    expect(legacy(planFor(spec, o).actions.find((a) => a.id === 'addon:prometheus'))).toMatchObject({
      symbol: '~',
      title: 'repair addon prometheus',
      reasons: ['configmap istio-system/prometheus was changed'],
    });
  });

  it('pins the gateway nodePorts where no random nodePort can take them first, and says so of a pin outside that band', async () => {
    // Kubernetes gives a Service's unpinned ports random nodePorts above the static band while any
    // is free (KEP-3668); the gateway's own status port is one, allocated before its https port.
    for (const name of ['default', 'demo', 'minimal', 'ambient']) {
      const { gateway } = await specFor({ provider: 'kind', profile: name });
      for (const port of [gateway.httpNodePort, gateway.httpsNodePort]) {
        expect(port, name).toBeGreaterThanOrEqual(STATIC_NODE_PORTS.from);
        expect(port, name).toBeLessThanOrEqual(STATIC_NODE_PORTS.to);
      }
    }
    const spec = await specFor({ provider: 'kind', profile: 'demo' });
    const portNotes = (s: Spec) => planFor(s, emptyObserved({ state: 'absent' })).notes.filter((n) => n.includes('nodePort'));
    expect(portNotes(spec)).toEqual([]);
    const pinnedHigh = { ...spec, gateway: { ...spec.gateway, httpsNodePort: 30443 } } as Spec;
    expect(portNotes(pinnedHigh)).toEqual([
      "gateway.httpsNodePort 30443 lies outside 30000-30085, the nodePorts Kubernetes keeps for pinning (KEP-3668): a Service given a random nodePort, the gateway's own status port included, can take it first and fail the install",
    ]);
    // Without the classic gateway nothing is pinned by the install.
    const noGateway = { ...pinnedHigh, gateway: { ...pinnedHigh.gateway, ingress: false } } as Spec;
    expect(portNotes(noGateway)).toEqual([]);
  });

  it('a profile without the classic ingress gateway disables it in the overlay; kind still maps the ports a Gateway API gateway gets', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'minimal' });
    expect(spec.gateway.ingress).toBe(false);
    expect(providerFor('kind').portMappings(spec)).toEqual([
      { containerPort: 30080, hostPort: 8080 },
      { containerPort: 30043, hostPort: 8443 },
    ]);
    const p = planFor(spec, emptyObserved({ state: 'absent' }));
    expect(p.actions[0]!.commands[0]).toMatch(/extraPortMappings:\n\s+- containerPort: 30080\n\s+hostPort: 8080/);
    expect(p.overlay.yaml).toMatch(/name: istio-ingressgateway\n\s+enabled: false/);
  });

  it('a stopped minikube profile is started; a kind cluster whose API server is down is a blocker', async () => {
    const mk = await specFor({ provider: 'minikube', profile: 'minimal' });
    const p = planFor(mk, emptyObserved({ state: 'stopped' }));
    expect(legacy(p.actions[0])).toMatchObject({
      id: 'cluster',
      symbol: '~',
      title: 'start minikube cluster meshup (it is stopped)',
      commands: ['minikube start -p meshup'],
    });
    const kind = await specFor({ provider: 'kind', profile: 'minimal' });
    const b = planFor(kind, emptyObserved({ state: 'broken', detail: 'Unable to connect to the server' }));
    expect(b.actions.some((a) => a.id === 'cluster')).toBe(false);
    expect(blockerText(b.blockers[0]!)).toContain('exists but its API server does not answer (Unable to connect to the server)');
    expect(blockerText(b.blockers[0]!)).toContain('kind delete cluster --name meshup');
  });

  it('a read that failed while the rest answered blocks the plan, named with why; never read as nothing there', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'demo', namespaces: 'default,shop' });
    const observed = { ...converged(spec), recorded: undefined, unread: ["meshup's record (configmap kube-public/meshup): Error from server (Forbidden)"] };
    const p = planFor(spec, observed);
    expect(p.blockers.map(blockerText)).toEqual([
      expect.stringMatching(/^Part of the cluster could not be read, so nothing is planned from it: meshup's record .*Forbidden\)\. Fix: .*auth can-i/),
    ]);
    // The same observation with the read answered plans nothing to block.
    expect(planFor(spec, converged(spec)).blockers).toEqual([]);
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

describe('ambient mode', () => {
  const ambientNs = (name: string, labels: Record<string, string> = {}) => ns(name, { 'istio.io/dataplane-mode': 'ambient', ...labels });
  const pod = (name: string, namespace: string, containers: string[], owner?: string): KubeObject =>
    ({
      kind: 'Pod',
      metadata: { name, namespace, ...(owner ? { ownerReferences: [{ kind: 'ReplicaSet', name: owner }] } : {}) },
      spec: { containers: containers.map((c) => ({ name: c })) },
      status: { phase: 'Running' },
    }) as KubeObject;

  it('the ambient profile enrols namespaces with the dataplane-mode label, marked as meshup', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'ambient' });
    expect(spec.dataplane).toBe('ambient');
    const p = planFor(spec, emptyObserved({ state: 'absent' }));
    const enrol = p.actions.find((a) => a.id === 'injection:default')!;
    expect(enrol.title).toBe('enrol default in ambient mode');
    expect(enrol.commands[0]).toContain('"istio.io/dataplane-mode":"ambient","meshup.dev/injection":"true"');
    expect(enrol.commands[0]).not.toContain('istio-injection');
    expect(p.actions.find((a) => a.id === 'record')!.op).toMatchObject({ spec: { dataplane: 'ambient' } });
  });

  it('a converged ambient mesh changes nothing', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'ambient' });
    const o = converged(spec);
    o.namespaces = [ns('kube-system'), ambientNs('default', { 'meshup.dev/injection': 'true' })];
    const p = planFor(spec, o);
    expect(changing(p)).toEqual([]);
    expect(p.actions.find((a) => a.id === 'injection:default')!.title).toBe('default in ambient mode unchanged');
  });

  it('switching a sidecar namespace to ambient is one planned change that names the pods to restart', async () => {
    const before = await specFor({ provider: 'kind', profile: 'minimal', namespaces: 'default,shop' });
    const after = await specFor({ provider: 'kind', profile: 'minimal', namespaces: 'default,shop', dataplane: 'ambient' });
    const o = converged(before);
    o.meshPods = [pod('web-7d9c-abcde', 'shop', ['web', 'istio-proxy'], 'web-7d9c'), pod('db-0', 'shop', ['db']), pod('one-off', 'shop', ['x', 'istio-proxy'])];
    const p = planFor(after, o);
    expect(changing(p)).toEqual(['~ istio', '~ injection:default', '~ injection:shop', '~ record']);
    const shop = p.actions.find((a) => a.id === 'injection:shop')!;
    expect(shop.title).toBe('switch shop from sidecar injection to ambient mode');
    expect(shop.reasons).toEqual([
      '2 running pods keep their sidecars until recreated: kubectl rollout restart deployment/web -n shop',
      'pods without a controller, to delete and recreate by hand: one-off',
    ]);
    expect(shop.commands[1]).toBe('kubectl --context kind-meshup label namespace shop --overwrite istio-injection- istio.io/rev-');
    expect(shop.op).toMatchObject({ type: 'injection', enable: ['shop'], mode: 'ambient', switching: ['shop'] });
    // The control plane gains ztunnel and istio-cni: the overlay changed.
    expect(p.overlay.yaml).toMatch(/ztunnel:\n\s+enabled: true/);
  });

  it('a sidecar label set by hand stays, and the plan says what it means', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'ambient' });
    const o = converged(spec);
    o.namespaces = [ns('default', { 'istio-injection': 'enabled' })];
    const p = planFor(spec, o);
    const a = p.actions.find((x) => x.id === 'injection:default')!;
    expect(legacy(a)).toMatchObject({ symbol: '+', title: 'enrol default in ambient mode' });
    expect(a.commands.join('\n')).not.toContain('istio-injection-');
    expect(p.notes.join('\n')).toContain('default: its istio-injection label was set by hand, so meshup leaves it');
  });

  it('taking a namespace out says its pods leave the mesh at once', async () => {
    const spec = await specFor({ provider: 'kind', profile: 'ambient', namespaces: 'default' });
    const o = converged(spec);
    o.namespaces = [ambientNs('default', { 'meshup.dev/injection': 'true' }), ambientNs('shop', { 'meshup.dev/injection': 'true' })];
    const a = planFor(spec, o).actions.find((x) => x.id === 'injection:shop')!;
    expect(legacy(a)).toMatchObject({ symbol: '-', title: 'take shop out of ambient mode (its pods leave the mesh at once)' });
  });

  it('a cluster whose nodes say k3s needs platform k3s before anything runs', async () => {
    const spec = await specFor({ context: 'k3s-default', profile: 'ambient' });
    const o = converged(spec);
    o.nodes = [{ ...o.nodes[0]!, kubeletVersion: 'v1.34.4+k3s1' }];
    const p = planFor(spec, o);
    expect(blockerText(p.blockers[0]!)).toContain("This cluster runs k3s: Istio's ambient mode needs global.platform=k3s");
    expect(blockerText(p.blockers[0]!)).toContain('MESHUP_PLATFORM=k3s');
    const fixed = await specFor({ context: 'k3s-default', profile: 'ambient' }, { env: { MESHUP_PLATFORM: 'k3s' } });
    const q = planFor(fixed, { ...o, recorded: undefined });
    expect(q.blockers).toEqual([]);
    expect(q.overlay.yaml).toMatch(/platform: k3s/);
  });
});
