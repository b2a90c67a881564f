// argv → command. Declares every command and flag with help and examples, loads a command's
// code only when it runs (so --version and --help stay fast), and is the one error boundary.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Flags } from '../config/spec.js';
import { ExitCode, InterruptedError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { colorEnabled, type IO, processIO } from '../ui/io.js';
import { closest } from '../util/suggest.js';
import { type App, createApp } from './app.js';
import { commanderError, errorDocument, formatError, helpFix } from './report.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A command's code; a number it returns is the exit status (`meshup plan`: 10 = changes pending). */
type Action = (app: App, ...args: never[]) => Promise<void | number>;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

// The same list as config/schema.ts PROVIDERS (not imported: zod would load for --version).
const PROVIDER_NAMES = ['minikube', 'kind', 'existing', 'kwok'];
function providerArg(v: string): string {
  if (PROVIDER_NAMES.includes(v)) return v;
  const near = closest(v, PROVIDER_NAMES);
  throw new InvalidArgumentError(`Valid providers: ${PROVIDER_NAMES.join(', ')}.${near ? `\n(Did you mean ${near}?)` : ''}`);
}

function clusterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--provider <name>', `cluster provider: ${PROVIDER_NAMES.join(', ')}`).argParser(providerArg))
    .option('--name <cluster>', 'cluster name (minikube profile, kind or kwok cluster)')
    .option('--allow-context <name>', 'allow changing this non-local context (repeatable)', collect);
}

// --gateway-api and --no-gateway-api are both declared, so that neither sets a default that would
// hide the config file's gatewayApi.
function meshOptions(cmd: Command): Command {
  return cmd
    .option('-p, --profile <name|file>', 'meshup profile: ambient, default, demo, minimal, or a file')
    .option('--addons <list>', 'comma-separated addons, e.g. kiali,prometheus ("" for none)')
    .option('--namespaces <list>', 'namespaces in the mesh (sidecar injection, or ambient enrolment)')
    .option('--dataplane <mode>', "sidecar or ambient (default: the profile's)")
    .option('--istio-version <version>', 'Istio release to install')
    .option('--istio-dir <dir>', 'use an extracted Istio release on disk (offline)')
    .option('--istio-mirror <url>', 'base URL to download Istio releases from')
    .option('--gateway-api', 'install the Gateway API CRDs Istio is built against (the default)')
    .option('--no-gateway-api', 'leave the Gateway API CRDs alone (install them yourself)')
    .option('--gateway-api-mirror <url>', 'base URL to download Gateway API releases from');
}

