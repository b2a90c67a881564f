// meshup up for several clusters that form one mesh (multi-primary): every member is prepared and
// planned as one cluster would be, with the machine's shared work planned once; the clusters are
// then made and converged side by side (the slowest decides the time, not the sum), each with the
// mesh's intermediate CA in before its istiod starts; then each is given a remote secret for every
// other one, at the address that other one reaches it at. A second run verifies all of it.
import { MeshupError, OwnershipError, PreflightError } from '../errors.js';
import { type Proof, proofLine, proveIngress } from '../ingress/probe.js';
import type { IngressResult } from '../ingress/resolve.js';
import { acquireIstio } from '../istio/acquire.js';
import { planJson, renderPlan } from '../plan/render.js';
import { blockerText, changes } from '../plan/types.js';
import type { App } from '../session/app.js';
import type { SetInScope } from '../session/cluster-set.js';
import { checkPreconditions, confirmRisky } from '../session/converge.js';
import { acrossAsPlan, afterApply, type PreparedSet, prepareSet } from '../session/mesh-set.js';
import { gateway, refuseUnhealthy } from '../session/outcome.js';
import { writeLastTarget } from '../state/target.js';
import { ensureRoot } from '../trust/ca.js';
import { runSteps, type StepResult, type StepTask } from '../ui/tasks.js';

