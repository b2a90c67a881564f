// The Gateway API's standard-channel bundle (standard-install.yaml of a gateway-api release):
// fetched from the release or a mirror, every document checked, and cached by version only when
// whole and right. An interrupted, truncated or foreign download never becomes a cache entry.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../config/paths.js';
import { InterruptedError, MeshupError, PreflightError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { type HttpResponse, httpGet } from '../util/http.js';
import { yamlStream } from '../util/yaml.js';
import { BUNDLE_VERSION_ANNOTATION, type BundleObject, CHANNEL_ANNOTATION, GATEWAY_API_GROUP, objectsOf } from './crds.js';

export const DEFAULT_GATEWAY_API_MIRROR = 'https://github.com/kubernetes-sigs/gateway-api/releases/download';
export const BUNDLE_FILE = 'standard-install.yaml';
/** Beside the bundle in the cache: its objects by kind and name, so a run can tell what is missing
 * without parsing the bundle again. */
export const OBJECTS_FILE = 'objects.json';
/** The checked objects with the SHA-256 of the YAML they came from: a later run that finds the
 * YAML unchanged uses them instead of parsing a megabyte again; a YAML edited by hand is checked
 * again. */
const CHECKED_FILE = 'checked.json';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The real bundles are about 1 MiB; anything far larger is not one. */
const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
/** The CRDs every standard bundle since v1.0 holds, and which Istio reads. */
const REQUIRED_CRDS = ['gatewayclasses', 'gateways', 'httproutes'].map((p) => `${p}.${GATEWAY_API_GROUP}`);

const bundleUrl = (mirror: string, version: string) => `${mirror.replace(/\/+$/, '')}/${version}/${BUNDLE_FILE}`;
export const bundleCacheDir = (env: NodeJS.ProcessEnv, version: string) => join(cacheDir(env), 'gateway-api', version);
export const bundleCacheFile = (env: NodeJS.ProcessEnv, version: string) => join(bundleCacheDir(env, version), BUNDLE_FILE);

type Obj = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  spec?: { group?: unknown };
};

/** What each kind of document in a standard bundle must be. Since v1.5.0 the bundle also holds the
 * safe-upgrades ValidatingAdmissionPolicy and its binding, both named in the group's domain. */
const ALLOWED: Record<string, string> = {
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  ValidatingAdmissionPolicy: 'admissionregistration.k8s.io/v1',
  ValidatingAdmissionPolicyBinding: 'admissionregistration.k8s.io/v1',
};

/**
 * The bundle's objects, after checking that every document is a Gateway API object of the
 * standard channel at `version`: a CustomResourceDefinition of gateway.networking.k8s.io (or the
 * safe-upgrades policy and binding), annotated with that bundle version and channel. Documents
 * that are empty or comments only are skipped, as kubectl skips them. Throws, naming the first
 * problems, when anything else is found.
 */
export async function checkBundle(text: string, version: string, source: string): Promise<Record<string, unknown>[]> {
  const problems: string[] = [];
  const objects: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let n = 0;
  for (const doc of yamlStream(text)) {
    n++;
    if (doc.error !== undefined) {
      problems.push(`document ${n}: not valid YAML (${doc.error})`);
      continue;
    }
    const o = doc.value as Obj | null | undefined;
    if (o === null || o === undefined) continue;
    if (typeof o !== 'object' || Array.isArray(o)) {
      problems.push(`document ${n}: not a Kubernetes object`);
      continue;
    }
    const kind = typeof o.kind === 'string' ? o.kind : '';
    const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
    const label = `document ${n} (${kind || 'no kind'} ${name || 'without a name'})`;
    const wantApi = ALLOWED[kind];
    if (!wantApi) {
      problems.push(`${label}: not a CustomResourceDefinition of ${GATEWAY_API_GROUP}`);
      continue;
    }
    if (o.apiVersion !== wantApi) problems.push(`${label}: apiVersion ${String(o.apiVersion)}, expected ${wantApi}`);
    if (!name.endsWith(`.${GATEWAY_API_GROUP}`)) problems.push(`${label}: its name is not in ${GATEWAY_API_GROUP}`);
    if (kind === 'CustomResourceDefinition' && o.spec?.group !== GATEWAY_API_GROUP)
      problems.push(`${label}: group ${String(o.spec?.group)}, expected ${GATEWAY_API_GROUP}`);
    const annotations = o.metadata?.annotations ?? {};
    const bundle = annotations[BUNDLE_VERSION_ANNOTATION];
    const channel = annotations[CHANNEL_ANNOTATION];
    if (bundle !== version)
      problems.push(`${label}: ${BUNDLE_VERSION_ANNOTATION} is ${bundle === undefined ? 'missing' : String(bundle)}, expected ${version}`);
    if (channel !== 'standard') problems.push(`${label}: ${CHANNEL_ANNOTATION} is ${channel === undefined ? 'missing' : String(channel)}, expected standard`);
    if (o.metadata?.namespace !== undefined) problems.push(`${label}: has a namespace; these objects are cluster-wide`);
    const key = `${kind}/${name}`;
    if (seen.has(key)) problems.push(`${label}: appears twice`);
    seen.add(key);
    objects.push(o as Record<string, unknown>);
  }
  const absent = REQUIRED_CRDS.filter((c) => !seen.has(`CustomResourceDefinition/${c}`));
  if (!problems.length && absent.length) problems.push(`it lacks the CRD${absent.length > 1 ? 's' : ''} ${absent.join(', ')}`);
  if (problems.length) {
    throw new MeshupError(`The Gateway API ${version} bundle from ${source} is not the standard channel's CRDs of ${version}`, {
      details: problems.length > 5 ? [...problems.slice(0, 4), `and ${problems.length - 4} more`] : problems,
      fix: [
        'Check that the mirror serves the gateway-api release assets unchanged (--gateway-api-mirror URL / MESHUP_GATEWAY_API_MIRROR); nothing was cached',
        'or leave the Gateway API CRDs to yourself: --no-gateway-api',
      ],
    });
  }
  return objects;
}

