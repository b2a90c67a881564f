// The plan: a pure function of the desired spec and the observed cluster, composed of one small
// planner per concern. Every change meshup will make is decided here, before the first one is
// made, with a future-tense title, its kind of change and the exact commands. `meshup plan`,
// `up --dry-run` and `up` itself all print or run this same list. No I/O (a lint rule keeps this
// folder's imports pure).
import { dirname, join } from 'node:path';
import { formatCommand } from '../exec/quote.js';
import { LEAVE_ALONE_ANNOTATION } from '../istio/labels.js';
import { overlayFiles, overlayHash } from '../istio/overlay.js';
import { imagesSummary } from '../kube/images.js';
import { refLabel } from '../kube/refs.js';
import { planAddons, planTelemetry } from './addons.js';
import { planCluster, planContextRestore, planHostPorts } from './cluster.js';
import { planGatewayApi } from './gateway-api.js';
import { planInjection } from './injection.js';
import { isNewMesh, planAmbientPlatform, planIstio } from './istio.js';
import { planKubernetes } from './kubernetes.js';
import { planMtls } from './mtls.js';
import { planRecord } from './record.js';
import { planPrefetch, planRegistries } from './registries.js';
import { planTrust } from './trust.js';
import { type Action, changes, type Op, type Overlays, type Plan, type PlanContext, type PlanInput, type Planned } from './types.js';

export function plan(input: PlanInput): Plan {
  const ctx = planContext(input);
  const want = (t: Op['type']) => !input.only || input.only.has(t);
  const restore = planContextRestore(ctx);
  if (restore) return assemble(ctx.overlay, [restore]);
  // A cluster that exists but could not be read is planned as nothing but its start or repair:
  // planning the rest from an empty read would remove and overwrite what is really there.
  const { state } = input.observed.cluster;
  if (state !== 'absent' && !input.observed.reachable) {
    const unread = `the ${input.provider.name} cluster "${input.spec.clusterName}" exists but could not be read (it is ${state})`;
    return {
      ...assemble(ctx.overlay, [planCluster(ctx), { notes: [`${unread}: the rest is planned once it answers (meshup up starts it, then reads it again)`] }]),
      unread,
    };
  }
  const gatewayApi = (): Planned => {
    const g = planGatewayApi({
      enabled: input.spec.gatewayApi,
      istioVersion: input.spec.istioVersion,
      want: input.spec.release?.gatewayApi.version,
      observed: ctx.seen ? input.observed.gatewayApi : undefined,
      unreadable: ctx.seen && !input.observed.gatewayApi,
      bundleFile: input.gatewayApiBundle,
      kube: ctx.kube,
    });
    return { actions: g.action ? [{ id: 'gateway-api', ...g.action }] : [], notes: g.note ? [g.note] : [] };
  };
  // In the order the plan lists them (and `up` applies them: apply/order.ts has the overlaps).
  const parts: [Op['type'] | 'always', () => Planned][] = [
    ['cluster', () => planCluster(ctx)],
    ['cluster', () => planKubernetes(ctx)],
    ['always', () => partlyUnread(ctx)],
    ['always', () => planHostPorts(ctx)],
    ['registries', () => planRegistries(ctx)],
    ['gateway-api', gatewayApi],
    ['trust', () => planTrust(ctx)],
    ['istio', () => planIstio(ctx)],
    ['mtls', () => planMtls(ctx)],
    ['istio', () => planAmbientPlatform(ctx)],
    ['injection', () => planInjection(ctx)],
    ['addon', () => planAddons(ctx)],
    ['addon', () => planTelemetry(ctx)],
    ['always', () => planRecord(ctx, want)],
    ['always', () => leftAlone(ctx)],
  ];
  const planned = assemble(
    ctx.overlay,
    parts.filter(([t]) => t === 'always' || want(t)).map(([, part]) => part()),
  );
  // What creating or changing workloads makes the nodes pull, when it is known.
  const images = input.observed.images;
  const pulls = planned.actions.some((a) => changes(a) && (a.op.type === 'cluster' || a.op.type === 'istio' || a.op.type === 'addon'));
  if (images?.length && pulls) planned.notes.push(`the nodes pull ${imagesSummary(images)} (meshup images lists them)`);
  const prefetch = want('prefetch') && !planned.blockers.length ? planPrefetch(ctx, pulls) : undefined;
  if (prefetch) planned.actions.splice(planned.actions.findIndex((a) => a.op.type === 'registry-wiring') + 1 || planned.actions.length, 0, prefetch);
  return planned;
}

/** What every planner reads: the input, the overlays, whether the cluster was seen, the kubectl
 * command form. */
export function planContext(input: PlanInput): PlanContext {
  const { spec, provider, context, observed } = input;
  const files = overlayFiles(spec, provider);
  // A cluster that may have Istio may hold gateways from before (of an earlier profile, or
  // installed with the control plane by an older meshup): the gateways' install runs there to
  // take them over or prune them, even when none is wanted now.
  const overlay: Overlays = {
    path: input.overlayPath,
    yaml: files.controlPlane,
    hash: overlayHash(files),
    gateways: { path: join(dirname(input.overlayPath), 'istio-gateways.yaml'), yaml: files.gateways, wanted: files.anyGateway },
    installGateways: files.anyGateway || !isNewMesh({ observed }),
  };
  return {
    ...input,
    overlay,
    // What the cluster cannot tell yet (it does not run) is planned as if empty.
    seen: observed.reachable,
    kube: (args, stdin) => formatCommand('kubectl', ['--context', context, ...args], stdin),
  };
}

/** A read that failed while the rest answered leaves meshup not knowing what is there: it plans
 * no change at all rather than one that would remove, reconfigure or record from a gap. */
function partlyUnread({ observed, context }: PlanContext): Planned {
  const unread = observed.unread ?? [];
  if (!unread.length) return {};
  return {
    blockers: [
      {
        message: `Part of the cluster could not be read, so nothing is planned from it: ${unread.join('; ')}`,
        fix: `Run meshup again once these reads succeed (kubectl --context ${context} auth can-i list <kind> -n istio-system tells a refusal from an outage)`,
      },
    ],
  };
}

/** Objects a person marked for meshup to leave alone are said, once: they are not compared. So
 * are those the API server would not compare (meshup's version of them refused as they stand). */
function leftAlone({ observed }: PlanContext): Planned {
  const refs = observed.drift?.leftAlone ?? [];
  const refused = observed.drift?.uncompared ?? [];
  return {
    notes: [
      ...(refs.length ? [`left alone (annotated ${LEAVE_ALONE_ANNOTATION}: "true"): ${refs.map(refLabel).join(', ')}`] : []),
      ...refused.map((u) => `not compared: ${refLabel(u.ref)}: the API server refused meshup's version of it (${u.why})`),
    ],
  };
}

function assemble(overlay: Overlays, parts: Planned[]): Plan {
  return {
    actions: parts.flatMap((p) => p.actions ?? []),
    overlay,
    blockers: parts.flatMap((p) => p.blockers ?? []),
    notes: parts.flatMap((p) => p.notes ?? []),
  };
}

/** Addons need the whole release (samples/); the control plane alone needs only an istioctl. */
export const needsWholeRelease = (plan: Plan) => plan.actions.some((a) => a.op.type === 'addon' && (a.change === 'create' || a.change === 'update'));
/** A repair from the rendered manifest needs no istioctl. */
export const needsIstio = (plan: Plan) => needsWholeRelease(plan) || plan.actions.some((a: Action) => changes(a) && a.op.type === 'istio' && !a.op.missing);
