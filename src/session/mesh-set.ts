// A mesh of several clusters, prepared as one: each member's spec, reads and plan as for a single
// cluster (session/converge.ts), with the machine's shared work planned once; then what spans the
// clusters: each one's API server address as the others reach it, the remote secrets each holds,
// and the plan for them. Nothing in here changes anything.
import type { ClusterSet } from '../config/cluster-set.js';
import { CROSS_NETWORK_GATEWAY, crossNetworkGateway } from '../istio/eastwest.js';
import { ISTIO_NAMESPACE, MANAGED_BY } from '../istio/labels.js';
import { EASTWEST_GATEWAY } from '../istio/overlay.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { readRemoteSecrets, remoteSecretsOf } from '../observe/remote-secrets.js';
import { shareMachineWork } from '../plan/cluster-set.js';
import { planEastWest } from '../plan/east-west.js';
import { KIALI_SECRET, planKiali } from '../plan/kiali.js';
import { type EastWestSeen, type KialiSeen, type MemberSeen, planRemoteSecrets } from '../plan/remote-secrets.js';
import type { Plan, Planned } from '../plan/types.js';
import { getObject, kubeconfigCa } from '../tools/kubectl.js';
import type { App } from './app.js';
import type { SetInScope } from './cluster-set.js';
import { memberApp } from './cluster-set.js';
import { type Prepared, type PrepareOptions, prepare } from './converge.js';

export interface PreparedSet {
  set: ClusterSet;
  /** Each member's App and preparation, in the set's order. */
  members: { app: App; prepared: Prepared }[];
  /** What spans the clusters: the remote secrets. */
  across: Required<Planned>;
  seen: MemberSeen[];
}

/** Prepares every member: the first one asks (in a terminal), the others take its answers. */
export async function prepareSet(app: App, scope: SetInScope, opts: PrepareOptions = {}): Promise<PreparedSet> {
  const apps = scope.set.members.map((m) => memberApp(app, scope.set, m));
  const first = await prepare(apps[0]!, opts);
  const layers = { ...first.layers, ...opts.layers };
  const rest = await Promise.all(apps.slice(1).map((a) => prepare(a, { ...opts, ask: false, layers })));
  // A member without a record of its own (not made yet, or deleted) is planned as the others are.
  const record = [first, ...rest].find((p) => p.observed.recorded)?.observed.recorded;
  const prepared = await Promise.all(
    [first, ...rest].map((p, i) => (p.observed.recorded || !record ? p : prepare(apps[i]!, { ...opts, ask: false, layers: { ...layers, sibling: record } }))),
  );
  const plans = shareMachineWork(prepared.map((p) => p.plan));
  const members = prepared.map((p, i) => ({ app: apps[i]!, prepared: { ...p, plan: plans[i]! } }));
  const seen = await observeAcross(members.map((m) => m.prepared));
  const across = acrossPlan(seen, app.switches.adopt);
  const made = members.filter((m) => m.prepared.plan.actions.some((a) => a.op.type === 'cluster' && a.change !== 'none'));
  if (made.length > 1) {
    const serial = made.filter((m) => m.prepared.target.provider.createsOneAtATime).map((m) => m.prepared.spec.clusterName);
    across.notes.unshift(
      `${made.map((m) => m.prepared.spec.clusterName).join(' and ')} are made and converged side by side: the slowest decides the time${serial.length > 1 ? ` (${serial.join(' and ')} are created one at a time: ${made[0]!.prepared.target.provider.name} cannot create two at once)` : ''}`,
    );
  }
  return { set: scope.set, members, seen, across };
}

/** After every member was applied (each now runs and answers): only what spans the clusters is
 * read again (the addresses, secrets and gateways the join is planned from), not every cluster. */
export async function afterApply(app: App, ps: PreparedSet): Promise<PreparedSet> {
  const members = ps.members.map((m) => ({
    ...m,
    prepared: { ...m.prepared, observed: { ...m.prepared.observed, cluster: { state: 'running' as const }, reachable: true } },
  }));
  const seen = await observeAcross(members.map((m) => m.prepared));
  return { ...ps, members, seen, across: acrossPlan(seen, app.switches.adopt) };
}

