// meshup up: from nothing (or anything) to a working mesh, converging rather than redoing.
// Order: resolve options → ask (terminal only) → preflight → cluster → Istio → injection →
// addons → record → ingress summary. Each step is a small factory in src/steps/.
import type { App } from '../cli/app.js';
import { PreflightError } from '../errors.js';
import { checkAddonNames, loadAddonCatalog, loadAllProfiles, loadProfile, withDependencies } from '../config/catalog.js';
import type { Options } from '../config/resolve.js';
import { computeNeed } from '../preflight/need.js';
import { readHostFacts } from '../preflight/host.js';
import { errorsOf, runPreflight, type Finding } from '../preflight/checks.js';
import { parseMiB } from '../config/quantity.js';
import { canPrompt } from '../ui/io.js';
import { runSteps, type StepResult } from '../ui/tasks.js';
import { dockerInfo } from '../tools/docker.js';
import { defaultProvider, installedProviders, loadOptions, resolveTarget } from './target.js';
import { buildUpSteps, type UpContext } from '../steps/up-steps.js';
import { kindPortMappings } from '../providers/kind.js';
import { home } from '../state/paths.js';

export async function up(app: App): Promise<void> {
  const o = await loadOptions(app);
  const runner = app.runner();
  const catalog = await loadAddonCatalog();
  checkAddonNames(o.addons, catalog, o.sources.addons === 'flag' ? '--addons' : `addons (from ${o.sources.addons})`);

  // Every question is asked here, before any task runs.
  if (!o.yes && !o.json && canPrompt(app.io)) {
    await ask(app, o, catalog);
  }
  o.provider ??= defaultProvider(o, app.io.env);

  const { ordered, added } = withDependencies(o.addons, catalog);
  if (added.length) app.out.log(`note: also enabling ${added.join(', ')} (needed by ${o.addons.filter((a) => catalog.get(a)!.dependsOn.length).join(', ')})`);
  o.addons = ordered;
  o.need = computeNeed(o.resources, ordered.map((n) => catalog.get(n)!));

  const target = await resolveTarget(runner, o);
  const ctx: UpContext = { app, runner, options: o, target, catalog, notes: [] };
  const steps = buildUpSteps(ctx);
  const preflightStep = {
    title: 'Checking prerequisites',
    run: async () => {
      // The provider's answer and the prerequisite probes are independent: ask them all at once.
      const status = target.provider.status(runner, o).catch(() => ({ state: 'absent' as const }));
      const exists = status.then((s) => {
        ctx.clusterState = s.state;
        return s.state !== 'absent';
      });
      const host = await readHostFacts(home(app.io.env));
      const { findings } = await runPreflight({
        runner,
        options: o,
        provider: target.provider,
        need: o.need!,
        host,
        clusterExists: exists,
        needHostPorts: target.provider.name === 'kind' && o.profile.gateway.ingress ? kindPortMappings(o).map((m) => m.hostPort) : [],
      });
      ctx.findings = findings;
      const errors = errorsOf(findings);
      if (errors.length && !o.force) throw preflightError(errors);
      for (const w of findings.filter((f) => f.status === 'warn' || (f.status === 'error' && o.force))) ctx.notes.push(`${w.check}: ${w.message}${w.fix ? ` (fix: ${w.fix})` : ''}`);
      return errors.length ? `${errors.length} problem(s) ignored by --force` : undefined;
    },
  };

  let results: StepResult[] = [];
  try {
    results = await runSteps(app.io, o.json, [preflightStep, ...steps], ctx);
  } finally {
    if (o.json) app.out.result(upReport(ctx, results));
  }
  for (const n of ctx.notes) app.out.warn(n);
  printSummary(ctx);
}

