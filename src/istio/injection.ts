// Sidecar injection labels. meshup marks every namespace it labels, and removes only labels that
// carry its marker, so a label a user set by hand is never stripped.
import type { Runner } from '../exec/runner.js';
import { apply, label } from '../tools/kubectl.js';
import { INJECTION_MARKER } from './labels.js';

function injectionLabels(revision?: string): Record<string, string> {
  return revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };
}

/** The namespaces, labelled and marked, as one manifest: applying it creates missing ones. */
export function injectionManifest(namespaces: readonly string[], revision?: string): string {
  return namespaces
    .map((name) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...injectionLabels(revision), [INJECTION_MARKER]: 'true' } } }),
    )
    .join('\n---\n');
}

/** Creates missing namespaces and labels them, in one server-side apply. */
export async function enableInjection(runner: Runner, namespaces: string[], revision?: string): Promise<void> {
  if (!namespaces.length) return;
  await apply(runner, injectionManifest(namespaces, revision), `Enabling sidecar injection in ${namespaces.join(', ')}`);
}

export async function disableInjection(runner: Runner, namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    await label(runner, 'namespace', ns, { 'istio-injection': null, 'istio.io/rev': null, [INJECTION_MARKER]: null });
  }
}
