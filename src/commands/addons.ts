// meshup addons list|enable|disable: toggling addons on a mesh meshup installed.
import type { App } from '../cli/app.js';
import { MeshupError, UsageError } from '../errors.js';
import { checkAddonNames, loadAddonCatalog, withDependencies } from '../config/catalog.js';
import type { Addon } from '../config/schema.js';
import { addonWorkloads, applyAddons, removeAddon, waitForAddons } from '../addons/apply.js';
import { readAddonManifest } from '../addons/manifest.js';
import { acquireIstio } from '../istio/acquire.js';
import { readAppliedSpec, writeAppliedSpec, type AppliedSpec } from '../state/record.js';
import { canPrompt } from '../ui/io.js';
import { table } from '../ui/table.js';
import type { Runner } from '../exec/runner.js';
import type { Options } from '../config/resolve.js';
import { openTarget } from './target.js';

interface Session {
  runner: Runner;
  options: Options;
  catalog: Map<string, Addon>;
  applied: AppliedSpec;
}

async function session(app: App): Promise<Session> {
  const { runner, options } = await openTarget(app);
  const [catalog, applied] = await Promise.all([loadAddonCatalog(), readAppliedSpec(runner)]);
  if (!applied?.istioVersion) {
    throw new MeshupError('meshup has not installed a mesh in this cluster', { fix: 'Run meshup up first; addons come from the Istio release it installs' });
  }
  return { runner, options, catalog, applied };
}

async function manifests(app: App, s: Session, names: string[]) {
  const release = await acquireIstio(s.runner, { version: s.applied.istioVersion!, istioDir: s.options.istioDir, mirror: s.options.istioMirror, needRelease: true, progress: (t) => app.out.log(t) });
  return Promise.all(names.map((n) => readAddonManifest(release.dir!, s.catalog.get(n)!, s.applied.istioVersion!)));
}

export async function list(app: App): Promise<void> {
  const s = await session(app);
  const have = await addonWorkloads(s.runner);
  const rows = [...s.catalog.values()].map((a) => {
    const enabled = (s.applied.addons ?? []).includes(a.name);
    const present = a.workloads.some((w) => have.has(w));
    return {
      name: a.name,
      description: a.description,
      enabled,
      ready: present && a.workloads.every((w) => have.get(w)?.ready),
      version: enabled || present ? s.applied.istioVersion : undefined,
    };
  });
  app.out.result(rows);
  const c = app.out.c;
  app.out.print(table(['NAME', 'ENABLED', 'READY', 'VERSION', 'DESCRIPTION'], rows.map((r) => [r.name, r.enabled ? c.green('yes') : 'no', r.enabled ? (r.ready ? c.green('yes') : c.red('no')) : '-', r.version ?? '-', r.description])));
}

export async function enable(app: App, names: string[]): Promise<void> {
  const s = await session(app);
  if (!names.length) names = await pick(app, s);
  if (!names.length) return;
  checkAddonNames(names, s.catalog, 'the command line');
  const current = s.applied.addons ?? [];
  const { ordered, added } = withDependencies([...current, ...names], s.catalog);
  const fresh = ordered.filter((n) => !current.includes(n));
  if (added.length) app.out.log(`note: also enabling ${added.filter((a) => !current.includes(a)).join(', ')} (a dependency)`);
  const have = await addonWorkloads(s.runner);
  const todo = ordered.filter((n) => fresh.includes(n) || !s.catalog.get(n)!.workloads.every((w) => have.get(w)?.ready));
  if (!todo.length) {
    app.out.result({ enabled: [], unchanged: names });
    app.out.print(`Already enabled and ready: ${names.join(', ')}`);
    return;
  }
  const ms = await manifests(app, s, todo);
  const opts = { tracingSampling: s.options.profile.istio.tracingSampling ?? 1, timeoutMs: s.options.timeoutMs };
  await applyAddons(s.runner, ms, opts);
  await waitForAddons(s.runner, ms, opts);
  await writeAppliedSpec(s.runner, { ...s.applied, addons: ordered }, app.version);
  app.out.result({ enabled: todo, dryRun: s.options.dryRun });
  app.out.print(`${s.options.dryRun ? 'Would enable' : 'Enabled'} ${todo.join(', ')}`);
}

export async function disable(app: App, names: string[]): Promise<void> {
  const s = await session(app);
  if (!names.length) throw new UsageError('Name the addons to disable', { fix: 'e.g. meshup addons disable kiali' });
  checkAddonNames(names, s.catalog, 'the command line');
  const current = s.applied.addons ?? [];
  const remaining = current.filter((a) => !names.includes(a));
  const blocked = names.flatMap((n) => remaining.filter((r) => s.catalog.get(r)!.dependsOn.includes(n)).map((r) => `${r} needs ${n}`));
  if (blocked.length && !s.options.force) {
    throw new UsageError(`Refusing to disable: ${blocked.join('; ')}`, { fix: `Disable those too (meshup addons disable ${[...new Set(blocked.map((b) => b.split(' ')[0]))].join(' ')} ${names.join(' ')}), or pass --force` });
  }
  const present = names.filter((n) => current.includes(n));
  const ms = await manifests(app, s, present);
  for (const m of ms) await removeAddon(s.runner, m);
  await writeAppliedSpec(s.runner, { ...s.applied, addons: remaining }, app.version);
  app.out.result({ disabled: present, notEnabled: names.filter((n) => !present.includes(n)) });
  app.out.print(present.length ? `${s.options.dryRun ? 'Would disable' : 'Disabled'} ${present.join(', ')}` : `Not enabled: ${names.join(', ')}`);
}

async function pick(app: App, s: Session): Promise<string[]> {
  if (!canPrompt(app.io) || s.options.yes) throw new UsageError('Name the addons to enable', { fix: `e.g. meshup addons enable kiali (known: ${[...s.catalog.keys()].join(', ')})` });
  const { checkbox } = await import('@inquirer/prompts');
  const current = new Set(s.applied.addons ?? []);
  const chosen = await checkbox<string>(
    { message: 'Addons', choices: [...s.catalog.values()].map((a) => ({ name: `${a.name} - ${a.description}`, value: a.name, checked: current.has(a.name) })) },
    { input: app.io.stdin, output: app.io.stderr },
  );
  const off = [...current].filter((c) => !chosen.includes(c));
  if (off.length) await disable(app, off);
  return chosen.filter((c) => !current.has(c));
}
