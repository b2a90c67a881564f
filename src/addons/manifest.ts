// An addon's manifest from the Istio release, split into CRDs and the rest, each object labelled
// with the addon's name so meshup can find exactly its objects later.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Addon } from '../config/schema.js';
import { MeshupError } from '../errors.js';
import { ADDON_LABEL } from '../istio/labels.js';
import { hashObject, isClusterScoped, type ObjectRef, refOf } from '../observe/refs.js';

/** On every object meshup applies for an addon: the hash of the object as meshup applies it, so a
 * later run can tell an object someone changed (or an older release's) from the current one. */
export const HASH_ANNOTATION = 'meshup.dev/hash';
export const TELEMETRY_NAME = 'mesh-default';

export interface AddonManifest {
  addon: Addon;
  crds: Record<string, unknown>[];
  objects: Record<string, unknown>[];
}

type Obj = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

function splitManifest(addon: Addon, text: string, source: string): AddonManifest {
  const crds: Record<string, unknown>[] = [];
  const objects: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length)
      throw new MeshupError(`${source} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, {
        fix: 'Delete the cached release so meshup downloads it again',
      });
    const o = doc.toJS() as (Obj & Record<string, unknown>) | null;
    if (!o?.kind) continue;
    if (o.kind === 'List' && Array.isArray(o.items)) {
      for (const item of o.items as (Obj & Record<string, unknown>)[])
        (item.kind === 'CustomResourceDefinition' ? crds : objects).push(label(item, addon.name));
      continue;
    }
    (o.kind === 'CustomResourceDefinition' ? crds : objects).push(label(o, addon.name));
  }
  if (!objects.length) throw new MeshupError(`${source} holds no Kubernetes objects`, { fix: 'Delete the cached release so meshup downloads it again' });
  return { addon, crds, objects };
}

function label(o: Obj & Record<string, unknown>, name: string): Record<string, unknown> {
  o.metadata ??= {};
  o.metadata.labels = { ...o.metadata.labels, [ADDON_LABEL]: name };
  return stamp(o);
}

/** Adds the content hash annotation (computed without it). */
function stamp<T extends Record<string, unknown>>(o: T): T {
  const md = (o.metadata ?? {}) as { annotations?: Record<string, string> };
  const { [HASH_ANNOTATION]: _old, ...annotations } = md.annotations ?? {};
  const bare = { ...o, metadata: { ...md, annotations: Object.keys(annotations).length ? annotations : undefined } };
  const hash = hashObject(bare);
  return { ...o, metadata: { ...md, annotations: { ...annotations, [HASH_ANNOTATION]: hash } } };
}

/** The objects of an addon, named, with the hash each carries once applied. */
export function addonRefs(m: AddonManifest): ObjectRef[] {
  return [...m.crds, ...m.objects].map((o) => ({
    ...refOf(o, m.addon.namespace, isClusterScoped),
    hash: (o.metadata as { annotations?: Record<string, string> }).annotations?.[HASH_ANNOTATION],
  }));
}

export async function readAddonManifest(releaseDir: string, addon: Addon, version: string): Promise<AddonManifest> {
  const file = join(releaseDir, addon.manifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MeshupError(`Istio ${version} ships no ${addon.manifest}, so meshup cannot install ${addon.name} for it`, {
      fix: [`Disable it (--addons without ${addon.name}), or use an Istio version that has it`],
    });
  }
  return splitManifest(addon, text, file);
}

export const toYamlStream = (objs: Record<string, unknown>[]) => objs.map((o) => JSON.stringify(o)).join('\n---\n');

/** Jaeger shows no traces until a Telemetry resource selects the tracing provider (#53779). */
export function tracingTelemetry(samplingPercent: number): Record<string, unknown> {
  return stamp({
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: TELEMETRY_NAME, namespace: 'istio-system', labels: { [ADDON_LABEL]: 'jaeger' } },
    spec: { tracing: [{ providers: [{ name: 'jaeger' }], randomSamplingPercentage: samplingPercent }] },
  });
}
