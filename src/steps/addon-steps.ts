// The addons step of `up`: applies the wanted addons that are missing or not ready, removes the
// ones that left the config, and leaves ready ones alone (no call that changes anything).
import { acquireIstio } from '../istio/acquire.js';
import { addonWorkloads, applyAddons, removeAddon, waitForAddons, workloadMap } from '../addons/apply.js';
import { readAddonManifest } from '../addons/manifest.js';
import type { StepTask } from '../ui/tasks.js';
import { imaginary, type UpContext } from './up-steps.js';

export function addonsStep(): StepTask<UpContext> {
  return {
    title: 'Addons',
    run: async (ctx, task) => {
      const { runner, options: o, catalog } = ctx;
      const wanted = o.addons;
      const before = ctx.applied?.addons ?? [];
      const leaving = before.filter((a) => !wanted.includes(a) && catalog.has(a));
      if (!wanted.length && !leaving.length) return 'none';
      const have = imaginary(ctx) ? new Map() : ctx.snapshot ? workloadMap(ctx.snapshot.istio) : await addonWorkloads(runner);
      const sameIstio = ctx.applied?.istioVersion === o.istioVersion;
      const pending = wanted.filter((a) => !(sameIstio && before.includes(a) && catalog.get(a)!.workloads.every((w) => have.get(w)?.ready)));
      if (!pending.length && !leaving.length) return `${wanted.join(', ')} unchanged`;

      const release = await acquireIstio(runner, { version: o.istioVersion, istioDir: o.istioDir, mirror: o.istioMirror, needRelease: true, progress: (t) => (task.output = t) });
      if (release.planned) {
        ctx.app.out.log(`[dry-run] would apply addons ${pending.join(', ')} from ${release.dir}/samples/addons/ (CRDs first)`);
        for (const a of leaving) ctx.app.out.log(`[dry-run] would remove addon ${a}`);
        return `would apply ${pending.join(', ')}`;
      }
      const dir = release.dir!;
      const manifests = await Promise.all(pending.map((a) => readAddonManifest(dir, catalog.get(a)!, o.istioVersion)));
      const opts = { tracingSampling: o.profile.istio.tracingSampling ?? 1, timeoutMs: o.timeoutMs };
      task.output = `applying ${pending.join(', ')}`;
      await applyAddons(runner, manifests, opts);
      task.output = `waiting for ${pending.join(', ')}`;
      await waitForAddons(runner, manifests, opts);
      for (const a of leaving) {
        await removeAddon(runner, await readAddonManifest(dir, catalog.get(a)!, o.istioVersion));
      }
      const parts = [pending.length ? `${runner.dryRun ? 'would apply' : 'applied'} ${pending.join(', ')}` : '', leaving.length ? `removed ${leaving.join(', ')}` : ''];
      return parts.filter(Boolean).join('; ');
    },
  };
}
