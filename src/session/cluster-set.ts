// Which clusters a command acts on when several form one mesh: `--clusters N` (names derived
// from --name), a `clusters:` list in meshup.yaml, or the set `up` last made here (when nothing
// names another cluster). Each member then runs the command as its own App, whose spec has the
// member as a layer (session/spec.ts): its name, provider, context, network and place.
import { type ClusterSet, memberNames, networkOf, type SetMember } from '../config/cluster-set.js';
import { MAX_CLUSTERS } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import type { App } from './app.js';

const DEFAULT_BASE = 'meshup';

export interface SetInScope {
  set: ClusterSet;
  /** The members the command acts on: all of them, or the one `--cluster NAME` names. */
  selected: readonly SetMember[];
}

/** The set the command acts on, or undefined for one cluster. */
export async function clusterSetOf(app: App): Promise<SetInScope | undefined> {
  const { flags } = app;
  const env = app.io.env;
  const [{ config, file }, last] = await Promise.all([app.sources.configFile(), app.sources.lastTarget()]);
  const cfg = (key: string) => `${file ?? 'meshup.yaml'} (${key})`;
  const multiNetwork = flags.multiNetwork ?? config.multiNetwork ?? false;
  const base = flags.name ?? env.MESHUP_CLUSTER_NAME ?? config.clusterName ?? DEFAULT_BASE;
  const derived = (n: number): ClusterSet => ({
    meshId: config.meshID ?? base,
    multiNetwork,
    members: memberNames(base, n).map((name, index) => ({ name, index, network: networkOf(index, multiNetwork) })),
  });
  let set: ClusterSet | undefined;
  if (flags.clusters !== undefined) {
    const n = Number(flags.clusters);
    if (!/^\d+$/.test(flags.clusters) || n < 1 || n > MAX_CLUSTERS) {
      throw new UsageError(`--clusters ${JSON.stringify(flags.clusters)} is not a number of clusters from 1 to ${MAX_CLUSTERS}`, {
        fix: 'Pass --clusters 2 for two clusters that form one mesh',
      });
    }
    set = n > 1 ? derived(n) : undefined;
  } else if (typeof config.clusters === 'number') {
    set = config.clusters > 1 ? derived(config.clusters) : undefined;
  } else if (Array.isArray(config.clusters)) {
    const names = config.clusters.map((c) => c.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new UsageError(`${cfg('clusters')}: cluster ${twice} is listed twice`, { fix: 'Give each cluster a name of its own' });
    const members: SetMember[] = config.clusters.map((c, index) => ({
      name: c.name,
      index,
      network: c.network ?? networkOf(index, multiNetwork),
      ...(c.provider ? { provider: c.provider } : {}),
      ...(c.context ? { context: c.context } : {}),
    }));
    set = members.length > 1 ? { meshId: config.meshID ?? members[0]!.name.replace(/-\d+$/, ''), multiNetwork, members } : undefined;
  } else if (last?.set && !namesOneCluster(app, config)) {
    set =
      flags.multiNetwork === undefined
        ? last.set
        : { ...last.set, multiNetwork, members: last.set.members.map((m) => ({ ...m, network: networkOf(m.index, multiNetwork) })) };
  }
  if (!set) {
    if (flags.cluster)
      throw new UsageError(`--cluster ${flags.cluster} names one cluster of a set, and there is no set here`, {
        fix: 'Drop --cluster, or name the set: --clusters 2',
      });
    return undefined;
  }
  return { set, selected: flags.cluster ? [chosen(set, flags.cluster)] : set.members };
}

/** Flags, environment or config that name a single cluster speak over the set last made here. */
function namesOneCluster(app: App, config: { clusterName?: string; context?: string; provider?: string }): boolean {
  const { flags } = app;
  const env = app.io.env;
  return !!(
    flags.name ||
    flags.provider ||
    flags.context ||
    env.MESHUP_CLUSTER_NAME ||
    env.MESHUP_PROVIDER ||
    env.MESHUP_CONTEXT ||
    config.clusterName ||
    config.context ||
    config.provider
  );
}

function chosen(set: ClusterSet, name: string): SetMember {
  const member = set.members.find((m) => m.name === name);
  if (!member) {
    const near = closest(
      name,
      set.members.map((m) => m.name),
    );
    throw new UsageError(`--cluster ${name} is not a cluster of this mesh (${set.members.map((m) => m.name).join(', ')})`, {
      fix: near ? `Did you mean --cluster ${near}?` : 'Name one of them',
    });
  }
  return member;
}

/** The App a member runs the command as: the same terminal, runner, signal and lock owner. */
export function memberApp(app: App, set: ClusterSet, member: SetMember): App {
  return { ...app, member: { set, member, of: app.member?.of ?? app } };
}

/**
 * Runs a command on each cluster it acts on, one after the other, each under a heading; under
 * --json their documents become one ({ meshId, clusters: [...] }). The exit status is the worst.
 */
export async function forEachMember(app: App, scope: SetInScope, run: (member: App) => Promise<void | number>): Promise<number | undefined> {
  const docs: unknown[] = [];
  let worst: number | undefined;
  for (const [i, member] of scope.selected.entries()) {
    if (i > 0) app.out.print('');
    app.out.print(app.out.c.bold(`== cluster ${member.name} of mesh ${scope.set.meshId} ==`));
    const out = app.out.collecting((doc) =>
      docs.push(doc && typeof doc === 'object' ? { cluster: member.name, ...doc } : { cluster: member.name, result: doc }),
    );
    const code = await run({ ...memberApp(app, scope.set, member), out });
    if (typeof code === 'number' && code > (worst ?? 0)) worst = code;
  }
  app.out.result({ meshId: scope.set.meshId, clusters: docs });
  return worst;
}
