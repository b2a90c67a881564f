// meshup injection enable|disable|list: edits of the desired injection namespaces, planned and
// applied by the same planner as `up` (only the labels, and the record).

import type { App } from '../cli/app.js';
import * as check from '../config/validate.js';
import { MeshupError, UsageError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { INJECTION_MARKER } from '../istio/labels.js';
import { podsWithoutSidecar } from '../istio/sidecars.js';
import type { Op } from '../plan/plan.js';
import type { Provider } from '../providers/types.js';
import { listObjects, rolloutRestart } from '../tools/kubectl.js';
import { table } from '../ui/table.js';
import { applyEdit, checkPreconditions, prepare } from './converge.js';
import { openTarget } from './target.js';

const INJECTION_PARTS: ReadonlySet<Op['type']> = new Set(['injection', 'record']);

function checkNames(names: string[]): string[] {
  if (!names.length) throw new UsageError('Name at least one namespace', { fix: 'e.g. meshup injection enable default shop' });
  return check.namespaces(names, { label: 'the command line' });
}

async function restartMissing(app: App, runner: Runner, provider: Provider, namespaces: readonly string[]): Promise<string[]> {
  if (provider.simulated) {
    app.out.warn(`the ${provider.name} cluster is simulated: its pods run nothing and get no sidecars, so restarting them would change nothing`);
    return [];
  }
  const pods = await listObjects(runner, 'pods', { allNamespaces: true });
  const missing = podsWithoutSidecar(pods, new Set(namespaces));
  const restarted: string[] = [];
  for (const ns of namespaces) {
    const workloads = [...new Set(missing.filter((m) => m.namespace === ns && m.workload).map((m) => m.workload!))];
    await rolloutRestart(runner, ns, workloads);
    restarted.push(...workloads.map((w) => `${ns}/${w}`));
  }
  if (restarted.length) app.out.log(`Restarted ${restarted.join(', ')} so their pods get sidecars`);
  return restarted;
}

async function change(app: App, names: string[], on: boolean): Promise<void> {
  const prepared = await prepare(app, {
    only: INJECTION_PARTS,
    edit: (spec) => ({ namespaces: on ? [...spec.namespaces, ...names] : spec.namespaces.filter((n) => !names.includes(n)) }),
  });
  const { plan, target, observed } = prepared;
  await checkPreconditions(prepared);
  const labelled = (n: string) => observed.namespaces.find((x) => x.metadata.name === n)?.metadata.labels ?? {};
  if (!on) {
    const missing = names.filter((n) => !observed.namespaces.some((x) => x.metadata.name === n));
    if (missing.length) throw new MeshupError(`No namespace ${missing.join(', ')}`, { fix: 'meshup injection list shows the labelled ones' });
  }
  if (!(await applyEdit(app, prepared))) return;
  const changed = plan.actions
    .filter((a) => a.changes && a.op.type === 'injection')
    .flatMap((a) => (a.op.type === 'injection' ? [...a.op.enable, ...a.op.disable] : []));
  if (on) {
    const restart = (app.flags as { restart?: boolean }).restart;
    const restarted = restart ? await restartMissing(app, target.runner, target.provider, names) : [];
    app.out.result({ enabled: changed, unchanged: names.filter((n) => !changed.includes(n)), restarted });
    if (changed.length) app.out.print(`Sidecar injection enabled in ${changed.join(', ')}`);
    const same = names.filter((n) => !changed.includes(n));
    if (same.length) app.out.print(`Already enabled in ${same.join(', ')}`);
    if (!restart && !target.provider.simulated) app.out.log('Running pods get sidecars only when recreated: add --restart, or see `meshup injection list`');
    return;
  }
  const byHand = names.filter((n) => !labelled(n)[INJECTION_MARKER] && labelled(n)['istio-injection']);
  app.out.result({ disabled: changed, leftByHand: byHand });
  if (changed.length) app.out.print(`Sidecar injection disabled in ${changed.join(', ')} (running pods keep their sidecars until restarted)`);
  for (const n of byHand)
    app.out.warn(`${n}: its istio-injection label was set by hand, so meshup leaves it; remove it with: kubectl label namespace ${n} istio-injection-`);
}

export const enable = (app: App, names: string[]) => change(app, checkNames(names), true);
export const disable = (app: App, names: string[]) => change(app, checkNames(names), false);

export async function list(app: App): Promise<void> {
  const { runner, provider } = await openTarget(app);
  const [namespaces, pods] = await Promise.all([listObjects(runner, 'namespaces'), listObjects(runner, 'pods', { allNamespaces: true })]);
  const labelled = namespaces.filter((n) => n.metadata.labels?.['istio-injection'] === 'enabled' || n.metadata.labels?.['istio.io/rev']);
  const missing = provider.simulated ? [] : podsWithoutSidecar(pods, new Set(labelled.map((n) => n.metadata.name)));
  const rows = labelled.map((n) => {
    const l = n.metadata.labels ?? {};
    return {
      namespace: n.metadata.name,
      label: l['istio-injection'] === 'enabled' ? 'istio-injection=enabled' : `istio.io/rev=${l['istio.io/rev']}`,
      setBy: l[INJECTION_MARKER] ? 'meshup' : 'user',
      podsWithoutSidecar: missing.filter((m) => m.namespace === n.metadata.name).map((m) => m.pod),
    };
  });
  app.out.result(rows);
  if (!rows.length) {
    app.out.print('No namespace has sidecar injection. Enable it with: meshup injection enable NAMESPACE');
    return;
  }
  app.out.print(
    table(
      ['NAMESPACE', 'LABEL', 'SET BY', 'PODS WITHOUT SIDECAR'],
      rows.map((r) => [r.namespace, r.label, r.setBy, r.podsWithoutSidecar.length ? r.podsWithoutSidecar.join(', ') : '-']),
    ),
  );
  if (provider.simulated)
    app.out.print(
      `\nThe ${provider.name} cluster is simulated: its pods run nothing and get no sidecars; the labels above are what a real cluster would act on.`,
    );
  else if (missing.length)
    app.out.print(
      `\n${missing.length} running pod(s) predate injection; restart them with: meshup injection enable ${[...new Set(missing.map((m) => m.namespace))].join(' ')} --restart`,
    );
}
