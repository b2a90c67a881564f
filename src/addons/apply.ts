// Applying and removing addons. CRDs of every addon first, then a wait until they are
// Established (applying everything at once races: "no matches for kind", istio/istio#27417),
// then each addon's objects in parallel, then a wait for its workloads with a diagnosis.

import type { Addon } from '../config/schema.js';
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { diagnosePods } from '../istio/diagnose.js';
import { ADDON_LABEL, ISTIO_NAMESPACE } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { WORKLOAD_KINDS, workloadReady } from '../kube/readiness.js';
import { apply, listObjects, waitForCrdsEstablished } from '../tools/kubectl.js';
import { sleep } from '../util/time.js';
import { type AddonManifest, removeAddonArgs } from './manifest.js';

export interface ApplyOptions {
  timeoutMs: number;
}

export async function applyAddons(runner: Runner, manifests: AddonManifest[]): Promise<void> {
  const crds = manifests.flatMap((m) => m.crds);
  if (crds.length) {
    await apply(
      runner,
      crds,
      `Applying CRDs of ${manifests
        .filter((m) => m.crds.length)
        .map((m) => m.addon.name)
        .join(', ')}`,
    );
    const names = crds.map((c) => `crd/${(c.metadata as { name: string }).name}`);
    await waitForCrdsEstablished(runner, names, 'Waiting for addon CRDs to be Established').catch((e: unknown) => {
      if (runner.dryRun) return;
      throw e;
    });
  }
  // One kubectl for all of them: each kubectl process reads the API's discovery documents first,
  // which a small cluster's API server feels when four arrive at once.
  if (!manifests.length) return;
  const objects = manifests.flatMap((m) => m.objects);
  // A repair may have only CRDs, or nothing, to apply.
  if (!objects.length) return;
  await apply(runner, objects, `Applying addon${manifests.length > 1 ? 's' : ''} ${manifests.map((m) => m.addon.name).join(', ')}`);
}

/** Exactly the addon's labelled objects, found by label: no release is needed to remove one. */
export async function removeAddon(runner: Runner, addon: Addon, kinds: readonly string[] = []): Promise<void> {
  await runner.run({ tool: 'kubectl', args: removeAddonArgs(addon, kinds), step: `Removing addon ${addon.name}`, timeoutMs: 120_000 });
}

/** The addon workloads meshup applied, by "kind/name", with their readiness. */
export async function addonWorkloads(runner: Runner, namespace = ISTIO_NAMESPACE): Promise<Map<string, { addon: string; ready: boolean; object: KubeObject }>> {
  return workloadMap(await listObjects(runner, 'deployments,statefulsets,daemonsets', { namespace, selector: ADDON_LABEL }));
}

function workloadMap(all: KubeObject[]): Map<string, { addon: string; ready: boolean; object: KubeObject }> {
  const objs = all.filter((o) => WORKLOAD_KINDS.has(o.kind ?? 'Deployment') && o.metadata.labels?.[ADDON_LABEL]);
  return new Map(
    objs.map((d) => [
      `${(d.kind ?? 'Deployment').toLowerCase()}/${d.metadata.name}`,
      { addon: d.metadata.labels?.[ADDON_LABEL] ?? '', ready: workloadReady(d), object: d },
    ]),
  );
}

export async function waitForAddons(runner: Runner, manifests: AddonManifest[], o: ApplyOptions): Promise<void> {
  if (runner.dryRun) return;
  const want = manifests.flatMap((m) => m.addon.workloads.map((w) => ({ addon: m.addon.name, workload: w })));
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const have = await addonWorkloads(runner);
    const notReady = want.filter((w) => !have.get(w.workload)?.ready);
    if (!notReady.length) return;
    if (Date.now() >= deadline) {
      const pods = await listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE });
      const names = notReady.map((w) => w.workload.split('/')[1]!);
      const why = diagnosePods(pods.filter((p) => names.some((n) => p.metadata.name.startsWith(`${n}-`))));
      throw new MeshupError(
        `Addon${notReady.length > 1 ? 's' : ''} not ready after ${Math.round(o.timeoutMs / 1000)}s: ${notReady.map((w) => `${w.addon} (${w.workload})`).join(', ')}`,
        {
          details: why.length ? why : ['no pod reports a reason yet; the image may still be pulling'],
          fix: 'Fix what is listed, then run the same command again; it applies only what is missing',
        },
      );
    }
    await sleep(1000, runner.signal);
  }
}
