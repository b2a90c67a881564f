// Reading an addon's manifest from an extracted Istio release.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Addon } from '../config/schema.js';
import { MeshupError } from '../errors.js';
import { type AddonManifest, partnersOf, splitManifest } from './manifest.js';

/** An addon's objects from the release, set up for the partner addons enabled with it. */
export async function readAddonManifest(releaseDir: string, addon: Addon, version: string, enabled: readonly string[] = []): Promise<AddonManifest> {
  const file = join(releaseDir, addon.manifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MeshupError(`Istio ${version} ships no ${addon.manifest}, so meshup cannot install ${addon.name} for it`, {
      fix: [`Disable it (--addons without ${addon.name}), or use an Istio version that has it`],
    });
  }
  return splitManifest(addon, text, file, partnersOf(addon, enabled));
}
