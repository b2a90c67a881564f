// meshup doctor: the preflight as a table, for the setup flags and config describe.

import { home } from '../config/paths.js';
import { formatMiB } from '../config/quantity.js';
import type { ImageCache } from '../config/spec.js';
import { PreflightError } from '../errors.js';
import { hubLogin, hubQuota } from '../images/quota.js';
import { UPSTREAMS } from '../images/registries.js';
import type { Finding } from '../preflight/checks.js';
import { errorsOf, runPreflight } from '../preflight/checks.js';
import { readHostFacts } from '../preflight/host.js';
import { providerFor } from '../providers/index.js';
import type { App } from '../session/app.js';
import { specOf } from '../session/target.js';
import { meshupRegistries, registrySize } from '../tools/docker.js';
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
  if (o.imageCache) findings.push(...(await cacheFindings(app, o.imageCache)));
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

/** What the caches hold, and the Docker Hub quota they pull within (anonymously, per address). */
async function cacheFindings(app: App, cache: ImageCache): Promise<Finding[]> {
  const out: Finding[] = [];
  const runner = app.runner();
  if (cache.external) {
    out.push({
      check: 'image cache',
      status: 'ok',
      message: `your caches: ${Object.entries(cache.external)
        .map(([r, u]) => `${r} at ${u}`)
        .join(', ')}`,
    });
  } else {
    const found = await meshupRegistries(runner).catch(() => undefined);
    if (found) {
      const caches = found.filter((c) => c.serves !== 'local');
      const bytes = await Promise.all(caches.map((c) => (c.running ? registrySize(runner, c.name).catch(() => undefined) : undefined)));
      const total = bytes.reduce<number>((n, b) => n + (b ?? 0), 0);
      const stopped = caches.filter((c) => !c.running).map((c) => c.name);
      out.push(
        caches.length
          ? {
              check: 'image cache',
              status: stopped.length ? 'warn' : 'ok',
              message: `${caches.length} caches (${caches.map((c) => c.serves).join(', ')}), ${(total / 1024 ** 2).toFixed(1)} MiB stored${stopped.length ? `; stopped: ${stopped.join(', ')}` : ''}`,
              ...(stopped.length ? { fix: 'meshup up starts them again (or: meshup cache prune)' } : {}),
            }
          : { check: 'image cache', status: 'ok', message: 'none yet: meshup up starts them' },
      );
    }
  }
  // The user's own cache pulls with its own credentials and address: Docker Hub's answer to this
  // machine would say nothing about it.
  if (cache.external?.['docker.io']) return out;
  const hub = cache.upstreams['docker.io'] ?? UPSTREAMS.find((u) => u.registry === 'docker.io')!.remote;
  const login = hubLogin(app.io.env);
  const quota = await hubQuota(hub).catch(() => undefined);
  const who =
    login === 'yes'
      ? 'docker has a Docker Hub login; the caches pull anonymously'
      : login === 'maybe'
        ? 'a credential store may hold a Docker Hub login; the caches pull anonymously'
        : 'no Docker Hub login';
  if (quota) {
    const hours = quota.windowSeconds ? ` per ${Math.round(quota.windowSeconds / 3600)} h` : '';
    const low = quota.remaining < 10;
    out.push({
      check: 'Docker Hub quota',
      status: low ? 'warn' : 'ok',
      message: `${quota.remaining} of ${quota.limit} pulls left${hours} for this address (${who})`,
      ...(low ? { fix: 'Wait for the window to pass; the caches hold what they pulled, so a cached image costs no pull' } : {}),
    });
  } else {
    out.push({ check: 'Docker Hub quota', status: 'ok', message: `not known: ${hub} did not say (${who})` });
  }
  return out;
}