/** The cached bundle's directory, when a whole one is there. */
function cachedBundle(env: NodeJS.ProcessEnv, version: string): string | undefined {
  const dir = bundleCacheDir(env, version);
  return existsSync(join(dir, BUNDLE_FILE)) && existsSync(join(dir, OBJECTS_FILE)) ? dir : undefined;
}

/** The objects of the cached bundle, by kind and name, without parsing it; undefined when it is
 * not cached (or the list is unreadable: then nothing is claimed missing). */
export async function cachedBundleObjects(env: NodeJS.ProcessEnv, version: string): Promise<BundleObject[] | undefined> {
  const dir = cachedBundle(env, version);
  if (!dir) return undefined;
  try {
    const list = JSON.parse(await readFile(join(dir, OBJECTS_FILE), 'utf8')) as BundleObject[];
    return Array.isArray(list) ? list : undefined;
  } catch {
    return undefined;
  }
}

/** The bundle's objects for verifying a cluster: cached, else downloaded now (and cached when the
 * cache can be written; checked in memory when it cannot). What meshup verifies does not depend on
 * what it happens to have cached: undefined only when the mirror cannot give it either, with why. */
export async function bundleObjectsToVerify(env: NodeJS.ProcessEnv, o: FetchOptions & { cache: boolean }): Promise<{ objects?: BundleObject[]; why?: string }> {
  const cached = await cachedBundleObjects(env, o.version);
  if (cached) return { objects: cached };
  try {
    // A dry run writes nothing, the cache included: it checks what it fetched in memory.
    if (!o.cache) throw new Error('not cached on a dry run');
    return { objects: objectsOf((await downloadBundle({ ...o, env })).objects) };
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    // The mirror's or the bundle's fault (not the cache's): asking again would not help.
    if (e instanceof MeshupError) return { why: e.message };
    // A cache that cannot be written: the same download, kept in memory for this run.
    try {
      const url = bundleUrl(o.mirror, o.version);
      return { objects: objectsOf(await checkBundle(await fetchText(url, o), o.version, url)) };
    } catch (again) {
      if (again instanceof InterruptedError) throw again;
      return { why: (again as Error).message };
    }
  }
}

/** The cached bundle's objects, checked again (a cache can be edited by hand). */
export async function readCachedBundle(env: NodeJS.ProcessEnv, version: string): Promise<Record<string, unknown>[]> {
  const file = bundleCacheFile(env, version);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MeshupError(`The Gateway API ${version} bundle is not in the cache (${file})`, { fix: 'Run the command again; meshup downloads it' });
  }
  const checkedFile = join(bundleCacheDir(env, version), CHECKED_FILE);
  try {
    const checked = JSON.parse(await readFile(checkedFile, 'utf8')) as { sha256?: string; objects?: Record<string, unknown>[] };
    if (checked.sha256 === sha256(text) && Array.isArray(checked.objects)) return checked.objects;
  } catch {
    // Not there (a cache from an older meshup) or unreadable: checked below.
  }
  try {
    const objects = await checkBundle(text, version, file);
    await writeFileAtomic(checkedFile, JSON.stringify({ sha256: sha256(text), objects })).catch(() => undefined);
    return objects;
  } catch (e) {
    await rm(bundleCacheDir(env, version), { recursive: true, force: true });
    throw e;
  }
}

interface FetchOptions {
  version: string;
  mirror: string;
  signal?: AbortSignal;
}

