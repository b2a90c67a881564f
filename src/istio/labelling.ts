// Putting namespaces into the mesh and taking them out: the labels of istio/injection.ts, applied.
import type { Dataplane } from '../config/schema.js';
import type { Runner } from '../exec/runner.js';
import { apply, label } from '../tools/kubectl.js';
import { AMBIENT_LABEL, injectionManifest, otherModeRemovals, REVISION_LABEL, SIDECAR_LABEL } from './injection.js';
import { INJECTION_MARKER } from './labels.js';

/** Creates missing namespaces and labels them, in one server-side apply; namespaces switching
 * mode lose the other mode's labels (meshup's own: they carry its marker). */
export async function enableInjection(
  runner: Runner,
  namespaces: string[],
  mode: Dataplane = 'sidecar',
  switching: readonly string[] = [],
  revision?: string,
): Promise<void> {
  if (!namespaces.length) return;
  const what = mode === 'ambient' ? 'Enrolling in ambient mode' : 'Enabling sidecar injection in';
  await apply(runner, injectionManifest(namespaces, mode, revision), `${what} ${namespaces.join(', ')}`);
  for (const ns of switching) {
    await label(runner, 'namespace', ns, Object.fromEntries(otherModeRemovals(mode).map((l) => [l.slice(0, -1), null])));
  }
}

export async function disableInjection(runner: Runner, namespaces: string[]): Promise<void> {
  for (const ns of namespaces) {
    await label(runner, 'namespace', ns, { [SIDECAR_LABEL]: null, [REVISION_LABEL]: null, [AMBIENT_LABEL]: null, [INJECTION_MARKER]: null });
  }
}
