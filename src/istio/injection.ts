// Sidecar injection labels. meshup marks every namespace it labels, and removes only labels that
// carry its marker, so a label a user set by hand is never stripped.
import type { Runner } from '../exec/runner.js';
import { apply, label, listObjects, type KubeObject } from '../tools/kubectl.js';
import { INJECTION_MARKER } from './labels.js';

export interface InjectionPlan {
  enable: string[];
  disable: string[];
  unchanged: string[];
}

export function injectionLabels(revision?: string): Record<string, string> {
  return revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };
}

export function planInjection(namespaces: KubeObject[], wanted: string[], revision?: string): InjectionPlan {
  const want = injectionLabels(revision);
  const byName = new Map(namespaces.map((n) => [n.metadata.name, n]));
  const plan: InjectionPlan = { enable: [], disable: [], unchanged: [] };
  for (const ns of wanted) {
    const labels = byName.get(ns)?.metadata.labels ?? {};
    const has = Object.entries(want).every(([k, v]) => labels[k] === v);
    (has ? plan.unchanged : plan.enable).push(ns);
  }
  for (const n of namespaces) {
    if (n.metadata.labels?.[INJECTION_MARKER] && !wanted.includes(n.metadata.name)) plan.disable.push(n.metadata.name);
  }
  return plan;
}

/** Creates missing namespaces and labels them, in one server-side apply. */
export async function enableInjection(runner: Runner, namespaces: string[], revision?: string): Promise<void> {
  if (!namespaces.length) return;
  const docs = namespaces.map((name) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...injectionLabels(revision), [INJECTION_MARKER]: 'true' } } }),
  );
  await apply(runner, docs.join('\n---\n'), `Enabling sidecar injection in ${namespaces.join(', ')}`);
}

export async function disableInjection(runner: Runner, namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    await label(runner, 'namespace', ns, { 'istio-injection': null, 'istio.io/rev': null, [INJECTION_MARKER]: null });
  }
}

export async function listNamespaces(runner: Runner): Promise<KubeObject[]> {
  return listObjects(runner, 'namespaces');
}
