// One executor per kind of action: what each step of an apply does, and which steps a plan has.
// When a step may run is apply/order.ts's business; carrying them out is apply/apply.ts's. Nothing
// here decides what to change: that was the plan's job.
import { applyAddons, removeAddon, waitForAddons } from '../addons/apply.js';
import { tracingTelemetry } from '../addons/manifest.js';
import { disableInjection, enableInjection } from '../istio/labelling.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { peerAuthentication } from '../istio/mtls.js';
import { isClusterScoped, type ObjectRef, refKey, refOf } from '../kube/refs.js';
import { needsIstio } from '../plan/plan.js';
import type { GatewayApiOp } from '../plan/types.js';
import { type Action, changes } from '../plan/types.js';
import { waitForReadyNodes } from '../providers/wait.js';
import { forgetCreated, rememberCreated, writeAppliedSpec } from '../state/record.js';
import { apply, deleteObjects } from '../tools/kubectl.js';
import { applyGatewayApi } from './gateway-api.js';
import type { ApplyInput } from './input.js';
import { installControlPlane, repairControlPlane } from './istio.js';
import { prefetchImages, startRegistries, wireRegistries } from './registries.js';
import { putTrust } from './trust.js';
import type { Note, Step, StepContext } from './types.js';

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The steps of a plan, one per changing action (the labels and the addons' apply go as one step
 * each), and what they need beside the cluster: the Istio release, the Gateway API bundle. */
export function stepsOf(input: ApplyInput): Step[] {
  const { plan, provider, spec } = input;
  const changing = plan.actions.filter(changes);
  const of = (t: Action['op']['type']) => changing.filter((a) => a.op.type === t);
  const cluster = of('cluster')[0];
  const steps: Step[] = [
    { kind: 'cluster', title: cluster ? capital(cluster.title) : `Reuse ${provider.name} cluster ${spec.clusterName}`, run: (x) => prepareCluster(x, cluster) },
  ];
  const toApply = of('addon').flatMap((a) => (a.op.type === 'addon' && a.change !== 'delete' ? [a.op.name] : []));
  const install = of('istio').find((a) => a.op.type === 'istio' && !a.op.missing);
  for (const a of of('trust')) steps.push({ kind: 'trust', title: capital(a.title), run: (x) => putTrust(x, a) });
  for (const a of of('registries')) steps.push({ kind: 'registries', title: capital(a.title), run: (x) => startRegistries(x, a) });
  for (const a of of('registry-wiring')) steps.push({ kind: 'registry-wiring', title: capital(a.title), run: (x) => wireRegistries(x, a) });
  for (const a of of('prefetch')) steps.push({ kind: 'prefetch', title: capital(a.title), run: (x) => prefetchImages(x, a, !!install, toApply) });
  if (needsIstio(plan)) steps.push({ kind: 'istio-release', title: `Get Istio ${spec.istioVersion}`, run: (x) => getRelease(x, !!install, toApply) });
  const gatewayApi = of('gateway-api')[0];
  if (gatewayApi?.op.type === 'gateway-api') {
    const op = gatewayApi.op;
    steps.push(
      { kind: 'gateway-api-bundle', title: `Get the Gateway API ${op.version} CRDs`, run: (x) => getBundle(x, op) },
      {
        kind: 'gateway-api',
        title: capital(gatewayApi.title),
        run: async (x) => applyGatewayApi(x.input.runner, op, x.progress, (await x.resources.gatewayApiBundle(op.version)).objects),
      },
    );
  }
  for (const a of of('istio')) {
    if (a.op.type !== 'istio') continue;
    const { missing, changed, newMesh, afterNamespaceGone } = a.op;
    steps.push(
      missing
        ? { kind: 'istio-repair', title: capital(a.title), run: (x) => repairControlPlane(x, [...missing, ...(changed ?? [])]) }
        : { kind: 'istio-install', title: capital(a.title), run: (x) => installControlPlane(x, !!newMesh, !!afterNamespaceGone) },
    );
  }
  const labels = of('injection');
  if (labels.length) {
    const title =
      labels.length === 1
        ? capital(labels[0]!.title)
        : `Update ${spec.dataplane === 'ambient' ? 'ambient enrolment' : 'sidecar injection'} labels (${labels.length} namespaces)`;
    steps.push({ kind: 'injection', title, run: (x) => label(x, labels) });
  }
  // A repair of an addon applies just its objects that are missing or changed.
  const only = new Map(of('addon').flatMap((a) => (a.op.type === 'addon' && a.op.refs ? [[a.op.name, a.op.refs] as const] : [])));
  if (toApply.length) steps.push({ kind: 'addons', title: `Apply addons ${toApply.join(', ')}`, run: (x) => applyAddonSteps(x, toApply, only) });
  for (const a of of('addon')) {
    if (a.op.type !== 'addon' || a.change !== 'delete') continue;
    const { name, kinds } = a.op;
    steps.push({ kind: 'addon-removal', title: `Remove addon ${name}`, run: (x) => removeAddon(x.input.runner, x.input.catalog.get(name)!, kinds ?? []) });
  }
  for (const a of [...of('mtls'), ...of('telemetry')])
    steps.push({ kind: a.op.type === 'mtls' ? 'mtls' : 'telemetry', title: capital(a.title), run: (x) => istioResource(x, a) });
  const record = of('record')[0];
  if (record?.op.type === 'record') {
    const applied = record.op.spec;
    steps.push({
      kind: 'record',
      title: 'Record the applied spec',
      // The record says what the cluster runs now: when a step failed, nothing is recorded.
      run: async (x) => {
        if (!(await x.othersSucceeded())) return { skipped: 'not written: a step above failed' };
        await writeAppliedSpec(x.input.runner, applied, input.meshupVersion);
        return undefined;
      },
    });
  }
  return steps;
}

