// What a cluster must have: the profile's size plus each chosen addon's footprint. A size the user
// gave by hand is taken as it is: it is what they asked the cluster to have.

import { parseMiB } from '../config/quantity.js';
import type { Addon } from '../config/schema.js';
import type { Resources } from '../config/spec.js';

export function computeNeed(base: Resources, addons: readonly Addon[], byHand: { cpus?: boolean; memory?: boolean } = {}): Resources {
  const cpuMillis = addons.reduce((s, a) => s + a.footprint.cpuMillis, 0);
  const memoryMiB = addons.reduce((s, a) => s + (parseMiB(a.footprint.memory) ?? 0), 0);
  return {
    // VMs take whole CPUs.
    cpus: byHand.cpus ? base.cpus : Math.ceil(base.cpus + cpuMillis / 1000),
    memoryMiB: byHand.memory ? base.memoryMiB : base.memoryMiB + memoryMiB,
    diskMiB: base.diskMiB,
  };
}