function preflightError(errors: Finding[]): PreflightError {
  return new PreflightError(`This machine cannot run the requested cluster (${errors.length} problem${errors.length > 1 ? 's' : ''})`, {
    details: errors.map((f) => `${f.check}: ${f.message}`),
    fix: [...new Set(errors.map((f) => f.fix).filter((f): f is string => !!f)), 'or pass --force to try anyway'],
  });
}

async function ask(app: App, o: Options, catalog: Awaited<ReturnType<typeof loadAddonCatalog>>): Promise<void> {
  const { askUp } = await import('../ui/prompts.js');
  const askProvider = !o.provider && !o.context;
  const askProfile = o.sources.profile === 'default';
  const askAddons = o.sources.addons === 'profile' || o.sources.addons === undefined;
  if (!askProvider && !askProfile && !askAddons) return;
  const runner = app.runner();
  const docker = askProfile ? await dockerInfo(runner).catch(() => undefined) : undefined;
  const profiles = askProfile ? await loadAllProfiles() : [];
  const answers = await askUp({
    io: app.io,
    askProvider,
    installedProviders: installedProviders(app.io.env),
    askProfile,
    profiles,
    docker,
    askAddons,
    addonDefaults: (name) => (name ? (profiles.find((p) => p.name === name)?.addons ?? o.addons) : o.addons),
    catalog,
  });
  if (answers.provider) o.provider = answers.provider;
  if (answers.profile && answers.profile !== o.profile.name) {
    const { profile, source } = await loadProfile(answers.profile, app.io.cwd);
    o.profile = profile;
    o.profileSource = source;
    // What the profile decided follows the new profile; what a user set stays.
    if (o.sources.addons === 'profile') o.addons = profile.addons;
    if (o.sources.namespaces === 'profile') o.namespaces = profile.injection.namespaces;
    if (o.sources.cpus === 'profile') o.resources.cpus = profile.cluster.cpus;
    if (o.sources.memory === 'profile') o.resources.memoryMiB = parseMiB(profile.cluster.memory)!;
    if (o.sources.disk === 'profile') o.resources.diskMiB = parseMiB(profile.cluster.disk)!;
    o.gateway = { ...profile.gateway };
  }
  if (answers.addons) o.addons = answers.addons;
}

function upReport(ctx: UpContext, steps: StepResult[]) {
  const o = ctx.options;
  return {
    ok: steps.every((s) => s.status !== 'failed') && !!ctx.done,
    dryRun: o.dryRun,
    provider: o.provider,
    cluster: o.clusterName,
    context: ctx.target.context,
    profile: o.profile.name,
    istioVersion: o.istioVersion,
    addons: o.addons,
    namespaces: o.namespaces,
    need: o.need,
    preflight: ctx.findings ?? [],
    steps,
    ingress: ctx.ingress,
    commands: ctx.runner.history.filter((c) => c.mutates).map((c) => ({ command: c.command, skipped: c.skipped })),
    notes: ctx.notes,
  };
}

function printSummary(ctx: UpContext): void {
  const { out } = ctx.app;
  const o = ctx.options;
  if (o.dryRun) {
    const planned = ctx.runner.history.filter((c) => c.mutates && c.skipped).length;
    out.print(planned ? `Dry run: ${planned} changing command(s) printed above; nothing was changed.` : 'Dry run: nothing would change.');
    return;
  }
  out.print('');
  out.print(out.c.green(`Mesh ready on ${o.provider} cluster "${o.clusterName}" (context ${ctx.target.context})`));
  out.print(`  profile    ${o.profile.name}, Istio ${o.istioVersion}`);
  if (ctx.injected) out.print(`  injection  ${ctx.injected.length ? ctx.injected.join(', ') : 'none'}`);
  out.print(`  addons     ${o.addons.length ? o.addons.join(', ') : 'none'}`);
  if (ctx.ingress) {
    out.print(`  gateway    ${ctx.ingress.url ?? ctx.ingress.message}`);
    if (ctx.ingress.hint) out.print(`             ${ctx.ingress.hint}`);
  }
}
