// meshup addons list|enable|disable: edits of the desired addons, planned and applied by the
// same planner as `up` (only the addons' part of it, and the record).

import { checkAddonNames } from '../config/catalog.js';
import type { Spec } from '../config/spec.js';
import { MeshupError, UsageError } from '../errors.js';
import { workloadReady } from '../kube/readiness.js';
import { readCluster } from '../observe/observe.js';
import type { Op } from '../plan/types.js';
import { changes } from '../plan/types.js';
import type { App } from '../session/app.js';
import { applyEdit, checkPreconditions, prepare } from '../session/converge.js';
import { type EditFacts, openTarget, specOf } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { canPrompt, promptsOf } from '../ui/io.js';
import { table } from '../ui/table.js';

const ADDON_PARTS: ReadonlySet<Op['type']> = new Set(['addon', 'telemetry', 'record']);

/** The catalog, and the cluster's state when there is a cluster: listing needs no cluster. */
export async function list(app: App): Promise<void> {
  const catalog = await app.sources.catalog();
  let state: { enabled: Set<string>; ready: Map<string, boolean>; version?: string; cluster?: string } | undefined;
  try {
    const t = await openTarget(app);
    const read = await readCluster(t.runner, t.spec, t.provider);
    if (read.items.length) {
      const labelled = (n: string) => read.items.filter((o) => o.metadata.labels?.['meshup.dev/addon'] === n);
      state = {
        enabled: new Set(read.recorded?.addons ?? [...catalog.keys()].filter((n) => labelled(n).length)),
        ready: new Map(
          [...catalog.values()].map((a) => [
            a.name,
            a.workloads.every((w) => labelled(a.name).some((o) => `${o.kind?.toLowerCase()}/${o.metadata.name}` === w && workloadReady(o))),
          ]),
        ),
        version: read.recorded?.istioVersion,
        cluster: `${t.provider.name} cluster ${t.spec.clusterName}`,
      };
    }
  } catch (e) {
    // No cluster (or none meshup may read): the catalog alone is still the answer.
    if (!(e instanceof MeshupError) || e.exitCode === 130) throw e;
  }
  const rows = [...catalog.values()].map((a) => ({
    name: a.name,
    description: a.description,
    enabled: state ? state.enabled.has(a.name) : null,
    ready: state ? (state.enabled.has(a.name) ? !!state.ready.get(a.name) : null) : null,
    version: state?.enabled.has(a.name) ? (state.version ?? null) : null,
  }));
  app.out.result(rows);
  const c = app.out.c;
  if (!state) {
    app.out.print(
      table(
        ['NAME', 'DESCRIPTION'],
        rows.map((r) => [r.name, r.description]),
      ),
    );
    app.out.print('\nNo cluster to show their state for; meshup up creates one (meshup up --addons kiali,prometheus).');
    return;
  }
  app.out.print(
    table(
      ['NAME', 'ENABLED', 'READY', 'VERSION', 'DESCRIPTION'],
      rows.map((r) => [r.name, r.enabled ? c.green('yes') : 'no', r.enabled ? (r.ready ? c.green('yes') : c.red('no')) : '-', r.version ?? '-', r.description]),
    ),
  );
}

async function change(app: App, edit: (spec: Spec, facts: EditFacts) => string[], verb: string): Promise<void> {
  let before: readonly string[] = [];
  const prepared = await prepare(app, {
    only: ADDON_PARTS,
    edit: (spec, facts) => {
      before = spec.addons;
      return { addons: edit(spec, facts) };
    },
  });
  const { spec, plan, observed } = prepared;
  const extra = spec.addedDependencies.filter((a) => !before.includes(a));
  if (extra.length) app.out.log(`note: also enabling ${extra.join(', ')} (another addon needs ${extra.length > 1 ? 'them' : 'it'})`);
  if (!observed.recorded?.istioVersion) {
    throw new MeshupError('meshup has not installed a mesh in this cluster', { fix: 'Run meshup up first; addons come from the Istio release it installs' });
  }
  await checkPreconditions(prepared);
  const changing = plan.actions.filter((a) => changes(a) && a.op.type !== 'record');
  if (!(await applyEdit(app, prepared))) return;
  const done = changing.map((a) => a.title);
  app.out.result({ addons: spec.addons, changed: done });
  app.out.print(done.length ? `${verb}: ${done.join('; ')}` : `Nothing to change: addons ${spec.addons.join(', ') || 'none'} as wanted.`);
}

async function enableAddons(app: App, names: string[]): Promise<void> {
  const catalog = await app.sources.catalog();
  if (names.length) {
    checkAddonNames(names, catalog, 'the command line');
    return change(app, (spec) => [...spec.addons, ...names], 'Done');
  }
  // No names: a checkbox of every addon, ticked as the cluster has them; the ticks are the set.
  // Every input is checked before anything is asked.
  await specOf(app);
  if (!canPrompt(app.io) || app.switches.yes)
    throw new UsageError('Name the addons to enable', { fix: `e.g. meshup addons enable kiali (known: ${[...catalog.keys()].join(', ')})` });
  const t = await openTarget(app);
  const read = await readCluster(t.runner, t.spec, t.provider);
  const current = new Set(read.recorded?.addons ?? []);
  const { checkbox } = await promptsOf(app.io);
  const chosen = await checkbox<string>(
    { message: 'Addons', choices: [...catalog.values()].map((a) => ({ name: `${a.name} - ${a.description}`, value: a.name, checked: current.has(a.name) })) },
    { input: app.io.stdin, output: app.io.stderr },
  );
  return change(app, () => chosen, 'Done');
}

async function disableAddons(app: App, names: string[]): Promise<void> {
  const catalog = await app.sources.catalog();
  if (!names.length) throw new UsageError('Name the addons to disable', { fix: 'e.g. meshup addons disable kiali' });
  checkAddonNames(names, catalog, 'the command line');
  return change(
    app,
    (spec, { addonsInCluster }) => {
      // Enabled: recorded, or left by meshup's apply (an enable that failed before recording it).
      const notEnabled = names.filter((n) => !spec.addons.includes(n) && !addonsInCluster.has(n));
      if (notEnabled.length === names.length) {
        throw new UsageError(`Not enabled: ${names.join(', ')}`, { fix: `Enabled addons: ${spec.addons.join(', ') || 'none'} (meshup addons list)` });
      }
      const remaining = spec.addons.filter((a) => !names.includes(a));
      const blocked = names.flatMap((n) => remaining.filter((r) => catalog.get(r)!.dependsOn.includes(n)).map((r) => `${r} needs ${n}`));
      if (blocked.length) {
        throw new UsageError(`Refusing to disable: ${blocked.join('; ')}`, {
          fix: `Disable those too: meshup addons disable ${[...new Set(blocked.map((b) => b.split(' ')[0]))].join(' ')} ${names.join(' ')}`,
        });
      }
      return remaining;
    },
    'Done',
  );
}

// The edits change the cluster: one writer at a time (session/writer.ts).
export const enable = (app: App, names: string[]) => writing(app, commandLine(app, 'addons', 'enable', ...names), () => enableAddons(app, names));
export const disable = (app: App, names: string[]) => writing(app, commandLine(app, 'addons', 'disable', ...names), () => disableAddons(app, names));
