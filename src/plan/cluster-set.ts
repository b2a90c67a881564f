// What the clusters of one mesh share on this machine: meshup's registry containers (and the
// Docker network they join, and the images put in them) are the machine's, not one cluster's.
// Planned once, for the first cluster that needs them; the others only point their nodes at them.
// Pure.
import { type Action, changes, type Plan } from './types.js';

export function shareMachineWork(plans: readonly Plan[]): Plan[] {
  let registriesBy: number | undefined;
  let prefetchBy: number | undefined;
  const connected = new Set<string>();
  return plans.map((p, i) => {
    const actions = p.actions.flatMap((a): Action[] => {
      if (!changes(a)) return [a];
      if (a.op.type === 'registries') {
        if (registriesBy === undefined) registriesBy = i;
        return registriesBy === i ? [a] : [];
      }
      if (a.op.type === 'prefetch') {
        if (prefetchBy === undefined) prefetchBy = i;
        return prefetchBy === i ? [a] : [];
      }
      if (a.op.type === 'registry-wiring' && a.op.network) {
        const network = a.op.network;
        const connect = a.op.connect.filter((c) => !connected.has(`${network}\0${c}`));
        for (const c of connect) connected.add(`${network}\0${c}`);
        return [{ ...a, op: { ...a.op, connect } }];
      }
      return [a];
    });
    return { ...p, actions };
  });
}
