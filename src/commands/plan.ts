// meshup plan: what `meshup up` would change, as a diff and the exact commands, or as JSON.
// Exit status: 0 when nothing would change, 10 when changes are pending (other codes: errors).

import { ExitCode, PreflightError } from '../errors.js';
import { planJson, renderPlan } from '../plan/render.js';
import { changes } from '../plan/types.js';
import type { App } from '../session/app.js';
import { clusterSetOf, type SetInScope } from '../session/cluster-set.js';
import { checkPreconditions, prepare } from '../session/converge.js';

export async function planCommand(app: App): Promise<number> {
  const scope = await clusterSetOf(app);
  if (scope) return planSet(app, scope);
  const prepared = await prepare(app, { preflight: true });
  const { spec, plan, target } = prepared;
  // The plan is shown whatever the preconditions say; a failing one then ends it as `up` would.
  app.out.print(renderPlan(plan, `Plan for ${target.provider.name} cluster "${spec.clusterName}" (context ${target.context}):`, app.out.c, { commands: true }));
  if (plan.unread) {
    app.out.result({ provider: spec.provider, cluster: spec.clusterName, context: target.context, ...planJson(plan) });
    throw new PreflightError(`Cannot plan: ${plan.unread}`, {
      fix: 'Start it with meshup up (it reads the cluster again before changing anything in it), or look at it with meshup status',
    });
  }
  const notes = await checkPreconditions(prepared);
  const pending = plan.actions.some((a) => changes(a));
  app.out.result({ provider: spec.provider, cluster: spec.clusterName, context: target.context, ...planJson(plan), notes });
  for (const n of notes) app.out.warn(n);
  return pending ? ExitCode.changesPending : ExitCode.ok;
}

/** Each cluster's plan, then what spans them (the remote secrets), as one: exit 10 if any changes. */
async function planSet(app: App, scope: SetInScope): Promise<number> {
  const { prepareSet, acrossAsPlan } = await import('../session/mesh-set.js');
  const { printPlans } = await import('./up-set.js');
  const ps = await prepareSet(app, scope, { preflight: true });
  printPlans(app, ps);
  const notes: string[] = [];
  for (const m of ps.members) {
    if (m.prepared.plan.unread) continue;
    notes.push(...(await checkPreconditions(m.prepared)).map((n) => `${m.prepared.spec.clusterName}: ${n}`));
  }
  const across = acrossAsPlan(ps.across, ps.members[0]!.prepared.plan);
  app.out.result({
    meshId: ps.set.meshId,
    clusters: ps.members.map(({ prepared: p }) => ({ provider: p.spec.provider, cluster: p.spec.clusterName, context: p.target.context, ...planJson(p.plan) })),
    across: planJson(across),
    notes,
  });
  for (const n of notes) app.out.warn(n);
  const pending = ps.members.some((m) => m.prepared.plan.actions.some(changes)) || across.actions.some(changes);
  return pending ? ExitCode.changesPending : ExitCode.ok;
}
