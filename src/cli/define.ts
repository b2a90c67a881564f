// What every command declaration shares: how a command's code is loaded and run, the option
// groups several commands take, and the examples block of --help. Declarations stay light (no
// command code is imported until it runs), so --version and --help stay fast.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { App } from '../session/app.js';
import { closest } from '../util/suggest.js';

/** A command's code; a number it returns is the exit status (`meshup plan`: 10 = changes pending). */
export type Action = (app: App, ...args: never[]) => Promise<void | number>;
type Handler = (...args: unknown[]) => Promise<void>;

/** How declarations hand their code to the program: loaded only when the command runs. */
/** On a mesh of several clusters, 'each-cluster' runs the command on each (or on --cluster NAME);
 * 'one-cluster' on --cluster NAME, or the first. */
export type Scope = 'each-cluster' | 'one-cluster';

export interface Wiring {
  action(load: () => Promise<Action>, scope?: Scope): Handler;
  /** A group named alone runs this (its list); any other word is a mistyped subcommand. */
  groupDefault(load: () => Promise<Action>, scope?: Scope): Handler;
}

/** Declares one command (or a group with its subcommands) on the program. */
export type Declaration = (program: Command, wiring: Wiring) => Command;

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

// The same list as config/schema.ts PROVIDERS (not imported: zod would load for --version).
const PROVIDER_NAMES = ['minikube', 'kind', 'existing', 'kwok'] as const;
function providerArg(v: string): string {
  if ((PROVIDER_NAMES as readonly string[]).includes(v)) return v;
  const near = closest(v, PROVIDER_NAMES);
  throw new InvalidArgumentError(`Valid providers: ${PROVIDER_NAMES.join(', ')}.${near ? `\n(Did you mean ${near}?)` : ''}`);
}

export function clusterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--provider <name>', `cluster provider: ${PROVIDER_NAMES.join(', ')}`).argParser(providerArg))
    .option('--name <cluster>', 'cluster name (minikube profile, kind or kwok cluster)')
    .option('--allow-context <name>', 'allow changing this non-local context (repeatable)', collect);
}

// --gateway-api and --no-gateway-api are both declared, so that neither sets a default that would
// hide the config file's gatewayApi.
export function meshOptions(cmd: Command): Command {
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

/** On a mesh of several clusters, the one cluster a command acts on (else each, or the first). */
export const MEMBER_OPTION = ['--cluster <name>', 'on a mesh of several clusters, only this one'] as const;

/** Several clusters that form one mesh: `up` makes them, `plan` shows what `up` would do. */
export function clusterSetOptions(cmd: Command): Command {
  return cmd
    .option('--clusters <n>', 'make (or reuse) N clusters that form one multi-primary mesh, named NAME-1..NAME-N')
    .option('--multi-network', 'give each cluster of the mesh its own network, joined by east-west gateways');
}

/** What a new cluster is made with: `up` takes them, and `plan` to show what `up` would do. */
export function clusterSizeOptions(cmd: Command): Command {
  return cmd
    .option('--kubernetes-version <v>', 'Kubernetes version for a new cluster')
    .option('--cpus <n>', "CPUs for a new cluster (default: the profile's, plus addons)")
    .option('--memory <size>', 'memory for a new cluster, e.g. 8g')
    .option('--driver <name>', 'minikube driver (docker, hyperkit, kvm2, ...)')
    .option('--cache', 'pull images through the pull-through caches every cluster shares (the default for kind and minikube)')
    .option('--no-cache', 'let the nodes pull every image from its registry')
    .option('--local-registry', 'run a registry for your own images at localhost:5001 (the default for kind)')
    .option('--no-local-registry', 'run no local registry');
}
