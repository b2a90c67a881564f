// meshup injection enable|disable|list: edits of the desired mesh namespaces, planned and applied
// by the same planner as `up` (only the labels, and the record). In a sidecar mesh the label asks
// for injection; in an ambient mesh it enrols the namespace (istio.io/dataplane-mode=ambient).

import type { Dataplane } from '../config/schema.js';
import * as check from '../config/validate.js';
import { MeshupError, UsageError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { AMBIENT_LABEL, modeOf, REVISION_LABEL, SIDECAR_LABEL } from '../istio/injection.js';
import { INJECTION_MARKER } from '../istio/labels.js';
import { podsWithoutSidecar, podsWithSidecar } from '../istio/sidecars.js';
import type { Op } from '../plan/types.js';
import { changes } from '../plan/types.js';
import type { Provider } from '../providers/types.js';
import type { App } from '../session/app.js';
import { applyEdit, checkPreconditions, prepare } from '../session/converge.js';
import { openTarget } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { listObjects, rolloutRestart } from '../tools/kubectl.js';
import { table } from '../ui/table.js';

const INJECTION_PARTS: ReadonlySet<Op['type']> = new Set(['injection', 'record']);

function checkNames(names: string[]): string[] {
  if (!names.length) throw new UsageError('Name at least one namespace', { fix: 'e.g. meshup injection enable default shop' });
  return check.namespaces(names, { label: 'the command line' });
}

/** Restarts the workloads whose pods do not match the mode: without a sidecar in a sidecar mesh,
 * with one in an ambient mesh (ambient captures running pods without a restart). */
async function restartMismatched(app: App, runner: Runner, provider: Provider, namespaces: readonly string[], mode: Dataplane): Promise<string[]> {
  if (provider.simulated) {
    app.out.warn(`the ${provider.name} cluster is simulated: its pods run nothing, so restarting them would change nothing`);
    return [];
  }
  const pods = await listObjects(runner, 'pods', { allNamespaces: true });
  const missing = mode === 'ambient' ? podsWithSidecar(pods, new Set(namespaces)) : podsWithoutSidecar(pods, new Set(namespaces));
  const restarted: string[] = [];
  for (const ns of namespaces) {
    const workloads = [...new Set(missing.filter((m) => m.namespace === ns && m.workload).map((m) => m.workload!))];
    await rolloutRestart(runner, ns, workloads);
    restarted.push(...workloads.map((w) => `${ns}/${w}`));
  }
  if (restarted.length) app.out.log(`Restarted ${restarted.join(', ')} so their pods ${mode === 'ambient' ? 'drop their sidecars' : 'get sidecars'}`);
  return restarted;
}

async function change(app: App, names: string[], on: boolean): Promise<void> {
  const prepared = await prepare(app, {
    only: INJECTION_PARTS,
    edit: (spec) => ({ namespaces: on ? [...spec.namespaces, ...names] : spec.namespaces.filter((n) => !names.includes(n)) }),
  });
  const { plan, target, observed } = prepared;
  const mode = prepared.spec.dataplane;
  const what = mode === 'ambient' ? 'Ambient mode' : 'Sidecar injection';
  await checkPreconditions(prepared);
  const labelled = (n: string) => observed.namespaces.find((x) => x.metadata.name === n)?.metadata.labels ?? {};
  if (!on) {
    const missing = names.filter((n) => !observed.namespaces.some((x) => x.metadata.name === n));
    if (missing.length) throw new MeshupError(`No namespace ${missing.join(', ')}`, { fix: 'meshup injection list shows the labelled ones' });
  }
  if (!(await applyEdit(app, prepared))) return;
  const changed = plan.actions
    .filter((a) => changes(a) && a.op.type === 'injection')
    .flatMap((a) => (a.op.type === 'injection' ? [...a.op.enable, ...a.op.disable] : []));
  if (on) {
    const restart = (app.flags as { restart?: boolean }).restart;
    const restarted = restart ? await restartMismatched(app, target.runner, target.provider, names, mode) : [];
    app.out.result({ enabled: changed, unchanged: names.filter((n) => !changed.includes(n)), restarted, dataplane: mode });
    if (changed.length) app.out.print(`${what} enabled in ${changed.join(', ')}`);
    const same = names.filter((n) => !changed.includes(n));
    if (same.length) app.out.print(`Already enabled in ${same.join(', ')}`);
    if (!restart && !target.provider.simulated) {
      app.out.log(
        mode === 'ambient'
          ? 'Running pods join at once; pods that still carry a sidecar keep it until recreated (--restart recreates them)'
          : 'Running pods get sidecars only when recreated: add --restart, or see `meshup injection list`',
      );
    }
    return;
  }
  const byHandLabel = (n: string) =>
    labelled(n)[SIDECAR_LABEL] ? SIDECAR_LABEL : labelled(n)[AMBIENT_LABEL] ? AMBIENT_LABEL : labelled(n)[REVISION_LABEL] ? REVISION_LABEL : undefined;
  const byHand = names.filter((n) => !labelled(n)[INJECTION_MARKER] && byHandLabel(n));
  app.out.result({ disabled: changed, leftByHand: byHand });
  if (changed.length) {
    app.out.print(
      mode === 'ambient'
        ? `Ambient mode disabled in ${changed.join(', ')} (its pods left the mesh)`
        : `Sidecar injection disabled in ${changed.join(', ')} (running pods keep their sidecars until restarted)`,
    );
  }
  for (const n of byHand)
    app.out.warn(`${n}: its ${byHandLabel(n)} label was set by hand, so meshup leaves it; remove it with: kubectl label namespace ${n} ${byHandLabel(n)}-`);
}

// The edits change the cluster: one writer at a time (session/writer.ts).
export const enable = (app: App, names: string[]) =>
  writing(app, commandLine(app, 'injection', 'enable', ...names), () => change(app, checkNames(names), true));
export const disable = (app: App, names: string[]) =>
  writing(app, commandLine(app, 'injection', 'disable', ...names), () => change(app, checkNames(names), false));

export async function list(app: App): Promise<void> {
  const { runner, provider } = await openTarget(app);
  const [namespaces, pods] = await Promise.all([listObjects(runner, 'namespaces'), listObjects(runner, 'pods', { allNamespaces: true })]);
  const inMesh = namespaces.filter((n) => modeOf(n.metadata.labels));
  const sidecarNs = new Set(inMesh.filter((n) => modeOf(n.metadata.labels) === 'sidecar').map((n) => n.metadata.name));
  const ambientNs = new Set(inMesh.filter((n) => modeOf(n.metadata.labels) === 'ambient').map((n) => n.metadata.name));
  // What does not match its namespace's mode: pods that predate injection, or that kept a sidecar.
  const missing = provider.simulated ? [] : [...podsWithoutSidecar(pods, sidecarNs), ...podsWithSidecar(pods, ambientNs)];
  const rows = inMesh.map((n) => {
    const l = n.metadata.labels ?? {};
    const mode = modeOf(l)!;
    return {
      namespace: n.metadata.name,
      mode,
      label:
        mode === 'ambient'
          ? `${AMBIENT_LABEL}=ambient`
          : l[SIDECAR_LABEL] === 'enabled'
            ? `${SIDECAR_LABEL}=enabled`
            : `${REVISION_LABEL}=${l[REVISION_LABEL]}`,
      setBy: l[INJECTION_MARKER] ? 'meshup' : 'user',
      podsToRestart: missing.filter((m) => m.namespace === n.metadata.name).map((m) => m.pod),
    };
  });
  app.out.result(rows);
  if (!rows.length) {
    app.out.print('No namespace is in the mesh. Add one with: meshup injection enable NAMESPACE');
    return;
  }
  app.out.print(
    table(
      ['NAMESPACE', 'MODE', 'LABEL', 'SET BY', 'PODS TO RESTART'],
      rows.map((r) => [r.namespace, r.mode, r.label, r.setBy, r.podsToRestart.length ? r.podsToRestart.join(', ') : '-']),
    ),
  );
  if (provider.simulated)
    app.out.print(
      `\nThe ${provider.name} cluster is simulated: its pods run nothing and get no sidecars; the labels above are what a real cluster would act on.`,
    );
  else if (missing.length)
    app.out.print(
      `\n${missing.length} running pod(s) do not match their namespace's mode (no sidecar where injection is on, or a sidecar in ambient mode); restart them with: meshup injection enable ${[...new Set(missing.map((m) => m.namespace))].join(' ')} --restart`,
    );
}
