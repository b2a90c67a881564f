// meshup images: the container images the mesh of this spec makes the cluster's nodes pull, known
// before any cluster exists: from the control plane and gateways as istioctl renders them for the
// overlay, the addons' manifests of the release, and the proxy every injected pod runs. Reads no
// cluster; gets the release (from the cache, or downloaded) to render them.
import { readFile } from 'node:fs/promises';
import { readAddonManifest } from '../addons/read.js';
import { acquireIstio } from '../istio/acquire.js';
import { listedOverlays, overlayFiles, overlayHash } from '../istio/overlay.js';
import { type ImageUse, imagesOf } from '../kube/images.js';
import { objectsOf } from '../kube/refs.js';
import { controlPlaneManifestFile, controlPlaneRefs } from '../observe/refs.js';
import { providerFor } from '../providers/index.js';
import type { App } from '../session/app.js';
import { specOf } from '../session/target.js';
import { table } from '../ui/table.js';

export async function images(app: App): Promise<void> {
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
  // Injected pods and Istio's gateways (image: auto) run the proxy istiod's own image sits beside.
  const pilot = imagesOf(controlPlane).find((i) => /\/pilot:/.test(i.image))?.image;
  const proxy = pilot?.replace('/pilot:', '/proxyv2:');
  const list = imagesOf([...controlPlane, ...addons.flatMap((a) => a.objects)], proxy);
  if (proxy && spec.dataplane === 'sidecar' && spec.namespaces.length) {
    const use = list.find((i) => i.image === proxy);
    const injected = spec.namespaces.map((ns) => `${ns}/* (injected)`);
    if (use) use.usedBy.push(...injected);
    else list.push({ image: proxy, registry: 'docker.io', usedBy: injected, perNode: false });
  }
  const registries = [...new Set(list.map((i) => i.registry))].sort();
  app.out.result({ istioVersion: spec.istioVersion, profile: spec.profile.name, addons: spec.addons, images: list, registries });
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
}
