// meshup images: the container images the mesh of this spec makes the cluster's nodes pull, known
// before any cluster exists: from the control plane and gateways as istioctl renders them for the
// overlay, the addons' manifests of the release, and the proxy every injected pod runs. Reads no
// cluster; gets the release (from the cache, or downloaded) to render them.
import { readFile } from 'node:fs/promises';
import { addonVariant } from '../addons/manifest.js';
import { readAddonManifest } from '../addons/read.js';
import { UsageError } from '../errors.js';
import { acquireIstio } from '../istio/acquire.js';
import { listedOverlays, overlayFiles, overlayHash } from '../istio/overlay.js';
import { type ImageUse, meshImages } from '../kube/images.js';
import { objectsOf } from '../kube/refs.js';
import { addonObjectsCached, controlPlaneManifestFile, controlPlaneRefs } from '../observe/refs.js';
import { providerFor } from '../providers/index.js';
import type { App } from '../session/app.js';
import { specOf } from '../session/target.js';
import { table } from '../ui/table.js';
import { excerpt } from '../util/text.js';

export async function images(app: App): Promise<void> {
  const f = app.flags as { prefetch?: boolean; cache?: string };
  // Checked before anything is fetched: a bad --cache says so at once.
  const caches = f.prefetch ? cachesOf(f.cache) : undefined;
  const { spec, catalog } = await specOf(app);
  const provider = providerFor(spec.provider);
  const runner = app.runner();
  const release = await acquireIstio(runner, {
    version: spec.istioVersion,
    istioDir: spec.istioDir,
    mirror: spec.istioMirror,
    needRelease: spec.addons.length > 0,
    progress: (t) => app.out.log(t),
  });
  const files = overlayFiles(spec, provider);
  const hash = overlayHash(files);
  await controlPlaneRefs(runner, release.istioctl, spec.istioVersion, hash, listedOverlays(files));
  const controlPlane = objectsOf(await readFile(controlPlaneManifestFile(runner.env, spec.istioVersion, hash), 'utf8'));
  const addons = await Promise.all(spec.addons.map((n) => readAddonManifest(release.dir!, catalog.get(n)!, spec.istioVersion, spec.addons)));
  // Kept as `up` keeps them, so a later plan can say what its nodes will pull.
  await Promise.all(
    addons.map((m) =>
      addonObjectsCached(runner.env, spec.istioVersion, addonVariant(m.addon, spec.addons), async () => [...m.crds, ...m.objects]).catch(() => undefined),
    ),
  );
  const list = meshImages([...controlPlane, ...addons.flatMap((a) => a.objects)], spec.dataplane === 'sidecar' ? spec.namespaces : []);
  const registries = [...new Set(list.map((i) => i.registry))].sort();
  app.out.print(
    table(
      ['IMAGE', 'REGISTRY', 'USED BY'],
      list.map((i: ImageUse) => [i.image, i.registry, `${i.usedBy.join(', ')}${i.perNode ? ' (every node)' : ''}`]),
    ),
  );
  app.out.print();
  app.out.print(
    `${list.length} images from ${registries.join(', ')} for Istio ${spec.istioVersion}, profile ${spec.profile.name}${spec.addons.length ? `, addons ${spec.addons.join(', ')}` : ''}.`,
  );
  const prefetched = caches ? await prefetch(app, list, caches) : undefined;
  app.out.result({
    istioVersion: spec.istioVersion,
    profile: spec.profile.name,
    addons: spec.addons,
    images: list,
    registries,
    ...(prefetched ? { prefetch: prefetched } : {}),
  });
}

/** `--cache docker.io=http://localhost:5050,quay.io=...`: each registry's pull-through cache. */
function cachesOf(value: string | undefined): Map<string, string> {
  const caches = new Map<string, string>();
  for (const part of (value ?? '').split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    const [registry, url] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (eq <= 0 || !/^https?:\/\/[^/]+\/?$/.test(url)) {
      throw new UsageError(`--cache ${excerpt(part)} is not REGISTRY=URL`, { fix: 'Name each cache by its registry: --cache docker.io=http://localhost:5050' });
    }
    caches.set(registry, url.replace(/\/$/, ''));
  }
  if (!caches.size) throw new UsageError('--prefetch needs the caches to pull through', { fix: 'Name them: --cache docker.io=http://localhost:5050' });
  return caches;
}

async function prefetch(app: App, list: ImageUse[], caches: Map<string, string>) {
  const { prefetchImages } = await import('../images/prefetch.js');
  const mib = (n: number) => `${Math.round(n / 1024 / 102.4) / 10} MiB`;
  let last = 0;
  const r = await prefetchImages(
    list.map((i) => i.image),
    {
      cacheFor: (registry) => caches.get(registry),
      signal: app.signal,
      progress: (bytes) => {
        if (Date.now() - last > 500) {
          last = Date.now();
          app.out.log(`prefetching: ${mib(bytes)}`);
        }
      },
    },
  );
  app.out.print(`Prefetched ${r.cached.length} images (${mib(r.bytes)}) through the caches.`);
  if (r.uncached.length) app.out.print(`No cache fronts their registry, so nodes pull them: ${r.uncached.join(', ')}`);
  return r;
}
