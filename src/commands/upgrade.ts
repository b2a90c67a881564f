// meshup upgrade: a canary upgrade, planned then applied (plan/upgrade.ts says how). --to starts
// it (or resumes it, run again), --namespaces moves some namespaces at a time, --finish makes the
// new revision the mesh's, --rollback goes back; --in-place reinstalls the control plane as `up`
// would, for a patch or the next minor. --dry-run prints the plan and its commands.
import type { ChalkInstance } from 'chalk';
import { UsageError } from '../errors.js';
import { formatCommand } from '../exec/quote.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { blockerText } from '../plan/types.js';
import { planUpgrade, type UpgradeIntent, type UpgradePlan } from '../plan/upgrade.js';
import type { App } from '../session/app.js';
import { overlayPath } from '../session/converge.js';
import { openTarget, specOf } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { readAppliedSpec } from '../state/record.js';
import { getNodes, listObjects } from '../tools/kubectl.js';
import { runSteps } from '../ui/tasks.js';

interface UpgradeFlags {
  to?: string;
  finish?: boolean;
  rollback?: boolean;
  inPlace?: boolean;
  namespaces?: string;
}

/** The flags that cannot go together, refused before anything is read. */
function checkFlags(f: UpgradeFlags): void {
  const chosen = [f.to !== undefined && '--to', f.finish && '--finish', f.rollback && '--rollback'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot go together`, { fix: 'Start (--to), then --finish or --rollback, one per run' });
  if (f.namespaces !== undefined && (f.finish || f.rollback)) {
    throw new UsageError(`--namespaces moves namespaces to the new revision; it does not go with ${f.finish ? '--finish' : '--rollback'}`, {
      fix: 'meshup upgrade --namespaces a,b (to move them), then meshup upgrade --finish',
    });
  }
  if (f.inPlace && !f.to)
    throw new UsageError('--in-place needs the version: meshup upgrade --to VERSION --in-place', { fix: 'meshup upgrade --to 1.31.1 --in-place' });
  if (f.inPlace && (f.finish || f.rollback || f.namespaces !== undefined)) {
    throw new UsageError('--in-place replaces the control plane at once: no namespaces to move, nothing to finish or roll back', {
      fix: 'meshup upgrade --to VERSION --in-place',
    });
  }
}

function intentOf(f: UpgradeFlags, inProgress: string | undefined): UpgradeIntent {
  if (f.finish) return { kind: 'finish' };
  if (f.rollback) return { kind: 'rollback' };
  const namespaces = f.namespaces
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const to = f.to?.replace(/^v/, '') ?? inProgress;
  if (!to) throw new UsageError('Name the version to upgrade to', { fix: 'meshup upgrade --to 1.31.1 (meshup versions lists them)' });
  return { kind: 'start', to, ...(namespaces ? { namespaces } : {}) };
}

export function upgrade(app: App): Promise<void> {
  const f = app.flags as UpgradeFlags;
  checkFlags(f);
  if (f.inPlace) return inPlace(app, f.to!.replace(/^v/, ''));
  return writing(app, commandLine(app, 'upgrade'), () => canary(app, f));
}

async function canary(app: App, f: UpgradeFlags): Promise<void> {
  const target = await openTarget(app);
  const { runner, provider, context } = target;
  const [recorded, nodes, namespaces, deployments, versions] = await Promise.all([
    readAppliedSpec(runner),
    getNodes(runner),
    listObjects<KubeObject>(runner, 'namespaces'),
    listObjects<KubeObject>(runner, 'deployments', { namespace: ISTIO_NAMESPACE }),
    app.sources.versions(),
  ]);
  const intent = intentOf(f, recorded?.upgrade?.to);
  // The mesh as it runs: the recorded spec, whatever --to names.
  const { spec } = await specOf(app, { recorded });
  const kube = (args: string[], stdin?: string) => formatCommand('kubectl', ['--context', context, ...args], stdin);
  const plan = planUpgrade({
    intent,
    spec,
    recorded,
    versions,
    nodes,
    namespaces,
    deployments,
    force: app.switches.force,
    kube,
    istioctl: (version, args) => formatCommand(`istioctl-${version}`, ['--context', context, ...args]),
  });
  const header = `Upgrade plan for ${provider.name} cluster "${spec.clusterName}" (context ${context}): Istio ${plan.from.version} → ${plan.to.version}`;
  app.out.result({
    from: plan.from,
    to: plan.to,
    steps: plan.steps.map((s) => ({ title: s.title, kept: !!s.kept, commands: s.commands })),
    blockers: plan.blockers,
    notes: plan.notes,
  });
  app.out.print(renderUpgrade(plan, header, app.out.c, app.switches.dryRun));
  if (plan.blockers.length) {
    const [first, ...rest] = plan.blockers;
    throw new UsageError(first!.message, { details: rest.map(blockerText), fix: first!.fix ?? 'See above' });
  }
  if (app.switches.dryRun) {
    app.out.print('Dry run: nothing was changed.');
    return;
  }
  const { upgradeTasks } = await import('../apply/upgrade.js');
  const tasks = upgradeTasks({
    runner,
    provider,
    spec,
    recorded: recorded!,
    plan,
    overlayPath: overlayPath(runner.env, provider.name, spec.clusterName),
    meshupVersion: app.version,
    signal: app.signal,
    converge: async () => {
      // up's own plan, on the version just recorded: without this run's flags, whose
      // --namespaces means something else to up, and confirmed by --finish itself.
      const { converge } = await import('./up.js');
      await converge({ ...app, out: app.out.inner(), flags: { ...app.flags, namespaces: undefined }, switches: { ...app.switches, yes: true } });
    },
  });
  await runSteps(app.io, app.switches.json, tasks, { releases: new Map() });
  const done =
    intent.kind === 'finish'
      ? `Istio ${plan.to.version} (revision ${plan.to.revision}) is the mesh now.`
      : intent.kind === 'rollback'
        ? `Rolled back: Istio ${plan.from.version} runs the mesh again.`
        : `Istio ${plan.to.version} runs as revision ${plan.to.revision} beside ${plan.from.version}.`;
  app.out.print(done);
  for (const n of plan.notes) app.out.print(`  ${n}`);
}

function renderUpgrade(p: UpgradePlan, header: string, c: ChalkInstance, commands: boolean): string {
  const lines = [header];
  for (const s of p.steps) lines.push(s.kept ? c.dim(`  = ${s.title} (already done)`) : c.yellow(`  ~ ${s.title}`));
  for (const b of p.blockers) lines.push(c.red(`  ! ${blockerText(b)}`));
  for (const n of p.notes) lines.push(c.yellow(`  note: ${n}`));
  if (commands && p.steps.some((s) => !s.kept && s.commands.length)) {
    lines.push('', 'Commands, in order:');
    for (const s of p.steps) if (!s.kept) for (const cmd of s.commands) lines.push(`  $ ${cmd}`);
  }
  return lines.join('\n');
}

/** --in-place: up's own plan with the new version, the reinstall confirmed by the command. */
async function inPlace(app: App, to: string): Promise<void> {
  const { up } = await import('./up.js');
  await up({ ...app, flags: { ...app.flags, istioVersion: to, namespaces: undefined }, switches: { ...app.switches, yes: true, inPlace: true } });
}
