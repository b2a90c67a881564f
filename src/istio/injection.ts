// How a namespace joins the mesh: a sidecar-injection label, or ambient enrolment. meshup marks
// every namespace it labels, and removes only labels that carry its marker, so a label a user set
// by hand is never stripped.
import type { Dataplane } from '../config/schema.js';
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
