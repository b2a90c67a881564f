// What `up`, `plan`, `addons enable|disable` and `injection enable|disable` share: the spec
// (answers asked first, in a terminal), the preconditions, one round of reads, and the plan.
// Nothing in here changes anything; apply/apply.ts does, afterwards.

import { join } from 'node:path';
import type { RunSwitches } from '../config/flags.js';
import { home, stateDir } from '../config/paths.js';
import { parseMiB } from '../config/quantity.js';
import type { Spec } from '../config/spec.js';
import { OwnershipError, PreflightError, UsageError } from '../errors.js';
import { bundleCacheFile, checkBundleObtainable, DEFAULT_GATEWAY_API_MIRROR } from '../gatewayapi/bundle.js';
import { checkIstioDirEarly, checkObtainable } from '../istio/acquire.js';
import type { Observed } from '../observe/evaluate.js';
import { readCluster } from '../observe/observe.js';
import { unknownGatewayApi } from '../plan/gateway-api.js';
import { needsIstio, needsWholeRelease, plan } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { blockerText, changes, type Op, type Plan, symbolOf } from '../plan/types.js';
import { dockerState, dockerUnavailable, errorsOf, type Finding, KWOK_FIX, portFree, runPreflight } from '../preflight/checks.js';
import { readHostFacts } from '../preflight/host.js';
import { installedProviders, providerFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { canPrompt, promptsOf } from '../ui/io.js';
import { runSteps } from '../ui/tasks.js';
import type { App } from './app.js';
import { type EditFacts, observeTarget, openTarget, type SpecLayers, specOf, type Target } from './target.js';

export interface Prepared {
  target: Target;
  /** The final spec: every layer, the cluster's record included. */
  spec: Spec;
  observed: Observed;
  plan: Plan;
  findings: Finding[];
  /** The layers the spec was resolved from (answers included), for preparing again. */
  layers: SpecLayers;
  switches: RunSwitches;
}

export interface PrepareOptions {
  /** Ask for what flags, env and the config file left open (in a terminal, without --yes). */
  ask?: boolean;
  layers?: SpecLayers;
  only?: ReadonlySet<Op['type']>;
  /** Run the machine checks (tools, Docker's size, ports); `plan` and `up` do. */
  preflight?: boolean;
  /** Edits computed from the spec with the record (e.g. `addons enable kiali` adds to it). */
  edit?: (spec: Spec, facts: EditFacts) => SpecLayers['edits'];
}

export function overlayPath(env: NodeJS.ProcessEnv, provider: string, cluster: string): string {
  return join(stateDir(env), provider, cluster, 'istio-overlay.yaml');
}

export async function prepare(app: App, opts: PrepareOptions = {}): Promise<Prepared> {
  let layers: SpecLayers = { ...opts.layers };
  if (opts.ask) {
    // Every question is asked here, before anything is changed.
    let { spec } = await specOf(app, layers);
    if (!app.switches.yes && !app.switches.json && canPrompt(app.io)) {
      // Nothing is asked when the command can only fail: a provider that is not a question (or
      // no installed one to choose from) is opened first, which checks its tool and its context,
      // and Docker must answer for a cluster that runs in it.
      const installed = installedProviders(app.io.env);
      const target = !asksProvider(spec) || !installed.length ? await openTarget(app, layers) : undefined;
      // On a cluster meshup set up, the questions offer what it recorded there: pressing Enter
      // keeps the mesh as it is.
      const recorded = target && !asksProvider(spec) ? await recordOf(target) : undefined;
      if (recorded) spec = (await specOf(app, { ...layers, recorded })).spec;
      layers = { ...layers, answers: await ask(app, spec, target ? [target.provider] : installed.map(providerFor)) };
    }
  }
  const target = await openTarget(app, layers);
  if (opts.preflight) checkIstioDirEarly(target.runner, { istioDir: target.spec.istioDir, version: target.spec.istioVersion });
  // The machine checks run while the cluster is read: only a new cluster's size and host ports
  // depend on what the read finds, and a new cluster has no record to change the spec.
  const observing = observeTarget(app, target, layers, opts.edit, { fetch: !app.switches.dryRun });
  const checking = opts.preflight
    ? preflight(
        app,
        target,
        // A failed read counts as "exists" (sizes and ports are then not checked) and is reported
        // below. Handled here, at once: preflight awaits other things first, and a rejection
        // left unhandled meanwhile would end the process.
        observing.then(
          (o) => o.observed.cluster.state !== 'absent',
          () => true,
        ),
      )
    : Promise.resolve([]);
  const [{ spec, observed }, findings] = await Promise.all([observing, checking]);
  return {
    target: { ...target, spec },
    spec,
    observed,
    plan: planFor(target, spec, observed, {
      only: opts.only,
      adopt: app.switches.adopt,
      force: app.switches.force,
      inPlace: app.switches.inPlace,
      rotateCa: app.switches.rotateCa,
    }),
    findings,
    layers,
    switches: app.switches,
  };
}

/** The plan for a target, a spec and what was observed: what `up`, `status` and the edits share. */
export function planFor(
  target: Target,
  spec: Spec,
  observed: Observed,
  o: { only?: ReadonlySet<Op['type']>; adopt?: boolean; force?: boolean; inPlace?: boolean; rotateCa?: boolean } = {},
): Plan {
  const { provider, context, runner, catalog } = target;
  return plan({
    spec,
    observed,
    provider,
    catalog,
    context,
    overlayPath: overlayPath(runner.env, provider.name, spec.clusterName),
    gatewayApiBundle: bundleCacheFile(runner.env, spec.release?.gatewayApi.version ?? 'unknown'),
    ...o,
  });
}

/** An edit's part of the plan (`addons enable`, `injection disable`): printed under --dry-run
 * (then false is returned), applied otherwise. */
export async function applyEdit(app: App, { target, spec, plan: p, observed }: Prepared): Promise<boolean> {
  if (app.switches.dryRun) {
    app.out.print(renderPlan(p, `Plan for ${target.provider.name} cluster "${spec.clusterName}":`, app.out.c, { commands: true }));
    app.out.result({ dryRun: true, actions: p.actions.map((a) => ({ id: a.id, symbol: symbolOf(a), title: a.title })) });
    return false;
  }
  if (p.actions.some((a) => changes(a))) {
    const { applyTasks } = await import('../apply/apply.js');
    const { tasks } = applyTasks({ ...target, spec, plan: p, observed, meshupVersion: app.version });
    await runSteps(app.io, app.switches.json, tasks, {});
  }
  return true;
}

async function preflight(app: App, target: Target, exists: Promise<boolean>): Promise<Finding[]> {
  const { spec, provider, runner } = target;
  const [profiles, host] = await Promise.all([provider.usesDocker ? app.sources.allProfiles() : Promise.resolve([]), readHostFacts(home(app.io.env))]);
  const size = (x: { cluster: { memory: string | number } }) => parseMiB(x.cluster.memory) ?? 0;
  const mine = spec.profile;
  // Bundled profiles that ask for less, largest first: what "use a smaller profile" can name.
  const smaller = profiles
    .filter(
      (x) =>
        x.name !== mine.name && size(x) <= size(mine) && x.cluster.cpus <= mine.cluster.cpus && (size(x) < size(mine) || x.cluster.cpus < mine.cluster.cpus),
    )
    .sort((a, b) => size(b) - size(a))
    .map((x) => x.name);
  // Sizes and host ports count only for a new cluster: runPreflight skips them once `exists` says so.
  // The clusters of a set share the machine: each is checked against what all of them need.
  const n = spec.mesh?.clusters.length ?? 1;
  const need = { cpus: spec.need.cpus * n, memoryMiB: spec.need.memoryMiB * n, diskMiB: spec.need.diskMiB * n };
  const pre = await runPreflight({
    runner,
    options: spec,
    provider,
    need,
    host,
    clusterExists: exists,
    needHostPorts: provider.portMappings(spec).map((m) => m.hostPort),
    smallerProfiles: smaller,
  });
  if (n === 1) return pre.findings;
  const together = `${n} clusters of one mesh, ${spec.need.memoryMiB} MiB and ${spec.need.cpus} CPUs each`;
  return pre.findings.map((f) => (/memory|cpu/i.test(f.check) ? { ...f, message: `${f.message} (${together})` } : f));
}

/** Stops before the first change when the machine cannot do it, or the release cannot be had. */
export async function checkPreconditions(prepared: Prepared): Promise<string[]> {
  const { spec, plan: p, findings, target } = prepared;
  const notes: string[] = [];
  const errors = errorsOf(findings);
  if (errors.length && !prepared.switches.force) {
    // No cluster tool, or no Docker: a simulated cluster needs neither.
    const none = target.provider.usesDocker && (installedProviders(target.runner.env).length === 0 || errors.some((f) => f.check === 'docker'));
    throw new PreflightError(`This machine cannot run the requested cluster (${errors.length} problem${errors.length > 1 ? 's' : ''})`, {
      details: errors.map((f) => `${f.check}: ${f.message}`),
      fix: [...new Set(errors.map((f) => f.fix).filter((f): f is string => !!f)), ...(none ? [KWOK_FIX] : []), 'or pass --force to try anyway'],
    });
  }
  for (const w of findings.filter((f) => f.status === 'warn' || (f.status === 'error' && prepared.switches.force)))
    notes.push(`${w.check}: ${w.message}${w.fix ? ` (fix: ${w.fix})` : ''}`);
  if (p.blockers.length) {
    // What was asked for and cannot work is said first: it decides the exit code.
    const first = p.blockers.find((b) => b.kind === 'usage') ?? p.blockers[0]!;
    const opts = { details: p.blockers.filter((b) => b !== first).map(blockerText), fix: first.fix ?? 'See above' };
    if (first.kind === 'usage') throw new UsageError(first.message, opts);
    throw first.kind === 'conflict' ? new OwnershipError(first.message, opts) : new PreflightError(first.message, opts);
  }
  // The Gateway API bundle is had like the Istio release: cached, or the mirror has it.
  const gatewayApi = p.actions.find((a) => changes(a) && a.op.type === 'gateway-api')?.op;
  await Promise.all([
    needsIstio(p)
      ? checkObtainable(target.runner, { version: spec.istioVersion, istioDir: spec.istioDir, mirror: spec.istioMirror, needRelease: needsWholeRelease(p) })
      : undefined,
    gatewayApi?.type === 'gateway-api'
      ? checkBundleObtainable(target.runner.env, {
          version: gatewayApi.version,
          mirror: spec.gatewayApiMirror ?? DEFAULT_GATEWAY_API_MIRROR,
          signal: target.runner.signal,
        })
      : undefined,
  ]);
  const unknown = unknownGatewayApi(spec);
  if (unknown) throw unknown;
  await registryPortsFree(p);
  return notes;
}

/** A registry container to run publishes a fixed host port: one already taken would fail its
 * `docker run` beside the cluster's creation; said before anything starts instead. */
async function registryPortsFree(p: Prepared['plan']): Promise<void> {
  const run = p.actions.flatMap((a) => (changes(a) && a.op.type === 'registries' ? a.op.run : []));
  const taken = (await Promise.all(run.map(async (c) => ((await portFree(c.hostPort)) ? undefined : c)))).filter((c) => c !== undefined);
  if (!taken.length) return;
  const local = taken.some((c) => c.role === 'local');
  throw new PreflightError(
    `Host port ${taken.map((c) => c.hostPort).join(', ')} ${taken.length > 1 ? 'are' : 'is'} in use, where ${taken.map((c) => c.name).join(' and ')} would publish`,
    {
      fix: [
        `Stop what listens there (lsof -i :${taken[0]!.hostPort} shows it)`,
        ...(local ? ['or move the local registry: localRegistry: { port: 5002 } in meshup.yaml (or --no-local-registry)'] : []),
        ...(taken.some((c) => c.role === 'cache') ? ['or turn the caches off: --no-cache'] : []),
      ],
    },
  );
}

/** Changes that replace something working need a yes: --yes, or a person at the prompt. */
export async function confirmRisky(app: App, prepared: Prepared): Promise<void> {
  const risky = prepared.plan.actions.filter((a) => a.needsYes);
  if (!risky.length || prepared.switches.yes) return;
  const what = risky.map((a) => a.title).join('; ');
  if (!canPrompt(app.io) || prepared.switches.json) {
    const up = risky.find((a) => a.op.type === 'istio' && a.op.from);
    throw new UsageError(`This would ${what}, which needs confirmation`, {
      fix:
        up?.op.type === 'istio'
          ? [
              `Confirm it: meshup up --istio-version ${prepared.spec.istioVersion} --yes`,
              `or keep Istio ${up.op.from}: meshup up --istio-version ${up.op.from}`,
            ]
          : 'Confirm it with --yes',
    });
  }
  const { confirm } = await promptsOf(app.io);
  const ok = await confirm({ message: `${what[0]!.toUpperCase()}${what.slice(1)}?`, default: false }, { input: app.io.stdin, output: app.io.stderr });
  if (!ok) throw new UsageError('Nothing changed: the change was not confirmed', { fix: 'Run again and confirm, or pass --yes' });
}

/** The provider is a question only when nothing named one and meshup has used none here. */
const asksProvider = (spec: Spec) => spec.sources.provider === 'default' && !spec.context;

/** What meshup recorded in the target's cluster, if it can be read (read-only; any problem is
 * left for the reads after the questions to report). */
async function recordOf(target: Target): Promise<Observed['recorded']> {
  try {
    return (await readCluster(target.runner, target.spec, target.provider)).recorded;
  } catch {
    return undefined;
  }
}

/** The questions, for a cluster of one of `providers`. */
async function ask(app: App, spec: Spec, providers: Provider[]) {
  const { askUp } = await import('../ui/prompts.js');
  const askProvider = asksProvider(spec);
  // Asked unless a flag, the environment or the config file decided; what the cluster recorded is
  // the answer offered (a profile file it recorded is kept: the choices are the bundled ones).
  const recordedBundled = spec.sources.profile === 'recorded' && spec.profileRef === spec.profile.name;
  const askProfile = spec.sources.profile === 'default' || recordedBundled;
  const askAddons = spec.sources.addons === 'profile' || spec.sources.addons === 'recorded';
  if (!askProvider && !askProfile && !askAddons) return undefined;
  const inDocker = providers.find((p) => p.usesDocker);
  const [catalog, profiles, docker] = await Promise.all([
    app.sources.catalog(),
    askProfile ? app.sources.allProfiles() : Promise.resolve([]),
    inDocker ? dockerState(app.runner()) : undefined,
  ]);
  if (inDocker && docker && docker.state !== 'running' && !app.switches.force) throw dockerUnavailable(inDocker, docker);
  return askUp({
    io: app.io,
    askProvider,
    installedProviders: installedProviders(app.io.env),
    askProfile,
    profileDefault: spec.profile.name,
    profiles,
    docker: docker?.state === 'running' ? docker.info : undefined,
    askAddons,
    // The spec's addons for the profile it has (recorded, or the profile's own); another
    // profile's own addons once the answer changes the profile.
    addonDefaults: (name) =>
      name === undefined || name === spec.profile.name ? [...spec.addons] : (profiles.find((p) => p.name === name)?.addons ?? [...spec.addons]),
    catalog,
  });
}
