// Addons: each wanted one applied, repaired (missing, changed or not ready objects, or from another
// Istio release) or verified; those meshup applied and no longer wanted removed, exactly their
// labelled objects. With Jaeger, the Telemetry that turns tracing on (Jaeger shows nothing until one
// selects its provider, istio#53779).
import { HASH_ANNOTATION, removeAddonArgs, tracingTelemetry } from '../addons/manifest.js';
import type { Spec } from '../config/spec.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, type PlanContext, type Planned, reasonsOf } from './types.js';

export function planAddons({ spec, observed, catalog, seen, kube }: PlanContext): Planned {
  const recorded = observed.recorded;
  const recordedAddons = new Set(recorded?.addons ?? []);
  const sameIstio = !recorded || recorded.istioVersion === spec.istioVersion;
  const release = spec.istioDir ?? `<Istio ${spec.istioVersion} release>`;
  const actions: Action[] = [];
  for (const name of spec.addons) {
    const a = catalog.get(name)!;
    const o = seen ? observed.addons[name] : undefined;
    const base = { id: `addon:${name}`, commands: [kube(applyArgs(), `(the objects of ${release}/${a.manifest})`)], op: { type: 'addon' as const, name } };
    if (!o?.present) {
      actions.push({
        ...base,
        change: 'create',
        title: `apply addon ${name}${spec.addedDependencies.includes(name) ? ' (needed by another addon)' : ''}`,
        reasons: [],
      });
    } else if (!sameIstio || o.missing.length || o.changed.length || o.notReady.length || !recordedAddons.has(name)) {
      const reasons = sameIstio ? reasonsOf(o.missing, o.changed, o.notReady) : [`it comes from Istio ${recorded?.istioVersion}'s release`];
      actions.push({
        ...base,
        change: 'update',
        title: `${sameIstio ? 'repair' : 'update'} addon ${name}${reasons.length === 0 ? ' (not applied by meshup yet)' : ''}`,
        reasons,
      });
    } else {
      actions.push({
        ...base,
        change: 'none',
        title: `addon ${name} ready${o.verified ? '' : ' (objects not listed: the release is not at hand)'}`,
        reasons: [],
        commands: [],
      });
    }
  }
  for (const a of catalog.values()) {
    const o = seen ? observed.addons[a.name] : undefined;
    if (spec.addons.includes(a.name) || !o?.present || !recordedAddons.has(a.name)) continue;
    actions.push({
      id: `addon:${a.name}`,
      change: 'delete',
      title: `remove addon ${a.name}`,
      reasons: [],
      commands: [kube(removeAddonArgs(a, o.kinds))],
      op: { type: 'addon', name: a.name, kinds: o.kinds },
    });
  }
  return { actions };
}

function telemetryHash(spec: Spec): string | undefined {
  const md = tracingTelemetry(spec.profile.istio.tracingSampling ?? 1).metadata as { annotations?: Record<string, string> };
  return md.annotations?.[HASH_ANNOTATION];
}

export function planTelemetry({ spec, observed, seen, kube }: PlanContext): Planned {
  const t = seen ? observed.telemetry : undefined;
  if (!spec.addons.includes('jaeger')) {
    if (!t) return {};
    return {
      actions: [
        {
          id: 'telemetry',
          change: 'delete',
          title: 'remove the tracing Telemetry',
          reasons: [],
          commands: [kube(['delete', 'telemetry/mesh-default', '--ignore-not-found', '-n', ISTIO_NAMESPACE])],
          op: { type: 'telemetry' },
        },
      ],
    };
  }
  if (t && t.hash === telemetryHash(spec)) {
    return { actions: [{ id: 'telemetry', change: 'none', title: 'tracing Telemetry unchanged', reasons: [], commands: [], op: { type: 'telemetry' } }] };
  }
  return {
    actions: [
      {
        id: 'telemetry',
        change: t ? 'update' : 'create',
        title: `apply the tracing Telemetry (${spec.profile.istio.tracingSampling ?? 1}% sampled, to jaeger)`,
        reasons: t ? ['telemetry istio-system/mesh-default was changed'] : [],
        commands: [kube(applyArgs(), JSON.stringify(tracingTelemetry(spec.profile.istio.tracingSampling ?? 1)))],
        op: { type: 'telemetry' },
      },
    ],
  };
}
