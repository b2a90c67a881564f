// meshup up: from nothing (or anything) to a working mesh. It decides before it acts:
// spec (answers asked first) → preconditions → one round of reads → plan → apply. A converged
// cluster is verified object by object and nothing is changed; drift becomes planned repairs.

import { cacheDir, stateDir } from '../config/paths.js';
import { MeshupError, UsageError } from '../errors.js';
import { type Proof, proofLine, proveIngress } from '../ingress/probe.js';
import type { IngressResult } from '../ingress/resolve.js';
import { planJson, renderPlan } from '../plan/render.js';
import { changes } from '../plan/types.js';
import type { App } from '../session/app.js';
import { clusterSetOf } from '../session/cluster-set.js';
import { checkPreconditions, confirmRisky, type Prepared, prepare } from '../session/converge.js';
import { gateway, refuseUnhealthy } from '../session/outcome.js';
import { commandLine, writing } from '../session/writer.js';
import { notWritable } from '../state/lock.js';
import { writeLastTarget } from '../state/target.js';
import { runSteps, type StepResult, type StepTask } from '../ui/tasks.js';

export function up(app: App): Promise<void> {
  return writing(app, commandLine(app, 'up'), async () => {
    // Several clusters that form one mesh: each converged as below, side by side, then joined.
    const scope = await clusterSetOf(app);
    if (!scope && app.switches.rotateCa) {
      throw new UsageError("--rotate-ca makes a multi-cluster mesh's shared root again; a lone cluster's istiod keeps a CA of its own", {
        fix: 'Drop --rotate-ca, or name the mesh: --clusters 2 (or clusters: in meshup.yaml)',
      });
    }
    if (!scope) return converge(app);
    const { convergeSet } = await import('./up-set.js');
    return convergeSet(app, scope);
  });
}

export async function converge(app: App): Promise<void> {
  let prepared = await prepare(app, { ask: true, preflight: true });
  const { restoreContext } = prepared.target.provider;
  if (prepared.observed.cluster.contextMissing && restoreContext && !app.switches.dryRun) {
    // Writing the context back changes no cluster, and nothing can be read without it.
    app.out.log(`The kube context of ${prepared.target.provider.name} cluster ${prepared.spec.clusterName} is missing; restoring it`);
    await restoreContext(prepared.target.runner, prepared.spec);
    prepared = await prepare(app, { layers: prepared.layers, preflight: true });
  }
  if (prepared.plan.unread && !app.switches.dryRun) {
    // The cluster first (its plan is nothing else), then a plan made from what it really holds.
    await checkPreconditions(prepared);
    const { applyTasks } = await import('../apply/apply.js');
    const { tasks } = applyTasks({ ...prepared.target, spec: prepared.spec, plan: prepared.plan, observed: prepared.observed, meshupVersion: app.version });
    // A first change too: remembered, as unfinished, before it (see below).
    await remember(app, prepared, { since: new Date().toISOString() });
    await runSteps(app.io, app.switches.json, tasks, {});
    prepared = await prepare(app, { layers: prepared.layers, preflight: true });
  }
  const { spec, plan, target } = prepared;
  const { out } = app;
  const header = `Plan for ${target.provider.name} cluster "${spec.clusterName}" (context ${target.context}):`;

  let notes: string[] = [];
  // Filled as the steps run: under --json, a failed run still says which steps ran and how.
  const steps: StepResult[] = [];
  let ingress: IngressResult | undefined;
  let proof: Proof | undefined;
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
      // Remembered before the first change, as unfinished: an `up` stopped from here on leaves a
      // cluster that `status` and `down` find without flags.
      await remember(app, prepared, { since: new Date().toISOString() });
      await runSteps(app.io, app.switches.json, tasks, {}, steps).catch((e: unknown) => {
        throw stoppedPartway(app, e, tasks, steps);
      });
      ingress = await looking;
    } else {
      out.log(`Verified ${plan.actions.length} parts of the mesh: nothing to change.`);
      ingress = await gateway(prepared, false);
    }
    // What was applied may still not work (a workload that rolled out to no ready pod): said as it is.
    await refuseUnhealthy(prepared, plan.actions.some(changes));
    // The URL is called reachable once a request through it was answered.
    if (ingress) {
      const { provider } = target;
      proof = await proveIngress(
        ingress,
        { reach: provider.ingress, providerName: provider.name, clusterName: spec.clusterName, context: target.context },
        app.signal,
      );
    }
    await remember(app, prepared);
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
        probe: proof,
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
  if (spec.localRegistryPort && target.provider.registryWiring?.registries === 'any') {
    out.print(
      `  registry   localhost:${spec.localRegistryPort}   (docker push localhost:${spec.localRegistryPort}/app, then --image localhost:${spec.localRegistryPort}/app)`,
    );
  }
  if (ingress) {
    out.print(`  gateway    ${ingress.url ?? ingress.message}`);
    if (ingress.hint) out.print(`             ${ingress.hint}`);
    if (proof) out.print(`             ${proofLine(proof)}${proof.fix ? `\n             fix: ${proof.fix}` : ''}`);
  }
}

/** Writes the last target: unfinished before the first change (a failure then stops `up` before
 * it changes anything), finished at the end (a failure then only warns: the mesh is ready). */
async function remember(app: App, { spec, target }: Prepared, incomplete?: { since: string }): Promise<void> {
  try {
    await writeLastTarget(app.io.env, {
      provider: spec.provider,
      clusterName: spec.clusterName,
      context: target.context,
      ...(incomplete ? { incomplete } : {}),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    if (incomplete) throw notWritable(stateDir(app.io.env), code, 'XDG_STATE_HOME');
    app.out.warn(`meshup could not note in ${stateDir(app.io.env)} that this up finished (${code}); meshup status may say it did not`);
  }
}

/**
 * A failure once changes have begun names what was done and what was not, and that running
 * `meshup up` again does the rest (each step is planned from what the cluster then holds).
 * Ctrl-C keeps its own message and exit code; the same account goes to stderr first.
 */
function stoppedPartway(app: App, e: unknown, tasks: StepTask<object>[], results: StepResult[]): unknown {
  const leaves = tasks.flatMap((t) => t.children?.({}) ?? [t]).map((t) => t.title);
  const of = (title: string) => results.find((r) => r.title === title);
  const done = leaves.filter((t) => of(t)?.status === 'done');
  const failed = leaves.filter((t) => of(t)?.status === 'failed');
  const notDone = leaves.filter((t) => !of(t) || of(t)!.status === 'skipped').map((t) => (of(t)?.note ? `${t} (skipped: ${of(t)!.note})` : t));
  const account = [
    `done: ${done.join('; ') || 'nothing'}`,
    ...(failed.length ? [`failed: ${failed.join('; ')}`] : []),
    `not done: ${notDone.join('; ') || 'nothing'}`,
  ];
  const again = 'Run meshup up again: it keeps what was done and does the rest';
  if (app.signal.aborted) {
    for (const line of account) app.out.log(line);
    app.out.log(again);
    return e;
  }
  const text = e instanceof Error ? `${e.message}\n${e instanceof MeshupError ? e.details.join('\n') : ''}` : String(e);
  const full = /ENOSPC|no space left/i.test(text) ? [`Free disk space first (meshup keeps its downloads in ${cacheDir(app.io.env)})`] : [];
  if (e instanceof MeshupError) {
    e.details.push(...account);
    e.fix.unshift(...full);
    if (!e.fix.includes(again)) e.fix.push(again);
    return e;
  }
  return new MeshupError(`meshup up stopped partway: ${e instanceof Error ? e.message : String(e)}`, { details: account, fix: [...full, again] });
}
