// What a cluster must have: the profile's size plus each chosen addon's footprint.

import { parseMiB } from '../config/quantity.js';
import type { Addon } from '../config/schema.js';
import type { Resources } from '../config/spec.js';

export function computeNeed(base: Resources, addons: readonly Addon[]): Resources {
  const cpuMillis = addons.reduce((s, a) => s + a.footprint.cpuMillis, 0);
  const memoryMiB = addons.reduce((s, a) => s + (parseMiB(a.footprint.memory) ?? 0), 0);
  return {
    // VMs take whole CPUs.
    cpus: Math.ceil(base.cpus + cpuMillis / 1000),
    memoryMiB: base.memoryMiB + memoryMiB,
    diskMiB: base.diskMiB,
  };
}
