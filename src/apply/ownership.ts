// Before meshup applies objects under names it chose, it reads what is there: an object of the
// same name that is not meshup's (kube/ownership.ts says by what evidence) is refused, unless the
// user said --adopt, never silently taken over; and meshup deletes only what is its own. Every
// command that makes or removes named objects goes through here.
import { OwnershipError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf, type Mark, objectLabel } from '../kube/ownership.js';
import { getObject } from '../tools/kubectl.js';

export interface Named {
  /** kubectl's resource name: "httproutes.gateway.networking.k8s.io", "configmap"... */
  resource: string;
  name: string;
  namespace?: string;
  mark: Mark;
}

/** Each named object as it is, with whether it is meshup's. */
async function claims(runner: Runner, named: readonly Named[]): Promise<{ named: Named; object?: KubeObject; claim: ReturnType<typeof claimOf> }[]> {
  return Promise.all(
    named.map(async (n) => {
      const object = await getObject(runner, n.resource, n.name, n.namespace);
      return { named: n, object, claim: claimOf(object, n.mark) };
    }),
  );
}

/** Refuses, before anything changes, to apply over objects that are not meshup's; `adopt` takes them. */
export async function refuseForeign(runner: Runner, named: readonly Named[], o: { adopt: boolean; what: string; rename?: string }): Promise<void> {
  if (o.adopt) return;
  const foreign = (await claims(runner, named)).filter((c) => c.claim === 'foreign');
  if (!foreign.length) return;
  const list = foreign.map((c) => objectLabel(c.object!));
  throw new OwnershipError(
    `${list.join(', ')} ${foreign.length > 1 ? 'exist' : 'exists'} and ${foreign.length > 1 ? 'are' : 'is'} not meshup's: ${o.what} would take ${foreign.length > 1 ? 'them' : 'it'} over`,
    {
      details: ['meshup changes only what it made (its label, set by its own apply); nothing was changed.'],
      fix: [...(o.rename ? [o.rename] : []), 'or let meshup take it over (and later remove it) with --adopt'],
    },
  );
}