async function prepareCluster(x: StepContext, cluster: Action | undefined): Promise<Note> {
  const { runner, provider, spec, observed } = x.input;
  const how = cluster?.op.type === 'cluster' ? cluster.op.how : undefined;
  // Work beside a slow cluster step waits until its command has started.
  if (how === 'create' || how === 'start') void runner.whenStarted((s) => !s.readOnly).then(() => x.gates.open('cluster-underway'));
  else x.gates.open('cluster-underway');
  try {
    if (how === 'create') {
      // Remembered first: a create that is interrupted still leaves a cluster `down` may delete.
      await rememberCreated(runner.env, provider.name, spec.clusterName);
      try {
        await provider.create(runner, spec, () => x.gates.open('cluster-answering'));
      } catch (e) {
        // Forgotten again when nothing of it is left (the provider cleaned up after itself).
        const left = await provider.status(runner.forCleanup(), spec).catch(() => undefined);
        if (left?.state === 'absent') await forgetCreated(runner.env, provider.name, spec.clusterName);
        throw e;
      }
    } else if (how === 'start') await provider.start(runner, spec);
    else if (how === 'restore-context') await provider.restoreContext!(runner, spec);
    // Istio goes onto Ready nodes, unless the provider said sooner that its nodes are on the way.
    const check = !!cluster || !observed.nodes.length || !observed.nodes.every((n) => n.ready);
    if (check) await waitForReadyNodes(runner, spec.timeoutMs);
    x.gates.open('cluster-answering');
    x.gates.open('cluster-ready');
    return check ? 'nodes Ready' : undefined;
  } finally {
    x.gates.open('cluster-underway');
  }
}

async function getRelease(x: StepContext, installing: boolean, addons: readonly string[]): Promise<Note> {
  const r = await x.resources.istioRelease(x.progress);
  if (installing) void x.resources.controlPlaneListing();
  // A failure here is the addons step's to report.
  if (addons.length) x.resources.addons(addons).catch(() => undefined);
  return `${r.source === 'download' ? 'downloaded into' : 'using'} ${r.dir ?? r.istioctl.bin}`;
}

async function getBundle(x: StepContext, op: GatewayApiOp): Promise<Note> {
  const b = await x.resources.gatewayApiBundle(op.version);
  return `${b.downloaded ? 'downloaded into' : 'using'} ${b.dir}`;
}

async function label(x: StepContext, labels: Action[]): Promise<Note> {
  const { runner, spec } = x.input;
  const ops = labels.flatMap((a) => (a.op.type === 'injection' ? [a.op] : []));
  const enable = ops.flatMap((o) => o.enable);
  const disable = ops.flatMap((o) => o.disable);
  await enableInjection(
    runner,
    enable,
    spec.dataplane,
    ops.flatMap((o) => o.switching ?? []),
    spec.revision,
  );
  await disableInjection(runner, disable);
  return [enable.length ? `enabled in ${enable.join(', ')}` : '', disable.length ? `disabled in ${disable.join(', ')}` : ''].filter(Boolean).join('; ');
}

async function applyAddonSteps(x: StepContext, names: readonly string[], only: ReadonlyMap<string, readonly ObjectRef[]>): Promise<Note> {
  const { runner, spec, observed } = x.input;
  await x.resources.istioRelease(x.progress);
  const all = await x.resources.addons(names);
  const manifests = all.map((m) => {
    const refs = only.get(m.addon.name);
    if (!refs) return m;
    const keys = new Set(refs.map(refKey));
    const keep = (o: Record<string, unknown>) => keys.has(refKey(refOf(o, m.addon.namespace, isClusterScoped)));
    return { ...m, crds: m.crds.filter(keep), objects: m.objects.filter(keep) };
  });
  // istioctl makes istio-system before Istio core (operator/pkg/install, installSystemNamespace);
  // without an install that got that far, it may be missing: make sure it is there.
  if (!x.facts.istioCoreIn && !observed.namespaces.some((n) => n.metadata.name === ISTIO_NAMESPACE)) {
    await apply(runner, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ISTIO_NAMESPACE } }], 'Creating istio-system');
  }
  x.progress(`applying ${names.join(', ')}`);
  await applyAddons(runner, manifests);
  x.progress(`waiting for ${names.join(', ')}`);
  await waitForAddons(runner, all, { timeoutMs: spec.timeoutMs });
  return 'ready';
}

async function istioResource(x: StepContext, a: Action): Promise<Note> {
  const { runner, spec } = x.input;
  if (a.op.type === 'mtls') {
    if (a.op.mode) await apply(runner, [peerAuthentication(a.op.mode)], 'Setting mesh-wide mTLS');
    else await deleteObjects(runner, ['peerauthentication/default'], 'Removing the mesh-wide PeerAuthentication', ISTIO_NAMESPACE);
  } else if (a.change !== 'delete') await apply(runner, [tracingTelemetry(spec.profile.istio.tracingSampling ?? 1)], 'Applying the tracing Telemetry');
  else await deleteObjects(runner, ['telemetry/mesh-default'], 'Removing the tracing Telemetry', ISTIO_NAMESPACE);
  return undefined;
}
