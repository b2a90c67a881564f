// A spec resolved the way commands resolve it, for in-process tests: the bundled profiles and
// addons, no config file unless a cwd holds one, and no provider tool installed.
import { loadAddonCatalog } from '../../src/config/catalog.js';
import type { Flags } from '../../src/config/flags.js';
import { resolveSpec, type SpecInput } from '../../src/config/spec.js';

export async function specFor(flags: Flags = {}, more: Partial<SpecInput> = {}) {
  const catalog = await loadAddonCatalog();
  return resolveSpec({ flags, env: {}, cwd: '/nonexistent-meshup-cwd', catalog, installedProviders: ['kind'], ...more });
}
