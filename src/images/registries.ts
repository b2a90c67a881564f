// The registry containers meshup runs beside its clusters, as data: a pull-through cache (the CNCF
// distribution registry in proxy mode) per upstream registry the mesh pulls from, and a local
// registry for the user's own images. Their names, ports, volumes and labels are fixed here, so
// every cluster meshup makes finds the same ones, and so does `meshup cache`. Pure.

/** The label every registry container of meshup's carries: its role and what it serves. */
export const REGISTRY_LABEL = 'dev.meshup.registry';
export const REGISTRY_PORT_LABEL = 'dev.meshup.port';
export const REGISTRY_REMOTE_LABEL = 'dev.meshup.remote';
const MANAGED = 'app.kubernetes.io/managed-by=meshup';

/** The image the containers run: the registry users already know (distribution v2's image). */
const REGISTRY_IMAGE = 'registry:2';
/** Where the image serves inside the container, and keeps its storage. */
const INNER_PORT = 5000;
const STORAGE = '/var/lib/registry';

/** The upstreams the caches front, each with its own fixed host port so every run finds it. A
 * registry not listed is pulled from directly by the nodes (the plan says which). */
export const UPSTREAMS: readonly { registry: string; remote: string; hostPort: number }[] = [
  // Docker Hub's registry API lives apart from its name (registry-1.docker.io).
  { registry: 'docker.io', remote: 'https://registry-1.docker.io', hostPort: 5050 },
  { registry: 'quay.io', remote: 'https://quay.io', hostPort: 5051 },
  { registry: 'ghcr.io', remote: 'https://ghcr.io', hostPort: 5052 },
  { registry: 'registry.k8s.io', remote: 'https://registry.k8s.io', hostPort: 5053 },
  { registry: 'gcr.io', remote: 'https://gcr.io', hostPort: 5054 },
];

export const DEFAULT_LOCAL_REGISTRY_PORT = 5001;

export interface RegistryContainer {
  /** The container's name; nodes on its network reach it by this name. */
  name: string;
  role: 'cache' | 'local';
  /** The registry it stands for: the upstream it caches, or localhost:PORT for the local one. */
  registry: string;
  /** The upstream a cache fetches from. */
  remote?: string;
  /** Published on 127.0.0.1: meshup's prefetch, and `docker push localhost:PORT/...`. */
  hostPort: number;
  volume: string;
}

const containerName = (role: RegistryContainer['role'], registry: string) =>
  role === 'local' ? 'meshup-registry' : `meshup-cache-${registry.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;

export function cacheContainer(registry: string, remote?: string): RegistryContainer | undefined {
  const known = UPSTREAMS.find((u) => u.registry === registry);
  if (!known) return undefined;
  const name = containerName('cache', registry);
  return { name, role: 'cache', registry, remote: remote ?? known.remote, hostPort: known.hostPort, volume: name };
}

export function localRegistry(port: number): RegistryContainer {
  const name = containerName('local', '');
  return { name, role: 'local', registry: `localhost:${port}`, hostPort: port, volume: name };
}

/** The URL a node uses for it, by name on the network it shares with the nodes. */
export const innerUrl = (c: RegistryContainer) => `http://${c.name}:${INNER_PORT}`;
/** The URL this machine uses for it. */
export const hostUrl = (c: RegistryContainer) => `http://127.0.0.1:${c.hostPort}`;

/** `docker run` for it: detached, restarted with Docker, storage in a named volume that outlives
 * the container (a pruned container keeps nothing; `cache prune` removes both). */
export function registryRunArgs(c: RegistryContainer): string[] {
  return [
    'run',
    '--detach',
    '--restart=always',
    '--name',
    c.name,
    '--label',
    MANAGED,
    '--label',
    `${REGISTRY_LABEL}=${c.role === 'cache' ? c.registry : 'local'}`,
    '--label',
    `${REGISTRY_PORT_LABEL}=${c.hostPort}`,
    ...(c.remote ? ['--label', `${REGISTRY_REMOTE_LABEL}=${c.remote}`] : []),
    '--publish',
    `127.0.0.1:${c.hostPort}:${INNER_PORT}`,
    '--volume',
    `${c.volume}:${STORAGE}`,
    ...(c.remote ? ['--env', `REGISTRY_PROXY_REMOTEURL=${c.remote}`] : []),
    REGISTRY_IMAGE,
  ];
}

/** containerd's hosts.toml for a registry: pull and resolve through the container; the upstream
 * stays the fallback (containerd tries the hosts in order), so a cache that is down slows a pull
 * instead of failing it. */
export function hostsToml(c: RegistryContainer): string {
  const server = c.role === 'cache' ? (UPSTREAMS.find((u) => u.registry === c.registry)?.remote ?? `https://${c.registry}`) : innerUrl(c);
  return [`server = "${server}"`, '', `[host."${innerUrl(c)}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n');
}

/** Where containerd reads a registry's hosts.toml (its config_path, which kind's config patch sets). */
export const hostsTomlPath = (registry: string) => `${CERTS_D}/${registry}/hosts.toml`;
export const CERTS_D = '/etc/containerd/certs.d';

/** KEP-1755's ConfigMap: how tools find the cluster's local registry. */
export function localRegistryHosting(c: RegistryContainer): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'local-registry-hosting', namespace: 'kube-public', labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
    data: {
      'localRegistryHosting.v1': `host: "${c.registry}"\nhostFromContainerRuntime: "${c.name}:${INNER_PORT}"\nhostFromClusterNetwork: "${c.name}:${INNER_PORT}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n`,
    },
  };
}

/** What `docker ps` says of one of them. */
export interface RegistryObserved {
  name: string;
  running: boolean;
  /** Carries meshup's label: it is meshup's to start, connect and remove. */
  ours: boolean;
  networks: string[];
  /** What its label says it serves. */
  serves?: string;
  hostPort?: number;
  /** The upstream a cache was made to fetch from, when its label says. */
  remote?: string;
}

/** The registries Istio's images and its samples' addons come from: cached when the plan's own
 * image list is not known yet (the release has not been rendered on this machine). */
const LIKELY = ['docker.io', 'quay.io', 'ghcr.io'];

/** The registry containers a spec wants: a cache for each registry its images come from that
 * meshup can front (all of them when the list is not known), and the local registry. */
export function wantedRegistries(
  spec: { imageCache?: { upstreams: Readonly<Record<string, string>>; external?: Readonly<Record<string, string>> }; localRegistryPort?: number },
  images: readonly { registry: string }[] | undefined,
  /** What the nodes can be pointed at: any registry, or Docker Hub's alone (minikube's dockerd). */
  readable: 'any' | 'docker.io' = 'any',
): RegistryContainer[] {
  const out: RegistryContainer[] = [];
  if (spec.imageCache && !spec.imageCache.external) {
    const from = (images ? [...new Set(images.map((i) => i.registry))] : LIKELY).filter((r) => readable === 'any' || r === readable);
    for (const r of from.sort()) {
      const c = cacheContainer(r, spec.imageCache.upstreams[r]);
      if (c) out.push(c);
    }
  }
  if (spec.localRegistryPort) out.push(localRegistry(spec.localRegistryPort));
  return out;
}
