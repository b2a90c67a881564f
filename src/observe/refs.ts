// The objects meshup owns, named: the control plane's (as `istioctl manifest generate` lists
// them for the overlay) and each addon's (from its manifest in the release). Lists are cached by
// what determines them (Istio version and overlay hash; release file), so a warm run knows what
// to verify without rendering charts or parsing manifests again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runner } from '../exec/runner.js';
import { cacheDir } from '../state/paths.js';
import type { Istioctl } from '../tools/istioctl.js';
import { writeFileAtomic } from '../util/fs.js';
import { yamlStream } from '../util/yaml.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Hash of the object as meshup applies it (addons only); a different one on the cluster is drift. */
  hash?: string;
}

/** "Deployment/istio-system/istiod": how observed objects and expected ones are matched. */
export const refKey = (r: { kind?: string; namespace?: string; name: string }) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

export const refLabel = (r: ObjectRef) => `${r.kind.toLowerCase()} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** The resource name kubectl lists a kind by, qualified by group so it never resolves to another API. */
export function resourceOf(r: { apiVersion: string; kind: string }): string {
  const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : '';
  const kind = r.kind.toLowerCase();
  const plural = kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : kind.endsWith('s') ? `${kind}es` : `${kind}s`;
  return group ? `${plural}.${group}` : plural;
}

/** Every object of a multi-document YAML stream (List items included), empty documents skipped. */
export function objectsOf(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const { value } of yamlStream(text)) {
    const o = value as Record<string, unknown> | null | undefined;
    if (!o || typeof o !== 'object' || !o.kind) continue;
    if (o.kind === 'List' && Array.isArray(o.items)) out.push(...(o.items as Record<string, unknown>[]));
    else out.push(o);
  }
  return out;
}

export function refOf(o: Record<string, unknown>, defaultNamespace?: string, clusterScoped?: (kind: string) => boolean): ObjectRef {
  const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = String(o.kind);
  const namespace = md.namespace ?? (clusterScoped?.(kind) ? undefined : defaultNamespace);
  return { apiVersion: String(o.apiVersion), kind, name: String(md.name), ...(namespace ? { namespace } : {}) };
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'PriorityClass',
  'StorageClass',
  'IngressClass',
  'GatewayClass',
]);
export const isClusterScoped = (kind: string) => CLUSTER_SCOPED.has(kind);

export function hashObject(o: unknown): string {
  return createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16);
}

const refsDir = (env: NodeJS.ProcessEnv) => join(cacheDir(env), 'refs');

async function cached<T>(file: string, make: () => Promise<T>): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
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
    return objectsOf(text)
      .filter((o) => o.kind !== 'Namespace')
      .map((o) => refOf(o, 'istio-system', isClusterScoped));
  });
}

/** An addon's refs, cached by Istio version and addon: a release's manifests never change, so
 * a later run (or `status`, without the release at hand) verifies the addon from the list alone. */
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
