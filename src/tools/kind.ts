// kind: clusters as Docker containers. Context names are "kind-<name>".
import type { Runner } from '../exec/runner.js';

export const kindContext = (name: string) => `kind-${name}`;

/** `kind get clusters` prints one name a line; none is "No kind clusters found." on stderr. */
export function parseKindClusters(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^No kind clusters found/i.test(l));
}

export async function kindClusters(runner: Runner): Promise<string[]> {
  const r = await runner.run({ readOnly: true, tool: 'kind', args: ['get', 'clusters'], step: 'Listing kind clusters', timeoutMs: 30_000 });
  return parseKindClusters(r.stdout);
}

export interface KindClusterConfig {
  name: string;
  nodeImage?: string;
  portMappings: { containerPort: number; hostPort: number }[];
  /** containerd reads per-registry hosts.toml files from this directory, so mirrors can be set
   * (and changed) on a running node without restarting it. */
  registryConfigPath?: string;
  /** Pod and Service ranges of its own (one of several clusters of a mesh). */
  subnets?: { pods: string; services: string };
}

/** The cluster config kind reads from stdin. Port mappings must exist at creation (kind#2720). */
export function kindConfigYaml(c: KindClusterConfig): string {
  const lines = ['kind: Cluster', 'apiVersion: kind.x-k8s.io/v1alpha4', `name: ${c.name}`, 'nodes:', '  - role: control-plane'];
  if (c.nodeImage) lines.push(`    image: ${c.nodeImage}`);
  const patches = c.registryConfigPath
    ? ['containerdConfigPatches:', '  - |-', '    [plugins."io.containerd.grpc.v1.cri".registry]', `      config_path = "${c.registryConfigPath}"`]
    : [];
  if (c.portMappings.length) {
    lines.push('    extraPortMappings:');
    for (const m of c.portMappings) {
      lines.push(`      - containerPort: ${m.containerPort}`, `        hostPort: ${m.hostPort}`, '        listenAddress: 127.0.0.1', '        protocol: TCP');
    }
  }
  const networking = c.subnets ? ['networking:', `  podSubnet: ${c.subnets.pods}`, `  serviceSubnet: ${c.subnets.services}`] : [];
  return `${[...lines, ...networking, ...patches].join('\n')}\n`;
}

/**
 * The problems kind v0.33.0 itself reports for these mappings (pkg/internal/apis/config/validate.go):
 * ports outside 0..65535, and two mappings on the same listen address, host port and protocol
 * ("port mapping with same listen address, port and protocol already configured"). Checking
 * them up front lets a bad config fail before anything runs; kind would fail only at create.
 */
export function kindPortMappingProblems(mappings: KindClusterConfig['portMappings'], listenAddress = '127.0.0.1', protocol = 'TCP'): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of mappings) {
    for (const [what, port] of [
      ['hostPort', m.hostPort],
      ['containerPort', m.containerPort],
    ] as const) {
      if (!Number.isInteger(port) || port < -1 || port > 65535) problems.push(`invalid ${what}: invalid port number: ${port}`);
    }
    if (m.hostPort === 0 || m.hostPort === -1) continue; // random ports never clash
    const key = `${listenAddress}:${m.hostPort}/${protocol}`;
    if (seen.has(key)) problems.push(`port mapping with same listen address, port and protocol already configured: ${key}`);
    seen.add(key);
  }
  return problems;
}

/**
 * `timeoutMs` bounds the whole create; without it, the --wait time plus five minutes. A caller
 * with a user-given limit (--timeout) should pass it, so the limit named in the error is real.
 */
export function kindCreateArgs(c: KindClusterConfig, waitSeconds = 180): string[] {
  const args = ['create', 'cluster', '--name', c.name, '--config', '-', '--wait', `${waitSeconds}s`];
  if (c.nodeImage) args.push('--image', c.nodeImage);
  return args;
}

export async function kindCreate(runner: Runner, c: KindClusterConfig, waitSeconds = 180, timeoutMs = (waitSeconds + 300) * 1000): Promise<void> {
  await runner.run({ tool: 'kind', args: kindCreateArgs(c, waitSeconds), input: kindConfigYaml(c), step: `Creating kind cluster ${c.name}`, timeoutMs });
}

/**
 * Writes the cluster's context (kind-NAME) back into the kubeconfig from the node's admin.conf,
 * the repair for a cluster whose context was deleted; it also makes it the current context.
 */
