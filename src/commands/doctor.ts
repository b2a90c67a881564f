// meshup doctor: the preflight as a table, for the setup flags and config describe.

import { home } from '../config/paths.js';
import { formatMiB } from '../config/quantity.js';
import { PreflightError } from '../errors.js';
import { errorsOf, runPreflight } from '../preflight/checks.js';
import { readHostFacts } from '../preflight/host.js';
import { providerFor } from '../providers/index.js';
import type { App } from '../session/app.js';
import { specOf } from '../session/target.js';
import { table } from '../ui/table.js';

export async function doctor(app: App): Promise<void> {
  const { spec: o } = await specOf(app);
  const provider = providerFor(o.provider);
  // Whether the cluster exists decides if sizes and ports still matter; doctor only reads.
  const runner = provider.creates ? app.runner().forContext(provider.context(o)) : app.runner();
  let exists = !provider.creates;
  if (provider.creates) {
    exists = (await provider.status(runner, o).catch(() => ({ state: 'absent' as const }))).state !== 'absent';
  }
  const { findings } = await runPreflight({
    runner,
    options: o,
    provider,
    need: o.need,
    host: await readHostFacts(home(app.io.env)),
    clusterExists: exists,
    needHostPorts: exists ? [] : provider.portMappings(o).map((m) => m.hostPort),
  });
  const errors = errorsOf(findings);
  app.out.result({ provider: o.provider, profile: o.profile.name, addons: o.addons, need: o.need, clusterExists: exists, findings, ok: errors.length === 0 });
  const mark = (s: string) => (s === 'ok' ? app.out.c.green('ok') : s === 'warn' ? app.out.c.yellow('warn') : app.out.c.red('error'));
  app.out.print(
    `Checking for ${o.provider}, profile ${o.profile.name}${o.addons.length ? ` with ${o.addons.join(', ')}` : ''}: needs ${o.need.cpus} CPUs, ${formatMiB(o.need.memoryMiB)}${exists ? ` (cluster ${o.clusterName} exists)` : ''}`,
  );
  app.out.print(
    table(
      ['CHECK', 'STATUS', 'DETAIL', 'FIX'],
      findings.map((f) => [f.check, mark(f.status), f.message, f.fix ?? '']),
    ),
  );
  if (errors.length) {
    throw new PreflightError(`${errors.length} check${errors.length > 1 ? 's' : ''} failed`, { fix: 'See the FIX column above' });
  }
}
