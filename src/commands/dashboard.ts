// meshup dashboard NAME: a port-forward to the addon's Service on 127.0.0.1 only, the URL, a
// browser, and a clean stop on Ctrl-C.

import { addonWorkloads } from '../addons/apply.js';
import { checkAddonNames } from '../config/catalog.js';
import { InterruptedError, MeshupError, UsageError } from '../errors.js';
import { tail } from '../exec/runner.js';
import { clusterNotRunning, portFree } from '../preflight/checks.js';
import type { App } from '../session/app.js';
import { openTarget } from '../session/target.js';
import { freePort } from '../util/ports.js';

interface DashboardFlags {
  port?: string;
  browser?: boolean;
}

export async function dashboard(app: App, name: string): Promise<void> {
  const flags = app.flags as DashboardFlags;
  const catalog = await app.sources.catalog();
  checkAddonNames([name], catalog, 'the command line');
  const addon = catalog.get(name)!;
  if (!addon.dashboard)
    throw new UsageError(`${name} has no dashboard`, {
      fix: `Addons with one: ${[...catalog.values()]
        .filter((a) => a.dashboard)
        .map((a) => a.name)
        .join(', ')}`,
    });
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port number, got "${flags.port}"`);
    if (!(await portFree(port)))
      throw new UsageError(`Port ${port} on 127.0.0.1 is already in use`, { fix: 'Pick another with --port N, or leave --port out to get a free one' });
  }

  const { runner, context, spec, provider } = await openTarget(app);
  // No cluster (or Docker down, or a stopped one): said as such, not as a failed read.
  const down = provider.creates ? await clusterNotRunning(runner, spec, provider, `so there is no ${name} dashboard to open`) : undefined;
  if (down) throw down;
  const have = await addonWorkloads(runner, addon.namespace);
  const present = addon.workloads.filter((w) => have.has(w));
  if (!present.length) throw new MeshupError(`${name} is not enabled`, { fix: `Enable it with: meshup addons enable ${name}` });
  const unready = addon.workloads.filter((w) => !have.get(w)?.ready);
  if (unready.length)
    throw new MeshupError(`${name} is not ready yet (${unready.join(', ')})`, { fix: 'Wait a moment and try again; meshup addons list shows its state' });

  port ??= await freePort();
  const d = addon.dashboard;
  const child = runner.start({
    readOnly: true,
    tool: 'kubectl',
    args: ['port-forward', '-n', addon.namespace, `svc/${d.service}`, `${port}:${d.port}`, '--address', '127.0.0.1'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('Forwarding from')) resolve(true);
    });
    void child.then(() => resolve(false));
  });
  if (!ready) {
    throw new MeshupError(`The port-forward to ${name} stopped`, {
      details: tail(stderr),
      fix: `Try it yourself: kubectl --context ${context} port-forward -n ${addon.namespace} svc/${d.service} ${port}:${d.port}`,
    });
  }
  const url = `http://127.0.0.1:${port}${d.path === '/' ? '/' : d.path}`;
  app.out.result({ addon: name, url, port });
  app.out.print(`${name}: ${url}`);
  app.out.log('Press Ctrl-C to stop the port-forward.');
  if (flags.browser !== false && !app.switches.json) {
    const { default: open } = await import('open');
    await open(url).catch(() => app.out.warn(`could not open a browser; visit ${url}`));
  }
  // Stay until Ctrl-C, or until the port-forward dies (the pod went away).
  await new Promise<void>((resolve) => {
    app.signal.addEventListener('abort', () => resolve(), { once: true });
    void child.then(() => resolve());
  });
  await runner.stopAll();
  // Ctrl-C is how a dashboard ends: exit 130, as for any interrupted command.
  if (app.signal.aborted) throw new InterruptedError();
  throw new MeshupError(`The port-forward to ${name} ended`, {
    details: tail(stderr),
    fix: 'Check the addon is still running (meshup addons list), then run the command again',
  });
}
