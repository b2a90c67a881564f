// The registry containers meshup runs beside its clusters (pull-through caches, the local
// registry), the nodes pointed at them, and the prefetch that fills the caches while the cluster
// is made. A container under meshup's name that meshup did not make is refused, not taken over.
import { formatCommand } from '../exec/quote.js';
import { hostsToml, hostsTomlPath, hostUrl, localRegistryHosting, type RegistryContainer, registryRunArgs, wantedRegistries } from '../images/registries.js';
import { type Action, count, type PlanContext, type Planned } from './types.js';

const NAME = 'local-registry-hosting';

export function planRegistries(ctx: PlanContext): Planned {
  const { spec, provider, observed } = ctx;
  const wiring = provider.registryWiring;
  const usable = !!wiring && (wiring.applies?.(spec) ?? true);
  const wanted = usable ? wantedRegistries(spec, observed.images, wiring!.registries) : [];
  const out: Required<Planned> = { actions: [], blockers: [], notes: [] };
  if (spec.imageCache?.external) {
    out.notes.push(`your caches front ${Object.keys(spec.imageCache.external).sort().join(', ')}: meshup prefetches through them and points no node at them`);
  } else if (spec.imageCache && !usable) {
    out.notes.push(`no image cache: ${provider.name}'s nodes${wiring ? ' with this driver' : ''} cannot be pointed at one`);
  }
  const seen = observed.registries?.containers ?? [];
  const run: RegistryContainer[] = [];
  const start: string[] = [];
  for (const c of wanted) {
    const found = seen.find((s) => s.name === c.name);
    if (!found) run.push(c);
    else if (!found.ours) {
      out.blockers.push({
        kind: 'conflict',
        message: `Docker container ${c.name} exists and is not meshup's: meshup would run its ${c.role === 'cache' ? `${c.registry} cache` : 'local registry'} under that name`,
        fix: `remove or rename yours (docker rm -f ${c.name}), or turn it off (${c.role === 'cache' ? '--no-cache' : '--no-local-registry'})`,
      });
    } else if (
      (found.hostPort !== undefined && found.hostPort !== c.hostPort) ||
      (found.remote !== undefined && c.remote !== undefined && found.remote !== c.remote)
    ) {
      // Made for other settings: reusing it would announce an address or an upstream it does not have.
      const was =
        found.hostPort !== c.hostPort ? `publishes on ${found.hostPort}, not ${c.hostPort} as asked` : `fetches from ${found.remote}, not ${c.remote} as asked`;
      out.blockers.push({
        message: `meshup's container ${c.name} ${was}`,
        fix: `remove it to have it made again (meshup cache prune${c.role === 'local' ? ' --all, which also drops the images pushed to it' : ''}), or put the setting back`,
      });
    } else if (!found.running) start.push(c.name);
  }
  if (out.blockers.length) return out;
  if (wanted.length) out.actions.push(containersAction(wanted, run, start));
  const wire = usable && wiring ? wiringAction(ctx, wanted, out.notes) : undefined;
  if (wire) out.actions.push(wire);
  return out;
}

const what = (cs: readonly RegistryContainer[]) =>
  [
    ...(cs.some((c) => c.role === 'cache')
      ? [
          `image caches for ${cs
            .filter((c) => c.role === 'cache')
            .map((c) => c.registry)
            .join(', ')}`,
        ]
      : []),
    ...cs.filter((c) => c.role === 'local').map((c) => `the local registry ${c.registry}`),
  ].join(' and ');

function containersAction(wanted: RegistryContainer[], run: RegistryContainer[], start: string[]): Action {
  const change = run.length ? 'create' : start.length ? 'update' : 'none';
  return {
    id: 'registries',
    change,
    title:
      change === 'none'
        ? `reuse ${what(wanted)} (shared by every cluster, kept by down)`
        : `${run.length ? 'run' : 'start'} ${what(run.length ? run : wanted.filter((c) => start.includes(c.name)))} (shared by every cluster, kept by down)`,
    reasons: start.map((n) => `container ${n} is stopped`),
    commands: [...run.map((c) => formatCommand('docker', registryRunArgs(c))), ...start.map((n) => formatCommand('docker', ['start', n]))],
    op: { type: 'registries', run, start },
  };
}

/** Nodes whose mirrors can change get a hosts.toml per registry, checked on every run; a new
 * cluster gets them once it runs. The containers join the nodes' network either way. */
