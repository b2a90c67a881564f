// The container images a set of objects makes a node pull: every container and init container of
// every pod template (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods),
// with the registry each comes from. Pure: the objects come from rendered manifests.

/** One image, where it comes from, and what uses it. */
export interface ImageUse {
  image: string;
  registry: string;
  /** kind/name of each workload whose pods run it (namespace/ first when it has one). */
  usedBy: string[];
  /** A DaemonSet runs it: every node pulls it. */
  perNode: boolean;
}

type Obj = Record<string, unknown>;

const podSpecOf = (o: Obj): Obj | undefined => {
  const spec = o.spec as Obj | undefined;
  if (!spec) return undefined;
  switch (o.kind) {
    case 'Pod':
      return spec;
    case 'CronJob':
      return ((((spec.jobTemplate as Obj | undefined)?.spec as Obj | undefined)?.template as Obj | undefined)?.spec as Obj | undefined) ?? undefined;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return ((spec.template as Obj | undefined)?.spec as Obj | undefined) ?? undefined;
    default:
      return undefined;
  }
};

/** The registry of an image reference, as a container runtime reads it: the first path part when
 * it names a host (a dot or a port, or localhost), else Docker Hub. */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first === 'index.docker.io' ? 'docker.io' : first;
  return 'docker.io';
}

/** The images of the objects. `auto` (Istio's gateways: their proxy comes by injection) becomes
 * `proxyImage` when given. */
export function imagesOf(objects: readonly Obj[], proxyImage?: string): ImageUse[] {
  const byImage = new Map<string, ImageUse>();
  for (const o of objects) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
    const who = `${md.namespace ? `${md.namespace}/` : ''}${String(o.kind).toLowerCase()}/${md.name ?? '?'}`;
    const containers = [...((pod.initContainers as Obj[] | undefined) ?? []), ...((pod.containers as Obj[] | undefined) ?? [])];
    for (const c of containers) {
      const raw = typeof c.image === 'string' ? c.image : undefined;
      const image = raw === 'auto' ? proxyImage : raw;
      if (!image) continue;
      const use = byImage.get(image) ?? { image, registry: registryOf(image), usedBy: [], perNode: false };
      if (!use.usedBy.includes(who)) use.usedBy.push(who);
      use.perNode ||= o.kind === 'DaemonSet';
      byImage.set(image, use);
    }
  }
  return [...byImage.values()].sort((a, b) => a.image.localeCompare(b.image));
}

/** The images a mesh makes its nodes pull: its control plane's and addons' (rendered objects), and
 * the proxy, beside istiod's own image, that Istio's gateways and every injected pod run. */
export function meshImages(objects: readonly Obj[], injectedNamespaces: readonly string[]): ImageUse[] {
  const pilot = imagesOf(objects).find((i) => /\/pilot:/.test(i.image))?.image;
  const proxy = pilot?.replace('/pilot:', '/proxyv2:');
  const list = imagesOf(objects, proxy);
  if (proxy && injectedNamespaces.length) {
    const injected = injectedNamespaces.map((ns) => `${ns}/* (injected)`);
    const use = list.find((i) => i.image === proxy);
    if (use) use.usedBy.push(...injected);
    else list.push({ image: proxy, registry: registryOf(proxy), usedBy: injected, perNode: false });
  }
  return list;
}

/** "6 images: 4 from docker.io, 1 from ghcr.io, 1 from quay.io". */
export function imagesSummary(list: readonly ImageUse[]): string {
  const by = new Map<string, number>();
  for (const i of list) by.set(i.registry, (by.get(i.registry) ?? 0) + 1);
  return `${list.length} image${list.length === 1 ? '' : 's'}: ${[...by]
    .sort(([, a], [, b]) => b - a)
    .map(([r, n]) => `${n} from ${r}`)
    .join(', ')}`;
}
