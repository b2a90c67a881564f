// Content drift: what each object meshup applied holds now, against what meshup's apply would
// make of it. Asked the way `kubectl diff --server-side` asks: a server-side dry run of meshup's
// apply (under the same field manager, conflicts forced), compared field by field with the live
// object. Defaults, and fields meshup does not set (a Service's allocated nodePorts, a pod
// template's defaults), come out the same on both sides; what a person changed does not. Fields
// that controllers own by design are not drift (ignoredBy), and nor is an object a person marked
// for meshup to leave alone.
import type { Runner } from '../exec/runner.js';
import { LEAVE_ALONE_ANNOTATION } from '../istio/labels.js';
import { diffObjects, type FieldChange } from '../kube/diff.js';
import type { KubeObject } from '../kube/objects.js';
import { type ObjectRef, refKey, refOf, resourceOf } from '../kube/refs.js';
import { keepingWebhookUrls } from '../kube/webhooks.js';
import { dryRunApply, listObjects } from '../tools/kubectl.js';

export interface ObjectDrift {
  ref: ObjectRef;
  changes: FieldChange[];
}

export interface Wanted {
  /** The object as meshup applies it. */
  object: Record<string, unknown>;
  fieldManager: string;
}

export interface DriftRead {
  drift: ObjectDrift[];
  /** Objects a person marked meshup.dev/leave-alone: not compared. */
  leftAlone: ObjectRef[];
  /** Objects whose dry-run apply the API server refused (meshup's version of it would be invalid
   * as the object stands now, say): not compared, and said, with the server's words. */
  uncompared: { ref: ObjectRef; why: string }[];
}

export interface DriftFacts {
  /** "Deployment/ns/name" of workloads an HPA scales: their replicas are the HPA's. */
  scaledByHpa: ReadonlySet<string>;
}

/** Managers whose changes to what meshup applied are by design: istioctl's own after-install
 * updates (it deactivates the per-revision selectors of the injector webhook once the default
 * tag's webhook exists), istiod's (its CA in the webhooks, its validator's failurePolicy), and
 * Kubernetes' controllers (an HPA's replicas). */
const CONTROLLERS: ReadonlySet<string> = new Set(['istioctl', 'pilot-discovery', 'kube-controller-manager']);

const byController = (c: FieldChange) => !!c.by && CONTROLLERS.has(c.by.split(' ')[0]!);

/** What controllers change by design in objects meshup applies. */
function ignoredBy(o: KubeObject, facts: DriftFacts): (path: string) => boolean {
  const webhooks = o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration';
  const scaled = facts.scaledByHpa.has(refKey({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
  return (path) =>
    // istiod writes its CA into its webhooks, and turns its validator's failurePolicy to Fail once it serves.
    (webhooks && /^webhooks\[[^\]]+\]\.(clientConfig\.caBundle|failurePolicy)$/.test(path)) ||
    // istioctl's install labels each object with its component; its rendering does not always.
    path === 'metadata.labels.operator.istio.io/component' ||
    (scaled && path === 'spec.replicas');
}

const key = (o: { kind?: string; metadata?: { name?: string; namespace?: string } } | Record<string, unknown>) => {
  const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return refKey({ kind: String(o.kind), namespace: md.namespace, name: String(md.name) });
};

/**
 * The drift of each wanted object that exists, read in one round: the live objects listed by
 * kind (and namespace), and one dry-run apply per field manager. Objects that are missing, not
 * meshup's, or marked to be left alone are skipped (the first two are the plan's other concerns).
 */
export async function readDrift(runner: Runner, wanted: readonly Wanted[], facts: DriftFacts): Promise<DriftRead> {
  if (!wanted.length) return { drift: [], leftAlone: [], uncompared: [] };
  const groups = new Map<string, { resource: string; namespace?: string }>();
  for (const w of wanted) {
    const r = refOf(w.object);
    groups.set(`${resourceOf(r)}/${r.namespace ?? ''}`, { resource: resourceOf(r), namespace: r.namespace });
  }
  const lists = await Promise.all([...groups.values()].map((g) => listObjects(runner, g.resource, g.namespace ? { namespace: g.namespace } : {})));
  const live = new Map(lists.flat().map((o) => [key(o), o]));
  const marked = (w: Wanted) => live.get(key(w.object))?.metadata.annotations?.[LEAVE_ALONE_ANNOTATION] === 'true';
  const present = wanted.filter((w) => live.has(key(w.object)) && !marked(w));
  const managers = [...new Set(present.map((w) => w.fieldManager))];
  const answers = await Promise.all(
    managers.map(async (m) => {
      const mine = present.filter((w) => w.fieldManager === m);
      const results = await dryRunApply(
        runner,
        mine.map((w) => keepingWebhookUrls(w.object, live.get(key(w.object)))),
        'Comparing what meshup applied with what the cluster holds',
        m,
      );
      return mine.map((w, i) => [w, results[i]!] as const);
    }),
  );
  const drift: ObjectDrift[] = [];
  const uncompared: DriftRead['uncompared'] = [];
  for (const [w, would] of answers.flat()) {
    if ('refused' in would) {
      uncompared.push({ ref: refOf(w.object), why: String(would.refused) });
      continue;
    }
    const o = live.get(key(w.object))!;
    const changes = diffObjects(o, would, ignoredBy(o, facts)).filter((c) => !byController(c));
    if (changes.length) drift.push({ ref: refOf(w.object), changes });
  }
  return { drift, leftAlone: wanted.filter(marked).map((w) => refOf(w.object)), uncompared };
}

/** Which workloads an HPA scales, from the HPAs read. */
export function hpaTargets(hpas: readonly KubeObject[]): Set<string> {
  return new Set(
    hpas.flatMap((h) => {
      const t = (h.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
      return t?.kind && t.name ? [refKey({ kind: t.kind, namespace: h.metadata.namespace, name: t.name })] : [];
    }),
  );
}