export function buildProgram(io: IO, start: (flags: Flags) => Promise<App>, run: (app: App, fn: () => Promise<void | number>) => Promise<void>): Command {
  const program = new Command('meshup');
  const action =
    (load: () => Promise<Action>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const flags = cmd.optsWithGlobals<Flags>();
      const app = await start(flags);
      const fn = await load();
      await run(app, () => fn(app, ...(args.slice(0, -2) as never[])));
    };
  // A command group that runs a default (list) when named alone, and treats any other word as
  // a mistyped subcommand, with "did you mean".
  const groupDefault =
    (load: () => Promise<Action>) =>
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
      await action(load)(...args);
    };

  // Every subcommand's --help lists the global flags too (--yes, --dry-run, --json, ...).
  program.configureHelp({ showGlobalOptions: true });
  program
    .description('A working Istio service mesh on a local Kubernetes cluster, with one command.')
    .version(pkg.version, '-V, --version', 'print the meshup version')
    .option('--context <name>', 'kube context to use (pinned on every kubectl and istioctl call)')
    .option('-c, --config <file>', 'config file (default: ./meshup.yaml when present)')
    .option('--dry-run', 'run read-only probes; print every changing command instead of running it')
    .option('--json', 'print one JSON document on stdout; logs go to stderr')
    .option('-v, --verbose', 'echo every command meshup runs')
    .option('-y, --yes', 'never prompt; take defaults and confirm')
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

  meshOptions(clusterOptions(program.command('up').description('create or reuse a cluster and converge it to a working mesh')))
    .option('--kubernetes-version <v>', 'Kubernetes version for a new cluster')
    .option('--cpus <n>', "CPUs for a new cluster (default: the profile's, plus addons)")
    .option('--memory <size>', 'memory for a new cluster, e.g. 8g')
    .option('--driver <name>', 'minikube driver (docker, hyperkit, kvm2, ...)')
    .option('--force', 'go on even when the preflight finds too few resources')
    // No commander default: it would hide MESHUP_TIMEOUT; options resolution falls back to 10m.
    .option('--timeout <duration>', 'how long to wait for readiness (default: 10m, or MESHUP_TIMEOUT)')
    .addHelpText(
      'after',
      examples(
        'meshup up                                   # asks in a terminal, defaults otherwise',
        'meshup up --provider kind --profile demo --yes',
        'meshup up --provider minikube --addons kiali,prometheus --namespaces default,shop',
        'meshup up --provider existing --context docker-desktop',
        'meshup up --dry-run                         # print what it would do',
      ),
    )
    .action(action(async () => (await import('../commands/up.js')).up));

  meshOptions(clusterOptions(program.command('plan').description('show what `meshup up` would change, and the exact commands; changes nothing')))
    .option('--kubernetes-version <v>', 'Kubernetes version for a new cluster')
    .option('--cpus <n>', "CPUs for a new cluster (default: the profile's, plus addons)")
    .option('--memory <size>', 'memory for a new cluster, e.g. 8g')
    .option('--driver <name>', 'minikube driver (docker, hyperkit, kvm2, ...)')
    .option('--timeout <duration>', 'how long up would wait for readiness (default 10m; MESHUP_TIMEOUT)')
    .addHelpText(
      'after',
      `${examples('meshup plan', 'meshup plan --profile demo --addons kiali', 'meshup plan --json | jq .actions')}\nExit status: 0 when nothing would change, 10 when changes are pending, other codes on errors.\n`,
    )
    .action(action(async () => (await import('../commands/plan.js')).planCommand));

  clusterOptions(program.command('down').description('remove the mesh and delete the cluster meshup created'))
    .option('--keep-cluster', 'remove only the mesh; keep the cluster')
    .option('--purge-crds', "also delete Istio's CRDs and the Gateway API CRDs meshup installed (and so every resource of them)")
    .addHelpText('after', examples('meshup down', 'meshup down --keep-cluster', 'meshup down --keep-cluster --purge-crds --yes'))
    .action(action(async () => (await import('../commands/down.js')).down));

  clusterOptions(program.command('status').description('show the cluster, the mesh and the addons'))
    .addHelpText('after', examples('meshup status', 'meshup status --json'))
    .action(action(async () => (await import('../commands/status.js')).status));

  const profiles = program
    .command('profiles')
    .description('list the bundled profiles')
    .addHelpText('after', examples('meshup profiles', 'meshup profiles show demo', 'meshup profiles --json'))
    .action(groupDefault(async () => (await import('../commands/profiles.js')).listProfiles));
  profiles
    .command('show <name>')
    .description('print a profile')
    .addHelpText('after', examples('meshup profiles show default', 'meshup profiles show ./my-profile.yaml'))
    .action(action(async () => (await import('../commands/profiles.js')).showProfile));

  meshOptions(clusterOptions(program.command('doctor').description('check this machine for what the chosen setup needs')))
    .addHelpText('after', examples('meshup doctor', 'meshup doctor --provider kind --profile demo', 'meshup doctor --json'))
    .action(action(async () => (await import('../commands/doctor.js')).doctor));

  clusterOptions(program.command('ingress').description("the ingress gateway's host and port, from this machine"))
    .option('--env', 'print INGRESS_HOST, INGRESS_PORT, SECURE_INGRESS_PORT and GATEWAY_URL exports')
    .option('--gateway <name>', "a Kubernetes Gateway API gateway (class istio) instead of Istio's ingress gateway")
    // No commander default: --gateway meshup-ingress alone means meshup's own, in istio-ingress.
    .option('-n, --namespace <ns>', 'namespace of --gateway (default: default; istio-ingress for meshup-ingress)')
    .addHelpText(
      'after',
      examples(
        'meshup ingress',
        'eval "$(meshup ingress --env)" && curl "http://$GATEWAY_URL/"',
        'meshup ingress --json',
        'meshup ingress --gateway bookinfo-gateway -n bookinfo',
      ),
    )
    .action(action(async () => (await import('../commands/ingress.js')).ingress));

  clusterOptions(program.command('dashboard <addon>').description("port-forward an addon's UI to 127.0.0.1 and open it"))
    .option('--port <n>', 'local port (default: a free one)')
    .option('--no-browser', 'print the URL only')
    .addHelpText('after', examples('meshup dashboard kiali', 'meshup dashboard grafana --port 3000 --no-browser'))
    .action(action(async () => (await import('../commands/dashboard.js')).dashboard));

  clusterOptions(
    program
      .command('expose <service>')
      .description('route traffic from outside the mesh to a Service (Gateway API HTTPRoute, or Istio Gateway + VirtualService)'),
  )
    .option('-n, --namespace <ns>', 'namespace of the Service', 'default')
    .option('--port <n>', 'Service port (needed when it has several)')
    .option('--host <host>', 'host name to match (default: any)')
    .option('--path <prefix>', 'path prefix to route', '/')
    .addOption(
      new Option(
        '--api <api>',
        'gateway: an HTTPRoute on the Gateway API gateway meshup shares (istio-ingress/meshup-ingress); istio: a Gateway and VirtualService on istio-ingressgateway (default: gateway on ambient meshes and where the Gateway API CRDs are installed, else istio)',
      ).choices(['gateway', 'istio']),
    )
    .option('-o, --output <format>', 'print the objects (yaml; with --json, a JSON List) instead of applying them')
    .option('--delete', 'remove what meshup expose created for the Service (and the shared gateway with its last route)')
    .addHelpText(
      'after',
      examples(
        'meshup expose productpage -n bookinfo --port 9080',
        'meshup expose web --host web.local --path /api',
        'meshup expose web --api istio',
        'meshup expose web -o yaml',
        'meshup expose --delete web',
      ),
    )
    .action(action(async () => (await import('../commands/expose.js')).expose));

  clusterOptions(program.command('inject').description("add sidecars to a manifest with the cluster's injector settings (istioctl kube-inject)"))
    .option('-f, --filename <file>', 'manifest to inject (- for stdin)')
    .option('-o, --output <file>', 'write the result here instead of stdout')
    .addHelpText('after', examples('meshup inject -f app.yaml | kubectl apply -f -', 'meshup inject -f app.yaml -o app-injected.yaml'))
    .action(action(async () => (await import('../commands/inject.js')).inject));

  const addons = clusterOptions(program.command('addons').description('list, enable and disable addons'))
    .addHelpText(
      'after',
      examples(
        'meshup addons                # same as meshup addons list',
        'meshup addons enable kiali grafana',
        'meshup addons disable kiali',
        'meshup addons enable   # checkbox in a terminal',
      ),
    )
    .action(groupDefault(async () => (await import('../commands/addons.js')).list));
  clusterOptions(addons.command('list').description('addons with their state'))
    .addHelpText('after', examples('meshup addons list', 'meshup addons list --json'))
    .action(action(async () => (await import('../commands/addons.js')).list));
  clusterOptions(addons.command('enable [names...]').description('apply addons (and what they need) from the installed Istio release'))
    .option('--istio-dir <dir>', 'use an extracted Istio release on disk')
    .option('--istio-mirror <url>', 'base URL to download Istio releases from')
    .addHelpText('after', examples('meshup addons enable kiali', 'meshup addons enable jaeger grafana'))
    .action(action(async () => (await import('../commands/addons.js')).enable));
  clusterOptions(addons.command('disable <names...>').description("delete exactly those addons' objects"))
    .addHelpText('after', examples('meshup addons disable kiali', 'meshup addons disable prometheus kiali grafana'))
    .action(action(async () => (await import('../commands/addons.js')).disable));

  const injection = clusterOptions(program.command('injection').description('which namespaces are in the mesh: sidecar injection, or ambient enrolment'))
    .addHelpText(
      'after',
      examples('meshup injection             # same as meshup injection list', 'meshup injection enable shop --restart', 'meshup injection disable shop'),
    )
    .action(groupDefault(async () => (await import('../commands/injection.js')).list));
  clusterOptions(injection.command('enable <namespaces...>').description("label namespaces for the mesh's dataplane mode (creating missing ones)"))
    .option('--restart', 'restart workloads whose running pods do not match the mode (no sidecar, or a sidecar in ambient mode)')
    .addHelpText('after', examples('meshup injection enable default shop', 'meshup injection enable shop --restart'))
    .action(action(async () => (await import('../commands/injection.js')).enable));
  clusterOptions(injection.command('disable <namespaces...>').description("remove the mesh labels meshup set (never a user's own)"))
    .addHelpText('after', examples('meshup injection disable shop'))
    .action(action(async () => (await import('../commands/injection.js')).disable));
  clusterOptions(injection.command('list').description('namespaces in the mesh, their mode, and running pods that do not match it'))
    .addHelpText('after', examples('meshup injection list', 'meshup injection list --json'))
    .action(action(async () => (await import('../commands/injection.js')).list));

  const waypoint = clusterOptions(program.command('waypoint').description('L7 proxies of an ambient mesh, per namespace'))
    .addHelpText(
      'after',
      examples('meshup waypoint             # same as meshup waypoint list', 'meshup waypoint apply -n shop', 'meshup waypoint remove -n shop'),
    )
    .action(groupDefault(async () => (await import('../commands/waypoint.js')).listCmd));
  clusterOptions(waypoint.command('apply [name]').description("create a namespace's waypoint (default name: waypoint) and route the namespace through it"))
    .option('-n, --namespace <ns>', 'namespace of the waypoint', 'default')
    .option('--for <traffic>', 'traffic it handles: service, workload, all or none (default: service)')
    .option('--no-enroll', 'create it without labelling the namespace to use it')
    .addHelpText('after', examples('meshup waypoint apply -n shop', 'meshup waypoint apply reviews-waypoint -n shop --for all'))
    .action(action(async () => (await import('../commands/waypoint.js')).applyCmd));
  clusterOptions(waypoint.command('remove [name]').description('remove a waypoint meshup created, and the namespace label it set'))
    .option('-n, --namespace <ns>', 'namespace of the waypoint', 'default')
    .addHelpText('after', examples('meshup waypoint remove -n shop'))
    .action(action(async () => (await import('../commands/waypoint.js')).removeCmd));
  clusterOptions(waypoint.command('list').description('waypoints, what they handle, and which namespaces use them'))
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('-A, --all-namespaces', 'every namespace (the default without -n)')
    .addHelpText('after', examples('meshup waypoint list', 'meshup waypoint list -n shop --json'))
    .action(action(async () => (await import('../commands/waypoint.js')).listCmd));

  program
    .command('schema [kind]')
    .description('print the JSON Schema of profile, addon or config files')
    .addHelpText('after', examples('meshup schema config > meshup.schema.json', 'meshup schema profile'))
    .action(action(async () => (await import('../commands/schema.js')).schema));

  // Set last: subcommands copy their parent's settings when created, and must keep refusing extras.
  for (const group of [profiles, addons, injection, waypoint]) group.allowExcessArguments(true);
  return program;
}