export async function kindExportKubeconfig(runner: Runner, name: string): Promise<void> {
  await runner.run({
    tool: 'kind',
    args: ['export', 'kubeconfig', '--name', name],
    step: `Restoring the kube context of kind cluster ${name}`,
    timeoutMs: 60_000,
  });
}

/** kind names a one-node cluster's only container NAME-control-plane. */
const kindNodeContainer = (name: string) => `${name}-control-plane`;

export type KindNodeState = 'absent' | 'running' | 'stopped' | 'paused' | 'other';

/** Docker's State.Status of the node container: running, exited, created, paused, restarting, dead. */
export function parseKindNodeState(stdout: string, exitCode: number): KindNodeState {
  if (exitCode !== 0) return 'absent';
  const s = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (s === 'running') return 'running';
  if (s === 'exited' || s === 'created' || s === 'dead') return 'stopped';
  if (s === 'paused') return 'paused';
  return 'other';
}

/** Whether the node container runs; a listed cluster may have a stopped or missing one. */
export async function kindNodeState(runner: Runner, name: string): Promise<KindNodeState> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['inspect', '--format', '{{.State.Status}}', kindNodeContainer(name)],
    okExitCodes: [1],
    step: `Asking Docker about kind node ${kindNodeContainer(name)}`,
    timeoutMs: 20_000,
  });
  return parseKindNodeState(r.stdout, r.exitCode);
}

export interface KindPortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress: string;
  protocol: string;
}

/**
 * Reads `{{json .HostConfig.PortBindings}}` of the node container, e.g.
 * {"30080/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"6443/tcp":[…]}: what the cluster
 * really maps, decided when it was created. The API server's own 6443 is left out.
 */
export function parseKindPortBindings(stdout: string): KindPortMapping[] {
  const doc = JSON.parse(stdout.trim() || 'null') as Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  const out: KindPortMapping[] = [];
  for (const [key, binds] of Object.entries(doc ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    const containerPort = Number(port);
    if (containerPort === 6443) continue;
    for (const b of binds ?? []) out.push({ containerPort, hostPort: Number(b.HostPort), listenAddress: b.HostIp || '0.0.0.0', protocol: proto.toUpperCase() });
  }
  // By host port, as a user reads them (8080 before 8443), whatever docker's key order.
  return out.sort((a, b) => a.hostPort - b.hostPort || a.containerPort - b.containerPort);
}

export const kindNodeStartArgs = (name: string) => ['start', kindNodeContainer(name)];

/** Starts a stopped node container: kind has no start command; its node comes back with it. */
export async function kindNodeStart(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'docker', args: kindNodeStartArgs(name), step: `Starting kind node ${kindNodeContainer(name)}`, timeoutMs: 120_000 });
}

/** The host ports an existing kind cluster publishes (not what meshup.yaml asks for now). */
export async function kindPortMappings(runner: Runner, name: string): Promise<KindPortMapping[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['inspect', '--format', '{{json .HostConfig.PortBindings}}', kindNodeContainer(name)],
    step: `Reading the port mappings of kind node ${kindNodeContainer(name)}`,
    timeoutMs: 20_000,
  });
  return parseKindPortBindings(r.stdout);
}

/** The control-plane container's address on kind's network: where another kind node reaches its
 * API server (6443 inside the network; the kubeconfig's 127.0.0.1 port is the host's). */
export async function kindNodeAddress(runner: Runner, name: string): Promise<string> {
  const r = await runner.run({
    readOnly: true,
    tool: 'docker',
    args: ['inspect', '--format', '{{(index .NetworkSettings.Networks "kind").IPAddress}}', kindNodeContainer(name)],
    step: `Reading the address of kind node ${kindNodeContainer(name)} on kind's network`,
    timeoutMs: 20_000,
  });
  const ip = r.stdout.trim();
  if (!/^[0-9a-f.:]+$/i.test(ip)) throw new Error(`kind node ${kindNodeContainer(name)} has no address on kind's network`);
  return ip;
}

/** `kind get nodes` prints one node container a line. */
export async function kindNodes(runner: Runner, name: string): Promise<string[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kind',
    args: ['get', 'nodes', '--name', name],
    step: `Listing the nodes of kind cluster ${name}`,
    timeoutMs: 30_000,
  });
  return parseKindClusters(r.stdout);
}

export async function kindDelete(runner: Runner, name: string): Promise<void> {
  await runner.run({ tool: 'kind', args: ['delete', 'cluster', '--name', name], step: `Deleting kind cluster ${name}`, timeoutMs: 180_000 });
}
