// Namespaces in the mesh: meshup's own (marked) labels only, in the spec's dataplane mode.
// Namespaces it enrolled and the spec no longer names leave the mesh; a namespace switching mode
// says which running pods need a restart; a label a user set by hand is left, and explained.
import type { Dataplane } from '../config/schema.js';
import { AMBIENT_LABEL, injectionManifest, modeOf, otherModeRemovals, REVISION_LABEL, SIDECAR_LABEL } from '../istio/injection.js';
import { INJECTION_MARKER } from '../istio/labels.js';
import { podsWithoutSidecar, podsWithSidecar } from '../istio/sidecars.js';
import type { KubeObject } from '../kube/objects.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, count, type PlanContext, type Planned } from './types.js';

const modeName = (m: Dataplane) => (m === 'ambient' ? 'ambient mode' : 'sidecar injection');

/** Each namespace of the spec by what its labels say now; the ones to take out of the mesh. */
function sortNamespaces({ spec, observed, seen }: PlanContext) {
  const mode = spec.dataplane;
  const byName = new Map((seen ? observed.namespaces : []).map((n) => [n.metadata.name, n]));
  const labelsOf = (ns: string) => byName.get(ns)?.metadata.labels ?? {};
  const marked = (ns: string) => !!labelsOf(ns)[INJECTION_MARKER];
  const enable: string[] = [];
  const keep: string[] = [];
  const switching: string[] = [];
  const notes: string[] = [];
  for (const ns of spec.namespaces) {
    const labels = labelsOf(ns);
    // A mesh of a named revision (a finished upgrade's) injects by that revision's label only.
    const sidecar = spec.revision ? labels[REVISION_LABEL] === spec.revision : labels[SIDECAR_LABEL] === 'enabled' || !!labels[REVISION_LABEL];
    const hasOurs = mode === 'ambient' ? labels[AMBIENT_LABEL] === 'ambient' : sidecar;
    const other = modeOf(labels) !== undefined && modeOf(labels) !== mode;
    if (other && marked(ns)) switching.push(ns);
    else if (hasOurs) keep.push(ns);
    else enable.push(ns);
    // A label of the other mode set by hand stays; say what it means.
    if (other && !marked(ns)) {
      notes.push(
        mode === 'ambient'
          ? `${ns}: its istio-injection label was set by hand, so meshup leaves it; new pods there still get sidecars, which ztunnel skips (remove it: kubectl label namespace ${ns} istio-injection- istio.io/rev-)`
          : `${ns}: its istio.io/dataplane-mode label was set by hand, so meshup leaves it; pods with sidecars are skipped by ztunnel either way`,
      );
    }
  }
  const disable = [...byName.values()]
    .filter((n) => n.metadata.labels?.[INJECTION_MARKER] && !spec.namespaces.includes(n.metadata.name))
    .map((n) => n.metadata.name);
  return { byName, labelsOf, marked, enable, keep, switching, disable, notes };
}

/** Which running pods a namespace switching mode leaves as they were, and how to recreate them. */
function restartReasons(ns: string, mode: Dataplane, pods: readonly KubeObject[] | undefined): string[] {
  const have = pods ?? [];
  const stale = mode === 'ambient' ? podsWithSidecar(have, new Set([ns])) : podsWithoutSidecar(have, new Set([ns]));
  if (!stale.length) return [`no running pod needs a restart${pods ? '' : ' (pods not read)'}`];
  const workloads = [...new Set(stale.flatMap((p) => (p.workload ? [p.workload] : [])))];
  const bare = stale.filter((p) => !p.workload).map((p) => p.pod);
  return [
    `${count(stale.length, 'running pod')} ${mode === 'ambient' ? 'keep their sidecars' : 'get no sidecar'} until recreated${workloads.length ? `: kubectl rollout restart ${workloads.join(' ')} -n ${ns}` : ''}`,
    ...(bare.length ? [`pods without a controller, to delete and recreate by hand: ${bare.join(', ')}`] : []),
  ];
}

export function planInjection(ctx: PlanContext): Planned {
  const { spec, observed, seen, kube } = ctx;
  const mode = spec.dataplane;
  const { byName, labelsOf, marked, enable, keep, switching, disable, notes } = sortNamespaces(ctx);
  const actions: Action[] = [];
  for (const ns of enable) {
    actions.push({
      id: `injection:${ns}`,
      change: 'create',
      title: `${mode === 'ambient' ? `enrol ${ns} in ambient mode` : `enable sidecar injection in ${ns}`}${byName.has(ns) || !seen ? '' : ' (creating the namespace)'}`,
      reasons: [],
      commands: [kube(applyArgs(), injectionManifest([ns], mode, spec.revision))],
      op: { type: 'injection', enable: [ns], disable: [], mode },
    });
  }
  for (const ns of switching) {
    const from: Dataplane = mode === 'ambient' ? 'sidecar' : 'ambient';
    actions.push({
      id: `injection:${ns}`,
      change: 'update',
      title: `switch ${ns} from ${modeName(from)} to ${modeName(mode)}`,
      reasons: restartReasons(ns, mode, observed.meshPods),
      commands: [kube(applyArgs(), injectionManifest([ns], mode, spec.revision)), kube(['label', 'namespace', ns, '--overwrite', ...otherModeRemovals(mode)])],
      op: { type: 'injection', enable: [ns], disable: [], mode, switching: [ns] },
    });
  }
  for (const ns of disable) {
    const was = modeOf(labelsOf(ns)) ?? mode;
    actions.push({
      id: `injection:${ns}`,
      change: 'delete',
      title:
        was === 'ambient'
          ? `take ${ns} out of ambient mode (its pods leave the mesh at once)`
          : `disable sidecar injection in ${ns} (running pods keep their sidecars until restarted)`,
      reasons: [],
      commands: [kube(['label', 'namespace', ns, '--overwrite', `${SIDECAR_LABEL}-`, `${REVISION_LABEL}-`, `${AMBIENT_LABEL}-`, `${INJECTION_MARKER}-`])],
      op: { type: 'injection', enable: [], disable: [ns], mode },
    });
  }
  for (const ns of keep) {
    actions.push({
      id: `injection:${ns}`,
      change: 'none',
      title: `${mode === 'ambient' ? `${ns} in ambient mode` : `sidecar injection in ${ns}`} unchanged${marked(ns) ? '' : ' (labelled by hand)'}`,
      reasons: [],
      commands: [],
      op: { type: 'injection', enable: [], disable: [], mode },
    });
  }
  return { actions, notes };
}