export async function main(argv: string[], io: IO = processIO()): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const runners: Runner[] = [];
  const onSignal = () => {
    interrupts++;
    controller.abort();
    if (interrupts === 1) io.stderr.write('\nStopping (press Ctrl-C again to stop waiting)...\n');
    // The second one keeps the promise: children are killed at once, nothing is waited for.
    else for (const r of runners) r.killAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let color = colorEnabled(io, !argv.includes('--no-color'));
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  // Known before parsing, so that a usage error under --json is a JSON document too.
  let json = argv.includes('--json');
  let out: { wroteResult: boolean } | undefined;
  let exitCode: number = ExitCode.ok;
  let program: Command | undefined;
  try {
    program = buildProgram(
      io,
      async (flags) => {
        color = colorEnabled(io, flags.color);
        verbose = !!flags.verbose;
        json = !!flags.json;
        const { Output } = await import('../ui/output.js');
        const output = new Output(io, json, color);
        out = output;
        return createApp(io, output, controller.signal, flags, pkg.version, (r) => runners.push(r));
      },
      async (_app, fn) => {
        const code = await fn();
        if (typeof code === 'number') exitCode = code;
      },
    );
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const quiet = e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help');
    if (quiet) {
      exitCode = ExitCode.ok;
    } else {
      // Ctrl-C at a question reaches the prompt as a key, not as a signal: it is an interrupt too.
      const interrupted = controller.signal.aborted || (e instanceof Error && e.name === 'ExitPromptError');
      const err = e instanceof CommanderError ? commanderError(e, program, argv) : interrupted ? new InterruptedError() : e;
      const { Chalk } = await import('chalk');
      const paint = new Chalk({ level: color ? 1 : 0 });
      const usageFix = helpFix(program, argv);
      const { text, exitCode: code } = formatError(err, paint, verbose, usageFix);
      io.stderr.write(`${text}\n`);
      // Under --json stdout carries exactly one document: the command's result if it wrote one
      // (up reports its failed steps), else this error.
      if (json && !out?.wroteResult) io.stdout.write(`${JSON.stringify({ error: errorDocument(err, verbose, usageFix) }, null, 2)}\n`);
      exitCode = code;
    }
  } finally {
    await Promise.all(runners.map((r) => r.stopAll()));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}
