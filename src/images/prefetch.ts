// Pulls images through a pull-through cache (a registry in proxy mode) so the cache holds them
// before any node asks: each image's manifest (an index resolved to this platform's), its config
// and its layers, every blob streamed, checked against its digest and dropped. What the cache did
// not have it fetches from upstream once; a second prefetch costs upstream nothing.
import { createHash } from 'node:crypto';
import { MeshupError } from '../errors.js';
import { httpGet } from '../util/http.js';
import { type ImageRef, parseImageRef } from './reference.js';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface Descriptor {
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
}
interface Manifest {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

export interface PrefetchOptions {
  /** The cache's base URL for a registry (http://127.0.0.1:5050), or undefined when none fronts it. */
  cacheFor: (registry: string) => string | undefined;
  /** The platform whose image an index resolves to. */
  platform?: { os: string; architecture: string };
  concurrency?: number;
  signal?: AbortSignal;
  /** Bytes received so far, over all images. */
  progress?: (bytes: number) => void;
}

export interface PrefetchResult {
  /** Images now in a cache. */
  cached: string[];
  /** Images of registries no cache fronts: left to the nodes. */
  uncached: string[];
  bytes: number;
}

const nodeArch = (a: string) => (a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a);

export async function prefetchImages(images: readonly string[], o: PrefetchOptions): Promise<PrefetchResult> {
  const platform = o.platform ?? { os: 'linux', architecture: nodeArch(process.arch) };
  const result: PrefetchResult = { cached: [], uncached: [], bytes: 0 };
  const seenBlobs = new Set<string>();
  const get = async (url: string, accept?: string) => {
    const res = await httpGet(url, { headers: accept ? { accept } : {}, signal: o.signal });
    if (!res.ok) {
      res.cancel();
      throw new MeshupError(`The image cache answered ${res.status} for ${url}`, {
        fix: 'Check that the cache runs and reaches its upstream (meshup cache status)',
      });
    }
    return res;
  };
  const blob = async (base: string, ref: ImageRef, d: Descriptor) => {
    const key = `${base} ${d.digest}`;
    if (seenBlobs.has(key)) return;
    seenBlobs.add(key);
    const res = await get(`${base}/v2/${ref.repository}/blobs/${d.digest}`);
    const [algo, want] = d.digest.split(':');
    const hash = createHash(algo === 'sha512' ? 'sha512' : 'sha256');
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      result.bytes += chunk.length;
      o.progress?.(result.bytes);
    }
    if (hash.digest('hex') !== want)
      throw new MeshupError(`A blob of ${ref.repository} does not match its digest ${d.digest}`, { fix: 'Prune the cache (meshup cache prune) and run again' });
  };
  const one = async (image: string) => {
    const ref = parseImageRef(image);
    const base = o.cacheFor(ref.registry);
    if (!base) {
      result.uncached.push(image);
      return;
    }
    let manifest = (await (await get(`${base}/v2/${ref.repository}/manifests/${ref.reference}`, MANIFEST_TYPES.join(', '))).json()) as Manifest;
    if (manifest.manifests) {
      const pick = manifest.manifests.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
      if (!pick) throw new MeshupError(`${image} has no ${platform.os}/${platform.architecture} image`, { fix: 'Use an image built for this platform' });
      manifest = (await (await get(`${base}/v2/${ref.repository}/manifests/${pick.digest}`, MANIFEST_TYPES.join(', '))).json()) as Manifest;
    }
    for (const d of [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])]) await blob(base, ref, d);
    result.cached.push(image);
  };
  const queue = [...new Set(images)];
  const workers = Array.from({ length: Math.min(o.concurrency ?? 4, queue.length) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await one(next);
  });
  await Promise.all(workers);
  result.cached.sort();
  result.uncached.sort();
  return result;
}
