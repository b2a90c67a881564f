// The objects meshup owns, named: the control plane's (as `istioctl manifest generate` lists
// them for the overlay) and each addon's (from its manifest in the release). Lists are cached by
// what determines them (Istio version and overlay hash; release file), so a warm run knows what
// to verify without rendering charts or parsing manifests again.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../config/paths.js';
import type { Runner } from '../exec/runner.js';
import { isClusterScoped, type ObjectRef, objectsOf, refOf } from '../kube/refs.js';
import type { Istioctl } from '../tools/istioctl.js';
import { writeFileAtomic } from '../util/fs.js';

const refsDir = (env: NodeJS.ProcessEnv) => join(cacheDir(env), 'refs');

/** The lists read in this process, by file, while the file is unchanged: the content check and the
 * image list of one run read the same object lists (the control plane's is 0.6 MiB of JSON), and
 * each read was a parse of its own, all alive at once. Callers share what is returned: they copy
 * before they change anything, as they did. */
const reads = new Map<string, { stamp: string; value: Promise<unknown> }>();

async function readJson<T>(file: string): Promise<T> {
  const st = await stat(file);
  const stamp = `${st.mtimeMs} ${st.size} ${st.ino}`;
  const known = reads.get(file);
  if (known?.stamp === stamp) return known.value as Promise<T>;
  const value = readFile(file, 'utf8').then((text) => JSON.parse(text) as T);
  reads.set(file, { stamp, value });
  value.catch(() => reads.delete(file));
  return value;
}

async function cached<T>(file: string, make: () => Promise<T>): Promise<T> {
  try {
    return await readJson<T>(file);
  } catch {
    const v = await make();
    await writeFileAtomic(file, JSON.stringify(v)).catch(() => undefined);
    return v;
  }
}

/** Where the rendered control plane of a version and overlay is kept. */
export const controlPlaneManifestFile = (env: NodeJS.ProcessEnv, version: string, overlayHash: string) =>
  join(refsDir(env), `istio-${version}-${overlayHash}.yaml`);

/** Where the gateways' part of it is kept: a new mesh's gateways are applied from it. */
export const gatewaysManifestFile = (env: NodeJS.ProcessEnv, version: string, overlayHash: string) =>
  join(refsDir(env), `istio-${version}-${overlayHash}-gateways.yaml`);

const controlPlaneObjectsFile = (env: NodeJS.ProcessEnv, version: string, overlayHash: string) =>
  join(refsDir(env), `istio-${version}-${overlayHash}.objects.json`);

/** The control plane's objects as istioctl renders them for this overlay (Namespaces aside): what
 * its content is compared with. Kept as JSON beside the rendered YAML, which is parsed (and the
 * JSON written) only when the JSON is missing; undefined when neither is cached. */
export async function controlPlaneObjects(env: NodeJS.ProcessEnv, version: string, overlayHash: string): Promise<Record<string, unknown>[] | undefined> {
  const file = controlPlaneObjectsFile(env, version, overlayHash);
  try {
    return await readJson<Record<string, unknown>[]>(file);
  } catch {
    const text = await readFile(controlPlaneManifestFile(env, version, overlayHash), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const objects = objectsOf(text).filter((o) => o.kind !== 'Namespace');
    await writeFileAtomic(file, JSON.stringify(objects)).catch(() => undefined);
    return objects;
  }
}

/** What the `istioctl install`s of the overlays (the control plane's, then the gateways' when
 * listed: istio/overlay.ts listedOverlays) create, by name; rendered once per version and overlay
 * hash. The rendered manifest is kept too: a repair applies just the missing objects from it, and
 * a new mesh its gateways, from their own file (small enough to read at once). */
export async function controlPlaneRefs(
  runner: Runner,
  istioctl: Istioctl,
  version: string,
  overlayHash: string,
  overlays: readonly string[],
): Promise<ObjectRef[]> {
  const dir = refsDir(runner.env);
  return cached(join(dir, `istio-${version}-${overlayHash}.json`), async () => {
    const rendered = await Promise.all(
      overlays.map(async (yaml, i) => {
        const overlayFile = join(dir, `overlay-${version}-${overlayHash}-${i}.yaml`);
        await writeFileAtomic(overlayFile, yaml);
        const r = await runner.run({
          tool: 'istioctl',
          bin: istioctl.bin,
          args: ['manifest', 'generate', '-f', overlayFile],
          readOnly: true,
          noContext: true,
          background: true,
          step: 'Listing the objects of the Istio control plane',
          timeoutMs: 120_000,
        });
        return r.stdout;
      }),
    );
    const text = rendered.join('\n---\n');
    await writeFileAtomic(controlPlaneManifestFile(runner.env, version, overlayHash), text);
    if (rendered[1] !== undefined) await writeFileAtomic(gatewaysManifestFile(runner.env, version, overlayHash), rendered[1]);
    const objects = objectsOf(text).filter((o) => o.kind !== 'Namespace');
    await writeFileAtomic(controlPlaneObjectsFile(runner.env, version, overlayHash), JSON.stringify(objects)).catch(() => undefined);
    return objects.map((o) => refOf(o, 'istio-system', isClusterScoped));
  });
}

/** An addon's refs, cached by Istio version and addon: a release's manifests never change, so
 * a later run (or `status`, without the release at hand) verifies the addon from the list alone. */
/** Whether an addon variant's lists (its refs and its objects) are cached for this version. */
export const addonListed = (env: NodeJS.ProcessEnv, version: string, variant: string) =>
  existsSync(join(refsDir(env), `addon-${version}-${variant}.json`)) && existsSync(join(refsDir(env), `addon-${version}-${variant}.objects.json`));

export async function addonRefsCached(
  env: NodeJS.ProcessEnv,
  version: string,
  addon: string,
  make: (() => Promise<ObjectRef[]>) | undefined,
): Promise<ObjectRef[] | undefined> {
  const file = join(refsDir(env), `addon-${version}-${addon}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ObjectRef[];
  } catch {
    if (!make) return undefined;
    return cached(file, make);
  }
}

/** An addon's objects as meshup applies them (labelled and hashed, set up for its partners), kept
 * beside its refs: what its content is compared with, without the release at hand. */
export async function addonObjectsCached(
  env: NodeJS.ProcessEnv,
  version: string,
  variant: string,
  make: (() => Promise<Record<string, unknown>[]>) | undefined,
): Promise<Record<string, unknown>[] | undefined> {
  const file = join(refsDir(env), `addon-${version}-${variant}.objects.json`);
  try {
    return await readJson<Record<string, unknown>[]>(file);
  } catch {
    if (!make) return undefined;
    return cached(file, make);
  }
}