function acrossPlan(seen: MemberSeen[], adopt: boolean): Required<Planned> {
  const parts = [planEastWest(seen, { adopt }), planRemoteSecrets(seen, { adopt }), planKiali(seen, { adopt })];
  return { actions: parts.flatMap((p) => p.actions ?? []), blockers: parts.flatMap((p) => p.blockers ?? []), notes: parts.flatMap((p) => p.notes ?? []) };
}

/** Each member's address as the others reach it, and its remote secrets, where it runs. */
async function observeAcross(members: readonly Prepared[]): Promise<MemberSeen[]> {
  return Promise.all(
    members.map(async ({ target, spec, observed }): Promise<MemberSeen> => {
      const multiNetwork = !!spec.mesh?.multiNetwork;
      const kiali = spec.addons.includes('kiali');
      const base = {
        name: spec.clusterName,
        context: target.context,
        ...(multiNetwork ? { eastWest: { gateway: 'absent' as const } } : {}),
        ...(kiali ? { kiali: { secret: 'absent' as const } } : {}),
      };
      if (observed.cluster.state !== 'running' || !observed.reachable) return base;
      const [address, secrets, eastWest, ca, kialiSeen] = await Promise.all([
        (target.provider.peerApiServer?.(target.runner, spec) ?? Promise.reject(new Error(`${target.provider.name} cannot say`))).then(
          (a) => ({ address: a }),
          (e: unknown) => ({ addressError: e instanceof Error ? e.message : String(e) }),
        ),
        readRemoteSecrets(target.runner),
        multiNetwork ? readEastWest(target) : undefined,
        kubeconfigCa(target.runner).catch(() => undefined),
        kiali ? readKiali(target) : undefined,
      ]);
      return { ...base, ...address, secrets, ...(eastWest ? { eastWest } : {}), ...(ca ? { ca } : {}), ...(kialiSeen ? { kiali: kialiSeen } : {}) };
    }),
  );
}

/** The across-cluster part as a plan of its own, for printing. */
export function acrossAsPlan(across: Required<Planned>, like: Plan): Plan {
  return { actions: across.actions, blockers: across.blockers, notes: across.notes, overlay: like.overlay };
}

/** The east-west gateway's Gateway object and Service, and where the other networks reach it. */
async function readEastWest(target: Prepared['target']): Promise<EastWestSeen> {
  const { runner, provider, spec } = target;
  const [gateway, service, reach] = await Promise.all([
    getObject(runner, 'gateways.networking.istio.io', CROSS_NETWORK_GATEWAY, ISTIO_NAMESPACE).catch(() => undefined),
    getObject<KubeObject & { spec?: { externalIPs?: string[] } }>(runner, 'service', EASTWEST_GATEWAY, ISTIO_NAMESPACE),
    (provider.eastWestAddress?.(runner, spec) ?? Promise.reject(new Error(`the ${provider.name} provider has no node address to give it`))).then(
      (a) => ({ reachable: a }),
      (e: unknown) => ({ why: e instanceof Error ? e.message : String(e) }),
    ),
  ]);
  const claim = claimOf(gateway, { label: 'app.kubernetes.io/managed-by', value: MANAGED_BY['app.kubernetes.io/managed-by'] });
  const want = crossNetworkGateway().spec;
  return {
    ...reach,
    ...(service ? { externalIPs: service.spec?.externalIPs ?? [] } : {}),
    gateway: claim,
    gatewayCurrent: !!gateway && canonical((gateway as { spec?: unknown }).spec) === canonical(want),
  };
}

/** JSON with every object's keys in order: the API server keeps a spec's values, not its key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Kiali's multi-cluster secret: whose it is, and the server and CA of each kubeconfig in it. */
async function readKiali(target: Prepared['target']): Promise<KialiSeen> {
  const secret = await getObject<KubeObject & { data?: Record<string, string> }>(target.runner, 'secret', KIALI_SECRET, ISTIO_NAMESPACE);
  if (!secret) return { secret: 'absent' };
  const claim = claimOf(secret, { label: 'app.kubernetes.io/managed-by', value: MANAGED_BY['app.kubernetes.io/managed-by'] });
  const clusters = Object.fromEntries(remoteSecretsOf([secret]).map((s) => [s.cluster, { server: s.server, ca: s.ca }]));
  return { secret: claim === 'ours' ? 'ours' : 'foreign', clusters };
}
