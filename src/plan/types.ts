// The plan's vocabulary: an action (one change, or a verified part left alone), what it stands
// for (its op), what stops a plan (a blocker), and what every planner reads (PlanContext).
// Pure: no I/O.
import type { Addon, Dataplane } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import type { RegistryContainer } from '../images/registries.js';
import { describeChange } from '../kube/diff.js';
import { type ObjectRef, refLabel } from '../kube/refs.js';
import type { ObjectDrift } from '../observe/drift.js';
import type { Observed } from '../observe/evaluate.js';
import type { Provider } from '../providers/types.js';
import type { AppliedSpec } from '../state/applied-spec.js';

/** What an action does to the cluster: the one fact its symbol, its colour and whether it needs
 * applying are read from. */
type Change = 'create' | 'update' | 'delete' | 'none';

const SYMBOLS = { create: '+', update: '~', delete: '-', none: '=' } as const;
export const symbolOf = (a: Pick<Action, 'change'>) => SYMBOLS[a.change];
export const changes = (a: Pick<Action, 'change'>) => a.change !== 'none';

export interface GatewayApiOp {
  type: 'gateway-api';
  how: 'install' | 'replace' | 'update' | 'restore' | 'keep';
  /** The bundle version the cluster ends up with (or keeps). */
  version: string;
  /** Label what is applied as meshup's: when meshup installed what is there, or nothing is. */
  mark: boolean;
  /** Remove the safe-upgrades admission policy first: it refuses CRDs of an older release. */
  dropPolicy?: boolean;
}

export type Op =
  | { type: 'cluster'; how: 'create' | 'start' | 'reuse' | 'restore-context' }
  | {
      type: 'istio';
      how: 'install' | 'upgrade' | 'reconfigure' | 'repair' | 'keep';
      from?: string;
      missing?: ObjectRef[];
      /** Objects whose content drifted: applied again with the missing ones. */
      changed?: ObjectRef[];
      /** No istiod is there (a new cluster, or one read without Istio): nothing to take over. */
      newMesh?: boolean;
      /** istio-system is being deleted: the install starts once it is gone. */
      afterNamespaceGone?: boolean;
    }
  | { type: 'mtls'; mode?: 'strict' | 'permissive' }
  | { type: 'injection'; enable: string[]; disable: string[]; mode: Dataplane; switching?: string[] }
  | {
      type: 'addon';
      name: string;
      kinds?: string[];
      /** A repair applies just these of its objects (missing or changed); without it, all. */
      refs?: ObjectRef[];
    }
  | { type: 'telemetry' }
  /** Registry containers to run or start (images/registries.ts). */
  | { type: 'registries'; run: RegistryContainer[]; start: string[] }
  /** Nodes pointed at them: the containers joined to the nodes' network, files written in nodes. */
  | {
      type: 'registry-wiring';
      network?: string;
      connect: string[];
      files: { node: string; path: string; content: string }[];
      hosting?: Record<string, unknown>;
    }
  /** The plan's images pulled through the caches while the cluster is made; `caches`: by registry, the URL from here. */
  | { type: 'prefetch'; caches: Record<string, string> }
  | { type: 'record'; spec: AppliedSpec }
  /** istio-system/cacerts with the cluster's intermediate CA (plan/trust.ts). */
  | { type: 'trust'; generate: boolean; restartIstiod: boolean; rotate?: boolean }
  /** A remote secret in cluster `into` for cluster `of` (plan/remote-secrets.ts); `remove`: the secret to delete. */
  | { type: 'remote-secret'; into: string; of: string; remove?: string }
  /** A cluster's services exposed to the other networks of the mesh (plan/east-west.ts). */
  | { type: 'east-west'; cluster: string; address?: string }
  /** A cluster's Kiali given a kubeconfig for each other cluster (plan/kiali.ts). */
  | { type: 'kiali'; cluster: string; peers: string[] }
  | GatewayApiOp;

export interface Action {
  /** Stable id: "cluster", "istio", "addon:kiali"... */
  id: string;
  change: Change;
  /** Future tense, e.g. "create kind cluster meshup". */
  title: string;
  /** Why: what was observed, e.g. "deployment istio-system/istio-ingressgateway is missing". */
  reasons: string[];
  /** Needs --yes (or a yes at the prompt) because it replaces something that works. */
  needsYes?: boolean;
  /** The exact commands it runs (a generated file is shown by its path and content). */
  commands: string[];
  op: Op;
}

