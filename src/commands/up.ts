// meshup up: from nothing (or anything) to a working mesh. It decides before it acts:
// spec (answers asked first) → preconditions → one round of reads → plan → apply. A converged
// cluster is verified object by object and nothing is changed; drift becomes planned repairs.

import { lookupIngress } from '../ingress/lookup.js';
import type { IngressResult } from '../ingress/resolve.js';
import { planJson, renderPlan } from '../plan/render.js';
import { changes } from '../plan/types.js';
import type { App } from '../session/app.js';
import { checkPreconditions, confirmRisky, type Prepared, prepare } from '../session/converge.js';
import { writeLastTarget } from '../state/target.js';
import { runSteps, type StepResult } from '../ui/tasks.js';

export async function up(app: App): Promise<void> {
  let prepared = await prepare(app, { ask: true, preflight: true });
  const { restoreContext } = prepared.target.provider;
  if (prepared.observed.cluster.contextMissing && restoreContext && !app.switches.dryRun) {
    // Writing the context back changes no cluster, and nothing can be read without it.
    app.out.log(`The kube context of ${prepared.target.provider.name} cluster ${prepared.spec.clusterName} is missing; restoring it`);
    await restoreContext(prepared.target.runner, prepared.spec);
    prepared = await prepare(app, { layers: prepared.layers, preflight: true });
  }
  const { spec, plan, target } = prepared;
  const { out } = app;
  const header = `Plan for ${target.provider.name} cluster "${spec.clusterName}" (context ${target.context}):`;

  let notes: string[] = [];
  // Filled as the steps run: under --json, a failed run still says which steps ran and how.
  const steps: StepResult[] = [];
  let ingress: IngressResult | undefined;
  let ok = false;
  try {
    if (!app.switches.dryRun) await confirmRisky(app, prepared);
    notes = await checkPreconditions(prepared);
    if (spec.addedDependencies.length) notes.unshift(`also enabling ${spec.addedDependencies.join(', ')} (needed by another addon)`);
    if (app.switches.dryRun) {
      out.print(renderPlan(plan, header, out.c, { commands: true }));
      out.print('Dry run: nothing was changed.');
      ok = true;
      return;
    }
    if (plan.actions.some(changes)) {
      const { applyTasks } = await import('../apply/apply.js');
      const { tasks, gates, facts } = applyTasks({ ...target, spec, plan, observed: prepared.observed, meshupVersion: app.version });
      // Read while the last steps (istioctl's pruning, the record) still run, once the cluster is
      // ready and the control plane's step is done or its ingress is in; never settles when the
      // control plane's step fails first, and is then not waited for.
      const readable = Promise.all([gates.opens('cluster-ready'), Promise.race([gates.opens('istio-done'), gates.opens('ingress-in')])]);
      const looking = readable.then(() => gateway(prepared, facts.istioChanged));
      await runSteps(app.io, app.switches.json, tasks, {}, steps);
      ingress = await looking;
    } else {
      out.log(`Verified ${plan.actions.length} parts of the mesh: nothing to change.`);
      ingress = await gateway(prepared, false);
    }
    await writeLastTarget(app.io.env, { provider: spec.provider, clusterName: spec.clusterName, context: target.context });
    ok = true;
  } finally {
    if (app.switches.json) {
      out.result({
        ok,
        dryRun: app.switches.dryRun,
        provider: spec.provider,
        cluster: spec.clusterName,
        context: target.context,
        profile: spec.profile.name,
        istioVersion: spec.istioVersion,
        addons: spec.addons,
        namespaces: spec.namespaces,
        dataplane: spec.dataplane,
        need: spec.need,
        preflight: prepared.findings,
        plan: planJson(plan),
        steps,
        ingress,
        commands: target.runner.history.filter((c) => c.mutates).map((c) => ({ command: c.command, skipped: c.skipped })),
        notes,
      });
    }
  }
  for (const n of notes) out.warn(n);
  if (app.switches.dryRun) return;
  out.print('');
  out.print(out.c.green(`Mesh ready on ${spec.provider} cluster "${spec.clusterName}" (context ${target.context})`));
  out.print(`  profile    ${spec.profile.name}, Istio ${spec.istioVersion}, ${spec.dataplane} dataplane`);
  out.print(`  ${spec.dataplane === 'ambient' ? 'ambient  ' : 'injection'}  ${spec.namespaces.length ? spec.namespaces.join(', ') : 'none'}`);
  out.print(`  addons     ${spec.addons.length ? spec.addons.join(', ') : 'none'}`);
  if (ingress) {
    out.print(`  gateway    ${ingress.url ?? ingress.message}`);
    if (ingress.hint) out.print(`             ${ingress.hint}`);
  }
}

/** The gateway's address, from what was read unless the control plane changed since: Istio's
 * classic gateway, or the Gateway API gateway `meshup expose` deploys on meshes without one. */
async function gateway(p: Prepared, istioChanged: boolean): Promise<IngressResult | undefined> {
  const { runner, provider, context } = p.target;
  const known = istioChanged || !p.observed.reachable ? {} : { nodes: p.observed.nodes, istio: p.observed.istio.objects, hostPorts: p.observed.hostPorts };
  return lookupIngress(runner, p.spec, provider, context, known).catch(() =>
    p.spec.gateway.ingress ? undefined : { how: 'none', reachable: false, message: 'none yet: meshup expose SERVICE routes one through the Gateway API' },
  );
}
