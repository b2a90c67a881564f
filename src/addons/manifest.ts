// An addon's manifest from the Istio release, split into CRDs and the rest, each object labelled
// with the addon's name so meshup can find exactly its objects later. Pure: addons/read.ts reads
// the release's file.
import { parse, stringify } from 'yaml';
import type { Addon } from '../config/schema.js';
import { MeshupError } from '../errors.js';
import { ADDON_LABEL } from '../istio/labels.js';
import { hashObject, isClusterScoped, type ObjectRef, refOf } from '../kube/refs.js';
import { yamlStream } from '../util/yaml.js';

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

/** The addons among `enabled` whose settings this addon takes (its `with`), sorted: part of what
 * its objects are, so part of their cache key. */
export function partnersOf(addon: Addon, enabled: readonly string[]): string[] {
  return Object.keys(addon.with ?? {})
    .filter((n) => enabled.includes(n))
    .sort();
}

/** The key an addon's refs are cached under: its objects change with the partners enabled. */
export const addonVariant = (addon: Addon, enabled: readonly string[]) => [addon.name, ...partnersOf(addon, enabled)].join('+');

export function splitManifest(addon: Addon, text: string, source: string, partners: readonly string[]): AddonManifest {
  const all: (Obj & Record<string, unknown>)[] = [];
  for (const doc of yamlStream(text)) {
    if (doc.error !== undefined)
      throw new MeshupError(`${source} is not valid YAML: ${doc.error}`, {
        fix: 'Delete the cached release so meshup downloads it again',
      });
    const o = doc.value as (Obj & Record<string, unknown>) | null | undefined;
    if (!o?.kind) continue;
    if (o.kind === 'List' && Array.isArray(o.items)) all.push(...(o.items as (Obj & Record<string, unknown>)[]));
    else all.push(o);
  }
  for (const p of partners) integrate(addon, p, all, source);
  const crds = all.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => label(o, addon.name));
  const objects = all.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => label(o, addon.name));
  if (!objects.length) throw new MeshupError(`${source} holds no Kubernetes objects`, { fix: 'Delete the cached release so meshup downloads it again' });
  return { addon, crds, objects };
}

/** Sets an addon's configuration for a partner addon (Kiali's tracing, with Jaeger) and marks the
 * workload that reads it, so a changed configuration rolls its pods. */
function integrate(addon: Addon, partner: string, all: (Obj & Record<string, unknown>)[], source: string): void {
  const w = addon.with![partner]!;
  const cm = all.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === w.configMap) as { data?: Record<string, string> } | undefined;
  const [kind, name] = w.restart.split('/');
  const workload = all.find((o) => o.kind?.toLowerCase() === kind && o.metadata?.name === name) as
    | { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }
    | undefined;
  if (!cm?.data?.[w.key] || !workload?.spec?.template) {
    throw new MeshupError(`${source} has no ConfigMap ${w.configMap} with ${w.key}, or no ${w.restart}, so ${addon.name} cannot be set up for ${partner}`, {
      fix: `Disable ${partner} or ${addon.name}, or use an Istio version whose ${addon.manifest} has them`,
    });
  }
  const doc = (parse(cm.data[w.key]!) ?? {}) as Record<string, unknown>;
  for (const [path, value] of Object.entries(w.set)) setPath(doc, path.split('.'), value);
  cm.data[w.key] = stringify(doc);
  const template = workload.spec.template;
  template.metadata ??= {};
  template.metadata.annotations = { ...template.metadata.annotations, [CONFIG_HASH_ANNOTATION]: hashObject(cm.data[w.key]) };
}

/** On the pod template of a workload whose configuration meshup set: its hash, so pods roll. */
const CONFIG_HASH_ANNOTATION = 'meshup.dev/config-hash';

function setPath(doc: Record<string, unknown>, path: string[], value: unknown): void {
  let at = doc;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
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

/** Jaeger shows no traces until a Telemetry resource selects the tracing provider (#53779). */
export function tracingTelemetry(samplingPercent: number): Record<string, unknown> {
  return stamp({
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name: TELEMETRY_NAME, namespace: 'istio-system', labels: { [ADDON_LABEL]: 'jaeger' } },
    spec: { tracing: [{ providers: [{ name: 'jaeger' }], randomSamplingPercentage: samplingPercent }] },
  });
}

/** The kinds an addon's objects can have; all carry the addon's label, CRDs excepted (users'
 * resources may live in them, so they stay). */
const ADDON_KINDS = [
  'deployments.apps',
  'statefulsets.apps',
  'daemonsets.apps',
  'services',
  'configmaps',
  'secrets',
  'serviceaccounts',
  'persistentvolumeclaims',
  'roles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
];

/** Every kind the addon's objects may have (`kinds`: those its manifest names, when known). */
export const removeAddonArgs = (addon: Addon, kinds: readonly string[] = []) => [
  'delete',
  [...new Set([...ADDON_KINDS, ...kinds])].join(','),
  '-n',
  addon.namespace,
  '-l',
  `${ADDON_LABEL}=${addon.name}`,
  '--ignore-not-found',
  '--wait=false',
];
