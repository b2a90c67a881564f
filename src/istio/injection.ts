// How a namespace joins the mesh: a sidecar-injection label, or ambient enrolment. meshup marks
// every namespace it labels, and removes only labels that carry its marker, so a label a user set
// by hand is never stripped.
import type { Dataplane } from '../config/schema.js';
import type { Runner } from '../exec/runner.js';
import { apply, label } from '../tools/kubectl.js';
import { INJECTION_MARKER } from './labels.js';

export const SIDECAR_LABEL = 'istio-injection';
export const REVISION_LABEL = 'istio.io/rev';
/** Ambient enrolment (istio.io docs, "Add workloads to the mesh"). */
export const AMBIENT_LABEL = 'istio.io/dataplane-mode';

/** The labels that put a namespace in the mesh in a mode. */
function meshLabels(mode: Dataplane, revision?: string): Record<string, string> {
  if (mode === 'ambient') return { [AMBIENT_LABEL]: 'ambient' };
  return revision ? { [REVISION_LABEL]: revision } : { [SIDECAR_LABEL]: 'enabled' };
}

/** Which mode a namespace's labels put it in, if any. A sidecar label wins: injected pods are
 * skipped by ztunnel. */
export function modeOf(labels: Record<string, string> | undefined): Dataplane | undefined {
  if (!labels) return undefined;
  if (labels[SIDECAR_LABEL] === 'enabled' || labels[REVISION_LABEL]) return 'sidecar';
  if (labels[AMBIENT_LABEL] === 'ambient') return 'ambient';
  return undefined;
}

/** The labels of the other mode, as `kubectl label` removals: what a switch takes away. */
export function otherModeRemovals(mode: Dataplane): string[] {
  return mode === 'ambient' ? [`${SIDECAR_LABEL}-`, `${REVISION_LABEL}-`] : [`${AMBIENT_LABEL}-`];
}

/** The namespaces, labelled and marked, as one manifest: applying it creates missing ones. */
export function injectionManifest(namespaces: readonly string[], mode: Dataplane = 'sidecar', revision?: string): string {
  return namespaces
    .map((name) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...meshLabels(mode, revision), [INJECTION_MARKER]: 'true' } } }),
    )
    .join('\n---\n');
}

/** Creates missing namespaces and labels them, in one server-side apply; namespaces switching
 * mode lose the other mode's labels (meshup's own: they carry its marker). */
export async function enableInjection(runner: Runner, namespaces: string[], mode: Dataplane = 'sidecar', switching: readonly string[] = []): Promise<void> {
  if (!namespaces.length) return;
  const what = mode === 'ambient' ? 'Enrolling in ambient mode' : 'Enabling sidecar injection in';
  await apply(runner, injectionManifest(namespaces, mode), `${what} ${namespaces.join(', ')}`);
  for (const ns of switching) {
    await label(runner, 'namespace', ns, Object.fromEntries(otherModeRemovals(mode).map((l) => [l.slice(0, -1), null])));
  }
}

export async function disableInjection(runner: Runner, namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    await label(runner, 'namespace', ns, { [SIDECAR_LABEL]: null, [REVISION_LABEL]: null, [AMBIENT_LABEL]: null, [INJECTION_MARKER]: null });
  }
}
