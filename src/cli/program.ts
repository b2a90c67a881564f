// argv → command: the global flags, then each command's declaration (cli/commands/), in the
// order --help lists them. A command's code loads only when it runs.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Flags } from '../config/flags.js';
import type { App } from '../session/app.js';
import type { IO } from '../ui/io.js';
import { closest } from '../util/suggest.js';
import { addonsCommand } from './commands/addons.js';
import { cacheCommand } from './commands/cache.js';
import { completionCommand } from './commands/completion.js';
import { dashboardCommand } from './commands/dashboard.js';
import { doctorCommand } from './commands/doctor.js';
import { downCommand } from './commands/down.js';
import { exposeCommand } from './commands/expose.js';
import { imagesCommand } from './commands/images.js';
import { ingressCommand } from './commands/ingress.js';
import { injectCommand } from './commands/inject.js';
import { injectionCommand } from './commands/injection.js';
import { planCommand } from './commands/plan.js';
import { profilesCommand } from './commands/profiles.js';
import { schemaCommand } from './commands/schema.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { upgradeCommand } from './commands/upgrade.js';
import { versionsCommand } from './commands/versions.js';
import { waypointCommand } from './commands/waypoint.js';
import { type Action, type Declaration, examples, type Scope, type Wiring } from './define.js';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const COMMANDS: readonly Declaration[] = [
  upCommand,
  planCommand,
  downCommand,
  upgradeCommand,
  statusCommand,
  profilesCommand,
  versionsCommand,
  imagesCommand,
  cacheCommand,
  doctorCommand,
  ingressCommand,
  dashboardCommand,
  exposeCommand,
  injectCommand,
  addonsCommand,
  injectionCommand,
  waypointCommand,
  schemaCommand,
  completionCommand,
];

/** `start` makes the App from the parsed flags; `run` runs a command's code under the error boundary. */
export function buildProgram(io: IO, start: (flags: Flags) => Promise<App>, run: (app: App, fn: () => Promise<void | number>) => Promise<void>): Command {
  const program = new Command('meshup');
  const action =
    (load: () => Promise<Action>, scope?: Scope) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const app = await start(cmd.optsWithGlobals<Flags>());
      const fn = await load();
      const once = (a: App) => fn(a, ...(args.slice(0, -2) as never[]));
      await run(app, async () => {
        if (!scope) return once(app);
        const { clusterSetOf, forEachMember, memberApp } = await import('../session/cluster-set.js');
        const set = await clusterSetOf(app);
        if (!set) return once(app);
        return scope === 'each-cluster' ? forEachMember(app, set, once) : once(memberApp(app, set.set, set.selected[0]!));
      });
    };
  const wiring: Wiring = {
    action,
    groupDefault:
      (load, scope) =>
      async (...args: unknown[]) => {
        const cmd = args[args.length - 1] as Command;
        const word = cmd.args[0];
        if (word !== undefined) {
          const near = closest(
            word,
            cmd.commands.map((c) => c.name()),
          );
          cmd.error(`error: unknown command '${word}'${near ? `\n(Did you mean ${near}?)` : ''}`, { code: 'commander.unknownCommand', exitCode: 2 });
        }
        await action(load, scope)(...args);
      },
  };
  // Every subcommand's --help lists the global flags too (--yes, --dry-run, --json, ...).
  program.configureHelp({ showGlobalOptions: true });
  program
    .description('A working Istio service mesh on a local Kubernetes cluster, with one command.')
    .version(VERSION, '-V, --version', 'print the meshup version')
    .option('--context <name>', 'kube context to use (pinned on every kubectl and istioctl call)')
    .option('-c, --config <file>', 'config file (default: ./meshup.yaml when present)')
    .option('--dry-run', 'run read-only probes; print every changing command instead of running it')
    .option('--json', 'print one JSON document on stdout; logs go to stderr')
    .option('-v, --verbose', 'echo every command meshup runs')
    .option('-y, --yes', 'never prompt; take defaults and confirm')
    .option('--no-wait', 'when another meshup command is changing the same cluster, refuse (exit 5) instead of waiting for it')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Commander's errors are printed by the error boundary in main(), in meshup's own format.
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => {} })
    .addHelpText(
      'after',
      examples(
        'meshup up',
        'meshup up --provider kind --profile demo --yes',
        'meshup up --provider kwok --profile demo --addons prometheus,kiali',
        'meshup status',
        'meshup down',
      ),
    );
  for (const declare of COMMANDS) declare(program, wiring);
  return program;
}
