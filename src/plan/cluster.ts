// The cluster: create, start or repair, reuse; or, when its kube context was deleted, write that
// back first (nothing else can be read till then). Also what cannot change on a cluster that
// exists: the host ports kind mapped when it was made.
import type { Blocker, PlanContext, Planned } from './types.js';

const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 200);

/** A context that is missing stops the rest of the plan: `stop` says so. */
export function planContextRestore({ spec, observed, provider, context }: PlanContext): (Planned & { stop: true }) | undefined {
  if (!observed.cluster.contextMissing) return undefined;
  if (!provider.restoreContext) {
    return {
      stop: true,
      blockers: [{ message: `The kube context ${context} is missing`, fix: 'create it again (kubectl config set-context), then run meshup again' }],
    };
  }
  return {
    stop: true,
    actions: [
      {
        id: 'cluster',
        change: 'update',
        title: `restore the kube context ${context} of ${provider.name} cluster ${spec.clusterName}`,
        reasons: ['the cluster runs, but its context is missing from the kubeconfig'],
        commands: [provider.restoreContextCommand!(spec)],
        op: { type: 'cluster', how: 'restore-context' },
      },
    ],
    notes: ['the rest is planned once the context is back: meshup up restores it first, then reads the cluster'],
  };
}

export function planCluster({ spec, observed, provider, context }: PlanContext): Planned {
  const state = observed.cluster.state;
  if (state === 'absent') {
    if (!provider.creates) return { blockers: [{ message: `The cluster of context ${context} does not answer; start it, then run meshup again` }] };
    return {
      actions: [
        {
          id: 'cluster',
          change: 'create',
          title: `create ${provider.name} cluster ${spec.clusterName} (${spec.need.cpus} CPUs, ${Math.round(spec.need.memoryMiB / 102.4) / 10} GiB)`,
          reasons: [],
          commands: provider.createCommands(spec),
          op: { type: 'cluster', how: 'create' },
        },
      ],
    };
  }
  if (state === 'running') {
    return {
      actions: [
        {
          id: 'cluster',
          change: 'none',
          title: `reuse ${provider.name} cluster ${spec.clusterName}`,
          reasons: [],
          commands: [],
          op: { type: 'cluster', how: 'reuse' },
        },
      ],
    };
  }
  if (!provider.startRepairs.includes(state)) {
    const detail = observed.cluster.detail ? ` (${firstLine(observed.cluster.detail)})` : '';
    const blocker: Blocker = {
      message: `The ${provider.name} cluster "${spec.clusterName}" exists but ${state === 'broken' ? 'its API server does not answer' : `is ${state}`}${detail}`,
      fix: provider.brokenFix(spec),
    };
    return { blockers: [blocker] };
  }
  return {
    actions: [
      {
        id: 'cluster',
        change: 'update',
        title: `${state === 'broken' ? 'repair' : 'start'} ${provider.name} cluster ${spec.clusterName} (it is ${state})`,
        reasons: observed.cluster.detail ? [observed.cluster.detail] : [],
        commands: provider.startCommands(spec),
        op: { type: 'cluster', how: 'start' },
      },
    ],
  };
}

/** Host ports are fixed when a kind cluster is made: said when they differ from what is asked. */
export function planHostPorts({ spec, observed, provider }: PlanContext): Planned {
  const mapped = observed.hostPorts;
  if (!provider.mapsHostPorts || observed.cluster.state === 'absent' || !mapped) return {};
  const missing = provider.portMappings(spec).filter((m) => !mapped.some((h) => h.containerPort === m.containerPort && h.hostPort === m.hostPort));
  if (!missing.length) return {};
  const have = mapped.map((h) => `${h.hostPort}→${h.containerPort}`).join(', ') || 'none';
  return {
    notes: [
      `the ${provider.name} cluster maps host ports ${have}, not ${missing.map((m) => `${m.hostPort}→${m.containerPort}`).join(', ')} as asked; they are fixed when a cluster is made, so to change them: meshup down, then meshup up (meanwhile meshup ingress gives a port-forward)`,
    ],
  };
}