const why = (e: unknown) => ((e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message);

const FIX_MIRROR = [
  'Check your network or proxy (HTTPS_PROXY), or point meshup at a reachable mirror: --gateway-api-mirror URL / MESHUP_GATEWAY_API_MIRROR',
  'or leave the Gateway API CRDs to yourself: --no-gateway-api',
];

/** Whether the mirror has the bundle, asked before anything changes: the request is made and its
 * body dropped. An unreachable mirror or a missing bundle is the machine's problem (exit 3). */
export async function probeBundle(o: FetchOptions): Promise<void> {
  const url = bundleUrl(o.mirror, o.version);
  let res: HttpResponse;
  try {
    res = await httpGet(url, { signal: AbortSignal.any([AbortSignal.timeout(20_000), ...(o.signal ? [o.signal] : [])]) });
  } catch (e) {
    if (o.signal?.aborted) throw new InterruptedError();
    throw new PreflightError(`The Gateway API ${o.version} CRDs cannot be downloaded: ${why(e)}`, { details: [`url: ${url}`], fix: FIX_MIRROR });
  }
  res.cancel();
  if (res.ok) return;
  throw new PreflightError(
    res.status === 404
      ? `The mirror has no Gateway API ${o.version} bundle (HTTP 404 for ${BUNDLE_FILE})`
      : `The mirror answered HTTP ${res.status} for the Gateway API ${o.version} bundle`,
    { details: [`url: ${url}`], fix: FIX_MIRROR },
  );
}

async function fetchText(url: string, o: FetchOptions): Promise<string> {
  let res: HttpResponse;
  try {
    res = await httpGet(url, { signal: o.signal });
  } catch (e) {
    if (o.signal?.aborted) throw new InterruptedError();
    throw new MeshupError(`Could not download the Gateway API ${o.version} CRDs: ${why(e)}`, { details: [`url: ${url}`], fix: FIX_MIRROR });
  }
  if (!res.ok) {
    res.cancel();
    throw new MeshupError(`Could not download the Gateway API ${o.version} CRDs: HTTP ${res.status}`, { details: [`url: ${url}`], fix: FIX_MIRROR });
  }
  const total = Number(res.header('content-length') ?? 0);
  const chunks: Buffer[] = [];
  let seen = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      seen += chunk.length;
      // Leaving the loop by a throw cancels the stream.
      if (seen > MAX_BUNDLE_BYTES) {
        throw new MeshupError(`The Gateway API ${o.version} bundle at ${url} is larger than ${MAX_BUNDLE_BYTES / 1024 / 1024} MiB: it is not a bundle`, {
          fix: FIX_MIRROR,
        });
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof MeshupError) throw e;
    if (o.signal?.aborted) throw new InterruptedError();
    throw new MeshupError(`The download of the Gateway API ${o.version} CRDs broke off: ${why(e)}`, { fix: 'Run the command again' });
  }
  if (total && seen !== total) {
    throw new MeshupError(`The download of the Gateway API ${o.version} CRDs was truncated (${seen} of ${total} bytes)`, { fix: 'Run the command again' });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Downloads the bundle, checks every document, and moves it into the cache only when right;
 * returns the cache directory and the checked objects. */
export async function downloadBundle(o: FetchOptions & { env: NodeJS.ProcessEnv }): Promise<{ dir: string; objects: Record<string, unknown>[] }> {
  const url = bundleUrl(o.mirror, o.version);
  const text = await fetchText(url, o);
  const objects = await checkBundle(text, o.version, url);
  const dest = bundleCacheDir(o.env, o.version);
  const parent = join(dest, '..');
  await mkdir(parent, { recursive: true });
  const scratch = join(parent, `.partial-${o.version}-${process.pid}-${Date.now()}`);
  try {
    await mkdir(scratch);
    await writeFile(join(scratch, BUNDLE_FILE), text);
    await writeFile(join(scratch, OBJECTS_FILE), JSON.stringify(objectsOf(objects)));
    await writeFile(join(scratch, CHECKED_FILE), JSON.stringify({ sha256: sha256(text), objects }));
    await rm(dest, { recursive: true, force: true });
    await rename(scratch, dest);
    return { dir: dest, objects };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The cache, or the mirror's word that it has the bundle: decided before anything changes. */
export async function checkBundleObtainable(env: NodeJS.ProcessEnv, o: FetchOptions): Promise<'at-hand' | 'download'> {
  if (cachedBundle(env, o.version)) return 'at-hand';
  await probeBundle(o);
  return 'download';
}

export interface AcquiredBundle {
  dir: string;
  downloaded: boolean;
  /** The checked objects, when just downloaded (a cached bundle is read and checked when applied). */
  objects?: Record<string, unknown>[];
}

/** The bundle's cache directory: at hand, or downloaded now. */
export async function acquireBundle(env: NodeJS.ProcessEnv, o: FetchOptions): Promise<AcquiredBundle> {
  const dir = cachedBundle(env, o.version);
  if (dir) return { dir, downloaded: false };
  return { ...(await downloadBundle({ ...o, env })), downloaded: true };
}