function wiringAction(ctx: PlanContext, wanted: RegistryContainer[], notes: string[]): Action | undefined {
  const { spec, provider, observed, kube } = ctx;
  const wiring = provider.registryWiring!;
  if (!wanted.length) return undefined;
  const network = wiring.network(spec);
  const creating = observed.cluster.state === 'absent';
  const connect = wanted
    .filter((c) => creating || !observed.registries?.containers.find((s) => s.name === c.name)?.networks.includes(network))
    .map((c) => c.name);
  const reasons: string[] = [];
  const files: { node: string; path: string; content: string }[] = [];
  let hosting: Record<string, unknown> | undefined;
  const local = wanted.find((c) => c.role === 'local');
  if (!wiring.atCreateOnly) {
    // A new cluster's nodes are not known yet: "*" stands for each of them.
    const nodes = creating ? { '*': {} } : (observed.registries?.nodes ?? {});
    for (const [node, have] of Object.entries(nodes)) {
      for (const c of wanted) {
        const content = hostsToml(c);
        const now = (have as Record<string, string | undefined>)[c.registry];
        // Read back through a command's output, which loses the final newline.
        if (now?.trimEnd() === content.trimEnd()) continue;
        files.push({ node, path: hostsTomlPath(c.registry), content });
        if (!creating) reasons.push(`node ${node}: ${hostsTomlPath(c.registry)} ${now === undefined ? 'is missing' : 'was changed'}`);
      }
    }
    if (local) {
      const want = localRegistryHosting(local);
      const have = observed.registries?.hosting;
      const data = (o: unknown) => JSON.stringify((o as { data?: unknown } | undefined)?.data ?? null);
      if (creating || have === null || (have && have.metadata.labels?.['app.kubernetes.io/managed-by'] === 'meshup' && data(have) !== data(want))) {
        hosting = want;
        if (!creating) reasons.push(`configmap kube-public/${NAME} is ${have ? 'changed' : 'missing'}`);
      } else if (have && have.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'meshup') {
        notes.push(`configmap kube-public/${NAME} is not meshup's: left as it is, so tools may not find ${local.registry} by it`);
      }
    }
  }
  if (!creating) reasons.unshift(...connect.map((n) => `container ${n} is not on Docker network ${network}`));
  const change = creating ? 'create' : connect.length || files.length || hosting ? 'update' : 'none';
  const nodesWord = creating ? "the new cluster's nodes" : 'the nodes';
  return {
    id: 'registry-wiring',
    change,
    title:
      change === 'none'
        ? `${nodesWord} pull through ${what(wanted)}`
        : wiring.atCreateOnly
          ? `connect ${what(wanted)} to Docker network ${network} (the node's Docker Hub mirror is set when it is made)`
          : `point ${nodesWord}' containerd at ${what(wanted)}${local ? ` and announce ${local.registry} (configmap kube-public/${NAME})` : ''}`,
    reasons,
    commands: [
      ...connect.map((n) => formatCommand('docker', ['network', 'connect', network, n])),
      ...files.map((f) => formatCommand('docker', ['exec', '--interactive', f.node === '*' ? 'NODE' : f.node, 'cp', '/dev/stdin', f.path], f.content)),
      ...(hosting ? [kube(['apply', '-f', '-'], `kind: ConfigMap\nmetadata: {name: ${NAME}, namespace: kube-public}`)] : []),
    ],
    op: { type: 'registry-wiring', network, connect, files, hosting },
  };
}

/** For a plan that makes workloads (`pulls`): the caches are filled with their images while the
 * cluster is made. Nothing to pull, nothing to prefetch. */
export function planPrefetch(ctx: PlanContext, pulls: boolean): Action | undefined {
  const { spec, provider, observed } = ctx;
  if (!pulls || !spec.imageCache) return undefined;
  const usable = !!provider.registryWiring && (provider.registryWiring.applies?.(spec) ?? true);
  const caches: Record<string, string> = spec.imageCache.external
    ? { ...spec.imageCache.external }
    : usable
      ? Object.fromEntries(
          wantedRegistries(spec, observed.images, provider.registryWiring!.registries)
            .filter((c) => c.role === 'cache')
            .map((c) => [c.registry, hostUrl(c)]),
        )
      : {};
  if (!Object.keys(caches).length) return undefined;
  const known = observed.images?.filter((i) => caches[i.registry]);
  return {
    id: 'prefetch',
    change: 'update',
    title: `prefetch ${known ? count(known.length, 'image') : "the plan's images"} into the caches while the cluster is made`,
    reasons: [],
    commands: [],
    op: { type: 'prefetch', caches },
  };
}