export async function convergeSet(app: App, scope: SetInScope): Promise<void> {
  const { out } = app;
  let ps = await prepareSet(app, scope, { ask: true, preflight: true });
  // A member that exists but does not answer is started first, then every plan is made again.
  const unread = ps.members.filter((m) => m.prepared.plan.unread);
  if (unread.length && !app.switches.dryRun) {
    const { applyTasks } = await import('../apply/apply.js');
    for (const m of unread) {
      await checkPreconditions(m.prepared);
      const { tasks } = applyTasks({
        ...m.prepared.target,
        spec: m.prepared.spec,
        plan: m.prepared.plan,
        observed: m.prepared.observed,
        meshupVersion: app.version,
      });
      await runSteps(app.io, app.switches.json, tasks, {});
    }
    ps = await prepareSet(app, scope, { layers: ps.members[0]!.prepared.layers, preflight: true });
  }
  const notes: string[] = [];
  for (const m of ps.members) notes.push(...(await checkPreconditions(m.prepared)).map((n) => `${m.prepared.spec.clusterName}: ${n}`));
  refuseBlocked(ps);
  if (app.switches.dryRun) {
    printPlans(app, ps);
    out.print('Dry run: nothing was changed.');
    out.result({
      dryRun: true,
      meshId: ps.set.meshId,
      clusters: ps.members.map((m) => ({ cluster: m.prepared.spec.clusterName, ...planJson(m.prepared.plan) })),
      across: planJson(acrossAsPlan(ps.across, ps.members[0]!.prepared.plan)),
    });
    return;
  }
  for (const m of ps.members) await confirmRisky(m.app, m.prepared);
  const steps: StepResult[] = [];
  const memberChanges = ps.members.some((m) => m.prepared.plan.actions.some(changes));
  if (memberChanges || ps.across.actions.some(changes)) await remember(app, ps, true);
  if (memberChanges) {
    // One root for every cluster, made before they start: their intermediates are signed by it
    // side by side.
    if (ps.members.some((m) => m.prepared.plan.actions.some((a) => changes(a) && a.op.type === 'trust')))
      await ensureRoot(app.runner(), { rotate: app.switches.rotateCa });
    const { applyTasks } = await import('../apply/apply.js');
    const tasks: StepTask<object>[] = ps.members.map(({ prepared: p }) => {
      const { tasks: inner } = applyTasks({ ...p.target, spec: p.spec, plan: p.plan, observed: p.observed, meshupVersion: app.version });
      return { title: `Cluster ${p.spec.clusterName}`, run: async () => undefined, children: () => inner, concurrent: false };
    });
    await runSteps(
      app.io,
      app.switches.json,
      [{ title: `Clusters of mesh ${ps.set.meshId}`, run: async () => undefined, children: () => tasks, concurrent: true }],
      {},
      steps,
    ).catch((e: unknown) => {
      throw partway(app, e, steps);
    });
    // What the clusters now are: their addresses and secrets, read again.
    ps = await afterApply(app, ps);
    refuseBlocked(ps);
  }
  await joinClusters(app, ps, steps);
  notes.push(...ps.across.notes);
  const results: { cluster: string; context: string; ingress?: IngressResult; proof?: Proof }[] = [];
  for (const { prepared: p } of ps.members) {
    const changed = p.plan.actions.some(changes) || memberChanges;
    await refuseUnhealthy(p, changed);
    const ingress = await gateway(p, memberChanges);
    const proof = ingress
      ? await proveIngress(
          ingress,
          { reach: p.target.provider.ingress, providerName: p.target.provider.name, clusterName: p.spec.clusterName, context: p.target.context },
          app.signal,
        )
      : undefined;
    results.push({ cluster: p.spec.clusterName, context: p.target.context, ingress, proof });
  }
  await remember(app, ps, false);
  out.result({
    ok: true,
    meshId: ps.set.meshId,
    multiNetwork: ps.set.multiNetwork,
    clusters: ps.members.map(({ prepared: p }, i) => ({
      cluster: p.spec.clusterName,
      provider: p.spec.provider,
      context: p.target.context,
      network: p.spec.mesh?.network,
      plan: planJson(p.plan),
      ingress: results[i]?.ingress,
      probe: results[i]?.proof,
    })),
    across: planJson(acrossAsPlan(ps.across, ps.members[0]!.prepared.plan)),
    steps,
    notes,
  });
  for (const n of notes) out.warn(n);
  if (!memberChanges && !ps.across.actions.some(changes))
    out.log(`Verified ${ps.members.length} clusters and ${ps.across.actions.length} parts that join them: nothing to change.`);
  const first = ps.members[0]!.prepared.spec;
  out.print('');
  out.print(
    out.c.green(`Mesh ${ps.set.meshId} ready on ${ps.members.length} clusters (multi-primary, ${ps.set.multiNetwork ? 'one network each' : 'one network'})`),
  );
  out.print(`  profile    ${first.profile.name}, Istio ${first.istioVersion}, ${first.dataplane} dataplane`);
  out.print(`  addons     ${first.addons.length ? first.addons.join(', ') : 'none'}`);
  for (const [i, { prepared: p }] of ps.members.entries()) {
    const r = results[i]!;
    out.print(
      `  ${p.spec.clusterName.padEnd(10)} ${p.spec.provider}, context ${p.target.context}, network ${p.spec.mesh?.network}; sees ${ps.members
        .filter((o) => o !== ps.members[i])
        .map((o) => o.prepared.spec.clusterName)
        .join(', ')}`,
    );
    if (r.ingress) out.print(`             gateway ${r.ingress.url ?? r.ingress.message}${r.proof ? `; ${proofLine(r.proof)}` : ''}`);
  }
}

