// meshup cache: the registry containers meshup runs beside its clusters (images/registries.ts),
// found by meshup's label, whatever cluster made them. `down` leaves them; `prune` removes them
// and their volumes. The local registry holds the user's own images: pruned only with --all.
import { type RegistryObserved, UPSTREAMS } from '../images/registries.js';
import type { App } from '../session/app.js';
import { meshupRegistries, registrySize, removeContainers, removeVolumes } from '../tools/docker.js';
import { confirmOrRefuse } from '../ui/confirm.js';
import { table } from '../ui/table.js';

const size = (bytes: number | undefined) =>
  bytes === undefined ? '-' : bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

const what = (c: RegistryObserved) => (c.serves === 'local' ? `local registry localhost:${c.hostPort ?? '?'}` : `cache of ${c.serves}`);

export async function status(app: App): Promise<void> {
  const runner = app.runner();
  const found = await meshupRegistries(runner);
  const sizes = await Promise.all(found.map((c) => (c.running ? registrySize(runner, c.name).catch(() => undefined) : Promise.resolve(undefined))));
  const rows = found.map((c, i) => ({ ...c, role: c.serves === 'local' ? 'local' : 'cache', bytes: sizes[i] }));
  if (!rows.length) {
    app.out.print('No caches and no local registry: meshup up starts them for kind and minikube clusters (unless --no-cache).');
  } else {
    app.out.print(
      table(
        ['CONTAINER', 'SERVES', 'STATE', 'PORT', 'NETWORKS', 'STORED'],
        rows.map((r) => [
          r.name,
          what(r),
          r.running ? 'running' : 'stopped',
          r.hostPort ? `127.0.0.1:${r.hostPort}` : '-',
          r.networks.join(',') || '-',
          size(r.bytes),
        ]),
      ),
    );
    const total = rows.reduce((n, r) => n + (r.bytes ?? 0), 0);
    app.out.print();
    app.out.print(`${size(total)} stored in all. meshup cache prune removes the caches (--all: the local registry too).`);
  }
  app.out.result({
    registries: rows.map((r) => ({
      name: r.name,
      role: r.role,
      serves: r.serves,
      running: r.running,
      hostPort: r.hostPort,
      networks: r.networks,
      bytes: r.bytes,
    })),
    upstreams: UPSTREAMS.map((u) => u.registry),
  });
}

export async function prune(app: App): Promise<void> {
  const all = !!(app.flags as { all?: boolean }).all;
  const runner = app.runner();
  const found = (await meshupRegistries(runner)).filter((c) => all || c.serves !== 'local');
  if (!found.length) {
    app.out.print(all ? 'Nothing to prune: no caches and no local registry.' : 'Nothing to prune: no caches (the local registry stays unless --all).');
    app.out.result({ removed: [] });
    return;
  }
  const names = found.map((c) => c.name);
  const question = `Remove ${names.join(', ')} and everything they store?`;
  if (!(await confirmOrRefuse(app.io, app.switches.yes || app.switches.dryRun, question))) {
    app.out.print('Nothing removed.');
    app.out.result({ removed: [] });
    return;
  }
  // The containers first: Docker refuses to remove a volume a container still uses.
  await removeContainers(runner, names);
  await removeVolumes(runner, names);
  app.out.print(app.switches.dryRun ? `Dry run: would remove ${names.join(', ')} and their volumes.` : `Removed ${names.join(', ')} and their volumes.`);
  app.out.result(app.switches.dryRun ? { removed: [], dryRun: true, wouldRemove: names } : { removed: names });
}
