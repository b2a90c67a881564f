// meshup down: delete the cluster meshup created (after confirmation), or with --keep-cluster
// remove only the mesh. A cluster meshup did not create is never deleted.

import { uninstallMesh } from '../apply/uninstall.js';
import { MeshupError } from '../errors.js';
import { acquireIstio } from '../istio/acquire.js';
import type { App } from '../session/app.js';
import { openTarget } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { forgetCreated, readAppliedSpec, wasCreatedByMeshup } from '../state/record.js';
import { forgetLastTarget, unfinishedUp } from '../state/target.js';
import { meshupRegistries } from '../tools/docker.js';
import { confirmOrRefuse } from '../ui/confirm.js';

interface DownFlags {
  keepCluster?: boolean;
  purgeCrds?: boolean;
}

export function down(app: App): Promise<void> {
  const flags = app.flags as DownFlags;
  return writing(app, commandLine(app, 'down', ...(flags.keepCluster ? ['--keep-cluster'] : [])), () => remove(app, flags));
}

async function remove(app: App, flags: DownFlags): Promise<void> {
  const target = await openTarget(app);
  const { runner, spec: o } = target;
  const p = target.provider;

  if (flags.keepCluster || !p.creates) {
    if (!flags.keepCluster) {
      throw new MeshupError(`meshup did not create the cluster of context "${target.context}" and will not delete it`, {
        fix: 'Remove only the mesh with: meshup down --keep-cluster',
      });
    }
    const status = await p.status(runner, o);
    if (status.state !== 'running') {
      throw new MeshupError(`The ${p.name} cluster "${o.clusterName}" is ${status.state}; there is no mesh to remove`, {
        fix: 'Start it first (meshup up), or delete it: meshup down',
      });
    }
    const what = flags.purgeCrds ? 'Istio, its CRDs and the Gateway API CRDs meshup installed' : 'Istio';
    if (!(await confirmOrRefuse(app.io, app.switches.yes || app.switches.dryRun, `Remove ${what} from context ${target.context}?`))) return;
    // istioctl's own uninstall first when one of the installed version is at hand; meshup's
    // clean-up below covers the rest either way.
    const applied = await readAppliedSpec(runner);
    const istioctl = await acquireIstio(runner, { version: applied?.istioVersion ?? o.istioVersion, istioDir: o.istioDir, offline: true }).then(
      (r) => r.istioctl,
      () => undefined,
    );
    const removed = await uninstallMesh(runner, { purgeCrds: !!flags.purgeCrds, log: (l) => app.out.log(l), istioctl });
    app.out.result({ context: target.context, removed, dryRun: app.switches.dryRun, commands: runner.history.filter((c) => c.mutates).map((c) => c.command) });
    app.out.print(removed.length ? `Removed the mesh from ${target.context}: ${removed.join(', ')}` : `No mesh found in ${target.context}; nothing to remove.`);
    return;
  }

  const [status, unfinished] = await Promise.all([p.status(runner, o), unfinishedUp(app.io.env, p.name, o.clusterName)]);
  // An `up` that was stopped (Ctrl-C, a failure, a kill) left this cluster as it was then.
  if (unfinished) app.out.log(`meshup's last up on ${p.name} cluster "${o.clusterName}" did not finish (started ${unfinished.since}); it is ${status.state}`);
  if (status.state === 'absent') {
    await forgetCreated(app.io.env, p.name, o.clusterName);
    await forgetLastTarget(app.io.env, p.name, o.clusterName);
    app.out.result({ cluster: o.clusterName, provider: p.name, deleted: false, reason: 'absent' });
    app.out.print(`No ${p.name} cluster "${o.clusterName}"; nothing to delete.`);
    return;
  }
  if (!(await wasCreatedByMeshup(app.io.env, p.name, o.clusterName))) {
    throw new MeshupError(`meshup did not create the ${p.name} cluster "${o.clusterName}" and will not delete it`, {
      fix: [`Remove only the mesh: meshup down --keep-cluster`, `or delete it yourself if you are sure (${p.deleteCommand(o)})`],
    });
  }
  if (!(await confirmOrRefuse(app.io, app.switches.yes || app.switches.dryRun, `Delete the ${p.name} cluster "${o.clusterName}" and everything in it?`))) {
    app.out.print('Nothing deleted.');
    return;
  }
  await p.delete(runner, o);
  if (!app.switches.dryRun) {
    await forgetCreated(app.io.env, p.name, o.clusterName);
    await forgetLastTarget(app.io.env, p.name, o.clusterName);
  }
  app.out.result({ cluster: o.clusterName, provider: p.name, deleted: !app.switches.dryRun, dryRun: app.switches.dryRun });
  app.out.print(app.switches.dryRun ? `Dry run: would delete ${p.name} cluster "${o.clusterName}".` : `Deleted ${p.name} cluster "${o.clusterName}".`);
  // They are every cluster's: kept, and said so, so nobody wonders where the disk went.
  const kept = p.registryWiring ? await meshupRegistries(runner).catch(() => []) : [];
  if (kept.length)
    app.out.print(`Kept for the next cluster: ${kept.map((c) => c.name).join(', ')} (meshup cache prune removes the caches; --all the local registry too).`);
}