/** The remote secrets, planned from what the clusters hold now and applied. */
async function joinClusters(app: App, ps: PreparedSet, steps: StepResult[]): Promise<void> {
  const todo = ps.across.actions.filter(changes);
  if (!todo.length) return;
  const byName = new Map(ps.members.map((m) => [m.prepared.spec.clusterName, m.prepared]));
  const addressOf = new Map(ps.seen.map((s) => [s.name, s.address]));
  const { applyEastWest, applyKiali, applyRemoteSecret } = await import('../apply/remote-secrets.js');
  const tasks: StepTask<object>[] = todo.map((a) => ({
    title: a.title.charAt(0).toUpperCase() + a.title.slice(1),
    run: async () => {
      if (a.op.type === 'east-west') return applyEastWest(a, byName.get(a.op.cluster)!.target.runner);
      if (a.op.type === 'kiali') {
        const into = byName.get(a.op.cluster)!;
        const peers = a.op.peers.map((name) => {
          const address = addressOf.get(name);
          if (!address) throw new MeshupError(`The API server address of ${name} is not known`, { fix: 'Run meshup up again once it runs' });
          return { runner: byName.get(name)!.target.runner, name, address };
        });
        const { istioctl } = await acquireIstio(into.target.runner, {
          version: into.spec.istioVersion,
          istioDir: into.spec.istioDir,
          mirror: into.spec.istioMirror,
        });
        return applyKiali(a, into.target.runner, peers, istioctl);
      }
      if (a.op.type !== 'remote-secret') return;
      const into = byName.get(a.op.into)!;
      const of = byName.get(a.op.of);
      const address = addressOf.get(a.op.of);
      if (!a.op.remove && (!of || !address))
        throw new MeshupError(`The API server address of ${a.op.of} is not known`, { fix: 'Run meshup up again once it runs' });
      const istioctl = a.op.remove
        ? undefined
        : (await acquireIstio(of!.target.runner, { version: of!.spec.istioVersion, istioDir: of!.spec.istioDir, mirror: of!.spec.istioMirror })).istioctl;
      await applyRemoteSecret(a, {
        into: into.target.runner,
        of: { runner: of?.target.runner ?? into.target.runner, name: a.op.of, address: address ?? '' },
        istioctl: istioctl!,
      });
    },
  }));
  await runSteps(
    app.io,
    app.switches.json,
    [{ title: `Join the clusters of mesh ${ps.set.meshId}`, run: async () => undefined, children: () => tasks, concurrent: true }],
    {},
    steps,
  ).catch((e: unknown) => {
    throw partway(app, e, steps);
  });
}

/** A failure once changes have begun: which steps were done, and that `up` again does the rest
 * (each cluster is planned again from what it holds). Ctrl-C keeps its own message and code. */
function partway(app: App, e: unknown, steps: StepResult[]): unknown {
  const done = steps.filter((s) => s.status === 'done').length;
  const failed = steps.filter((s) => s.status === 'failed').map((s) => s.title);
  const account = [`${done} step${done === 1 ? '' : 's'} done`, ...(failed.length ? [`failed: ${failed.join('; ')}`] : [])];
  const again = 'Run meshup up again: it keeps what was done in each cluster and does the rest';
  if (app.signal.aborted) {
    for (const line of account) app.out.log(line);
    app.out.log(again);
    return e;
  }
  if (e instanceof MeshupError) {
    e.details.push(...account);
    if (!e.fix.includes(again)) e.fix.push(again);
    return e;
  }
  return new MeshupError(`meshup up stopped partway: ${e instanceof Error ? e.message : String(e)}`, { details: account, fix: again });
}

function refuseBlocked(ps: PreparedSet): void {
  const blockers = ps.across.blockers;
  if (!blockers.length) return;
  const first = blockers[0]!;
  const opts = { details: blockers.slice(1).map(blockerText), fix: first.fix ?? 'See above' };
  throw first.kind === 'conflict' ? new OwnershipError(first.message, opts) : new PreflightError(first.message, opts);
}

export function printPlans(app: App, ps: PreparedSet): void {
  for (const { prepared: p } of ps.members) {
    app.out.print(
      renderPlan(p.plan, `Plan for ${p.target.provider.name} cluster "${p.spec.clusterName}" (context ${p.target.context}):`, app.out.c, { commands: true }),
    );
    app.out.print('');
  }
  app.out.print(
    renderPlan(acrossAsPlan(ps.across, ps.members[0]!.prepared.plan), `Across the clusters of mesh ${ps.set.meshId}:`, app.out.c, { commands: true }),
  );
}

async function remember(app: App, ps: PreparedSet, incomplete: boolean): Promise<void> {
  const first = ps.members[0]!.prepared;
  await writeLastTarget(app.io.env, {
    provider: first.spec.provider,
    clusterName: first.spec.clusterName,
    context: first.target.context,
    set: {
      ...ps.set,
      members: ps.set.members.map((m, i) => ({ ...m, provider: ps.members[i]!.prepared.spec.provider, context: m.context })),
    },
    ...(incomplete ? { incomplete: { since: new Date().toISOString() } } : {}),
  });
}
