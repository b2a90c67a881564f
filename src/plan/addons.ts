// Addons: each wanted one applied, repaired (missing, changed or not ready objects, or from another
// Istio release) or verified; those meshup applied and no longer wanted removed, exactly their
// labelled objects. With Jaeger, the Telemetry that turns tracing on (Jaeger shows nothing until one
// selects its provider, istio#53779).
import { HASH_ANNOTATION, removeAddonArgs, tracingTelemetry } from '../addons/manifest.js';
import type { Spec } from '../config/spec.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { refLabel } from '../kube/refs.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, adopting, type Blocker, conflict, driftReasons, type PlanContext, type Planned, reasonsOf } from './types.js';

export function planAddons({ spec, observed, catalog, seen, kube, adopt }: PlanContext): Planned {
  const recorded = observed.recorded;
  const recordedAddons = new Set(recorded?.addons ?? []);
  const sameIstio = !recorded || recorded.istioVersion === spec.istioVersion;
  const release = spec.istioDir ?? `<Istio ${spec.istioVersion} release>`;
  const actions: Action[] = [];
  const blockers: Blocker[] = [];
  const drifted = (name: string) => observed.drift?.addons[name] ?? [];
  for (const name of spec.addons) {
    const a = catalog.get(name)!;
    const o = seen ? observed.addons[name] : undefined;
    const foreign = (o?.foreign ?? []).map(refLabel);
    if (foreign.length && !adopt) blockers.push(conflict(foreign, `addon ${name}`));
    const takeover = foreign.length ? [adopting(foreign)] : [];
    const base = { id: `addon:${name}`, commands: [kube(applyArgs(), `(the objects of ${release}/${a.manifest})`)], op: { type: 'addon' as const, name } };
    if (!o?.present) {
      actions.push({
        ...base,
        change: 'create',
        title: `apply addon ${name}${spec.addedDependencies.includes(name) ? ' (needed by another addon)' : ''}`,
        reasons: takeover,
      });
    } else if (!sameIstio || o.missing.length || o.changed.length || o.notReady.length || drifted(name).length || !recordedAddons.has(name) || foreign.length) {
      const reasons = [
        ...takeover,
        ...(sameIstio
          ? [...driftReasons(drifted(name)), ...reasonsOf(o.missing, o.changed, o.notReady)]
          : [`it comes from Istio ${recorded?.istioVersion}'s release`]),
      ];
      // A repair applies just what is missing or changed; a release change, a first record or a
      // take-over applies the whole addon.
      const whole = !sameIstio || !recordedAddons.has(name) || foreign.length > 0;
      const refs = [...o.missing, ...o.changed, ...drifted(name).map((d) => d.ref)];
      actions.push({
        ...base,
        change: 'update',
        title: `${sameIstio ? 'repair' : 'update'} addon ${name}${reasons.length === 0 ? ' (not applied by meshup yet)' : ''}`,
        reasons,
        ...(whole
          ? {}
          : { commands: [kube(applyArgs(), `(${refs.length ? `the ${refs.length} object(s) above` : 'nothing'}, from ${release}/${a.manifest})`)] }),
        op: { ...base.op, ...(whole ? {} : { refs }) },
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
    // Removed when meshup applied it, by the evidence on its objects, recorded or not (an
    // `addons enable` that failed before its record was written leaves such objects).
    if (spec.addons.includes(a.name) || !o?.present || !o.ours) continue;
    actions.push({
      id: `addon:${a.name}`,
      change: 'delete',
      title: `remove addon ${a.name}`,
      reasons: [],
      commands: [kube(removeAddonArgs(a, o.kinds))],
      op: { type: 'addon', name: a.name, kinds: o.kinds },
    });
  }
  return { actions, blockers };
}

function telemetryHash(spec: Spec): string | undefined {
  const md = tracingTelemetry(spec.profile.istio.tracingSampling ?? 1).metadata as { annotations?: Record<string, string> };
  return md.annotations?.[HASH_ANNOTATION];
}

export function planTelemetry({ spec, observed, seen, kube, adopt }: PlanContext): Planned {
  const t = seen ? observed.telemetry : undefined;
  const name = 'telemetry istio-system/mesh-default';
  if (!spec.addons.includes('jaeger')) {
    // Removed only when it is meshup's: a person's own Telemetry of that name stays.
    if (!t?.ours) return {};
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
  if (t && !t.ours && !adopt) return { blockers: [conflict([name], 'the tracing Telemetry')] };
  const changed = observed.drift?.telemetry ?? [];
  if (t?.ours && t.hash === telemetryHash(spec) && !changed.length) {
    return { actions: [{ id: 'telemetry', change: 'none', title: 'tracing Telemetry unchanged', reasons: [], commands: [], op: { type: 'telemetry' } }] };
  }
  return {
    actions: [
      {
        id: 'telemetry',
        change: t ? 'update' : 'create',
        title: `apply the tracing Telemetry (${spec.profile.istio.tracingSampling ?? 1}% sampled, to jaeger)`,
        reasons: t ? (t.ours ? (changed.length ? driftReasons(changed) : [`${name} was changed`]) : [adopting([name])]) : [],
        commands: [kube(applyArgs(), JSON.stringify(tracingTelemetry(spec.profile.istio.tracingSampling ?? 1)))],
        op: { type: 'telemetry' },
      },
    ],
  };
}
