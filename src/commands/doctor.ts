// meshup doctor: the preflight as a table, for the setup flags and config describe.
import type { App } from '../cli/app.js';
import { PreflightError } from '../errors.js';
import { checkAddonNames, loadAddonCatalog, withDependencies } from '../config/catalog.js';
import { errorsOf, runPreflight } from '../preflight/checks.js';
import { readHostFacts } from '../preflight/host.js';
import { computeNeed } from '../preflight/need.js';
import { kindPortMappings } from '../providers/kind.js';
import { providerFor } from '../providers/index.js';
import { home } from '../state/paths.js';
import { table } from '../ui/table.js';
import { defaultProvider, loadOptions } from './target.js';
import { formatMiB } from '../config/quantity.js';

export async function doctor(app: App): Promise<void> {
  const o = await loadOptions(app);
  const catalog = await loadAddonCatalog();
  checkAddonNames(o.addons, catalog);
  o.provider ??= defaultProvider(o, app.io.env);
  o.addons = withDependencies(o.addons, catalog).ordered;
  const need = computeNeed(o.resources, o.addons.map((a) => catalog.get(a)!));
  const provider = providerFor(o.provider);
  const runner = app.runner();
  // Whether the cluster exists decides if sizes and ports still matter; doctor only reads.
  const state = provider.name === 'existing' ? 'running' : (await provider.status(runner, o).catch(() => ({ state: 'absent' }))).state;
  const exists = state !== 'absent';
  const { findings } = await runPreflight({
    runner,
    options: o,
    provider,
    need,
    host: await readHostFacts(home(app.io.env)),
    clusterExists: exists,
    needHostPorts: provider.name === 'kind' && !exists && o.profile.gateway.ingress ? kindPortMappings(o).map((m) => m.hostPort) : [],
  });
  const errors = errorsOf(findings);
  app.out.result({ provider: o.provider, profile: o.profile.name, addons: o.addons, need, clusterExists: exists, findings, ok: errors.length === 0 });
  const mark = (s: string) => (s === 'ok' ? app.out.c.green('ok') : s === 'warn' ? app.out.c.yellow('warn') : app.out.c.red('error'));
  app.out.print(`Checking for ${o.provider}, profile ${o.profile.name}${o.addons.length ? ` with ${o.addons.join(', ')}` : ''}: needs ${need.cpus} CPUs, ${formatMiB(need.memoryMiB)}${exists ? ` (cluster ${o.clusterName} exists)` : ''}`);
  app.out.print(table(['CHECK', 'STATUS', 'DETAIL', 'FIX'], findings.map((f) => [f.check, mark(f.status), f.message, f.fix ?? ''])));
  if (errors.length) {
    throw new PreflightError(`${errors.length} check${errors.length > 1 ? 's' : ''} failed`, { fix: 'See the FIX column above' });
  }
}