/** Something the plan cannot change, with what a person can do about it. A conflict is an object
 * meshup would take over that is not its own (refused unless --adopt). */
export interface Blocker {
  message: string;
  fix?: string;
  /** conflict: an object meshup did not make is in the way (exit 4); usage: what was asked for
   * cannot work (exit 2); otherwise a precondition (exit 3). */
  kind?: 'conflict' | 'usage';
}

/** An object under a name meshup uses that it did not make: refused, or with --adopt taken over. */
export function conflict(objects: readonly string[], what: string): Blocker {
  return {
    kind: 'conflict',
    message: `${objects.join(', ')} ${objects.length > 1 ? 'exist and are' : 'exists and is'} not meshup's: ${what} would take ${objects.length > 1 ? 'them' : 'it'} over`,
    fix: 'rename or remove yours, or let meshup take it over (and later remove it) with --adopt',
  };
}
export const adopting = (objects: readonly string[]) => `takes over ${objects.join(', ')}, which meshup did not make (--adopt)`;

export const blockerText = (b: Blocker) => (b.fix ? `${b.message}. Fix: ${b.fix}` : b.message);

export interface Overlays {
  path: string;
  yaml: string;
  hash: string;
  /** `wanted`: some gateway is enabled (else its overlay installs nothing, and prunes). */
  gateways: { path: string; yaml: string; wanted: boolean };
  /** Whether the gateways' install runs (with the control plane's) when Istio is installed. */
  installGateways: boolean;
}

export interface Plan {
  actions: Action[];
  /** The overlays the Istio actions use (the control plane's, the gateways'), where they will be
   * written, and their combined hash. */
  overlay: Overlays;
  /** Things the plan cannot change, said once (e.g. a cluster that exists but does not answer). */
  blockers: Blocker[];
  /** What a person should know that no action changes (e.g. host ports fixed at creation). */
  notes: string[];
  /** Why the cluster's contents are not known (it exists but could not be read): nothing but its
   * start or repair is planned. */
  unread?: string;
}

export interface PlanInput {
  spec: Spec;
  observed: Observed;
  provider: Provider;
  catalog: Map<string, Addon>;
  context: string;
  overlayPath: string;
  /** Where the Gateway API bundle of the wanted release is (or will be) cached. */
  gatewayApiBundle: string;
  /** Which concerns to plan: `addons enable` plans only addons (and the record). */
  only?: ReadonlySet<Op['type']>;
  /** Take over objects of meshup's names that meshup did not make (--adopt). */
  adopt?: boolean;
  /** Plan what is known not to be supported (--force), with a warning, instead of refusing it. */
  force?: boolean;
  /** Another Istio version replaces the running one in place (meshup upgrade --in-place). */
  inPlace?: boolean;
  /** The mesh's CA is made again (up --rotate-ca). */
  rotateCa?: boolean;
}

/** What each planner reads: the input, and what every one of them would otherwise work out again. */
export interface PlanContext extends PlanInput {
  overlay: Overlays;
  /** The cluster answered: what it holds is known. A cluster that does not run yet is planned as empty. */
  seen: boolean;
  /** A kubectl command with the pinned context, as the plan shows it. */
  kube: (args: string[], stdin?: string) => string;
}

/** One concern's part of the plan. */
export interface Planned {
  actions?: Action[];
  blockers?: Blocker[];
  notes?: string[];
}

const MAX_REASONS = 6;

export function reasonsOf(missing: ObjectRef[], changed: ObjectRef[] = [], notReady: string[] = []): string[] {
  const all = [
    ...missing.map((r) => `${refLabel(r)} is missing`),
    ...changed.map((r) => `${refLabel(r)} was changed`),
    ...notReady.map((w) => `${w} is not ready`),
  ];
  return all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - MAX_REASONS + 1} more`] : all;
}

/** One line per changed field, "deployment istio-system/istiod spec.replicas 0 → 1 (changed by kubectl)", at most MAX_REASONS in all. */
export function driftReasons(drift: readonly ObjectDrift[]): string[] {
  const all = drift.flatMap((d) => d.changes.map((c) => `${refLabel(d.ref)} ${describeChange(c)}`));
  return all.length > MAX_REASONS ? [...all.slice(0, MAX_REASONS - 1), `and ${all.length - MAX_REASONS + 1} more changes`] : all;
}

export const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
