// A spec resolved the way commands resolve it, for in-process tests: the bundled profiles and
// addons, no config file unless a cwd holds one, and no provider tool installed.
import type { Flags } from '../../src/config/flags.js';
import { Sources } from '../../src/session/sources.js';
import { resolveSpec, type SpecInput } from '../../src/session/spec.js';

/** The registry containers are off unless a test turns them on (test/unit/registries.test.ts):
 * the planners of other concerns are tested alone. */
export async function specFor(flags: Flags = {}, more: Partial<SpecInput> = {}) {
  const input: SpecInput = {
    flags: { cache: false, localRegistry: false, ...flags },
    env: {},
    cwd: '/nonexistent-meshup-cwd',
    installedProviders: ['kind'],
    ...more,
  };
  // No HOME of this machine: the cluster meshup last used is what a test says, or none.
  const sources = new Sources({ ...input.env, HOME: '/nonexistent-meshup-home', XDG_STATE_HOME: '' }, input.cwd, flags);
  return resolveSpec(sources, input);
}
