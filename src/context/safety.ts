// Which kube contexts meshup may use. A context is local when both its name and its server say
// so: the cluster or context name carries a local tool's prefix (the list Tilt and ctlptl use,
// after tilt-dev/tilt#1096 hit production), and its server is on this machine (below). A context
// allowed by name (--allow-context, allowContexts) skips both. Everything else is refused before
// any request is sent to it.
import { BlockList, isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { home } from '../config/paths.js';
import { ContextRefusedError } from '../errors.js';
import { readKubeconfigs } from '../exec/kube-endpoint.js';
import type { KubeContextInfo, KubeconfigView } from '../tools/kubectl.js';

const LOCAL_PREFIXES = [
  'minikube',
  'docker-desktop',
  'docker-for-desktop',
  'kind-',
  'k3d-',
  'microk8s',
  'rancher-desktop',
  'colima',
  'orbstack',
  'api-crc-testing',
  'kwok-',
];

export function looksLocal(name: string): boolean {
  return LOCAL_PREFIXES.some((p) => name === p.replace(/-$/, '') || name.startsWith(p));
}

export function isLocalContext(ctx: KubeContextInfo): boolean {
  return looksLocal(ctx.cluster) || looksLocal(ctx.name);
}

// Where a server is decided without sending anything to it and without DNS: loopback (and the
// unspecified address, which connects to this machine); the names local runtimes write to the
// hosts file, pointing at loopback or at their VM (Docker Desktop's, CRC's); this machine's own
// addresses; and private addresses on a network this machine reaches through a virtual bridge,
// where local clusters live: Docker's networks (docker0; br-* for user networks such as
// minikube's and kind's), and the VMs of minikube's other drivers (libvirt's virbr*, VirtualBox's
// vboxnet*, VMware's vmnet*, macOS's bridge100), Podman's and CNI's bridges, Hyper-V's switch.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
const LOCAL_NAMES = new Set([
  'localhost',
  'kubernetes.docker.internal',
  'host.docker.internal',
  'gateway.docker.internal',
  'docker.for.mac.localhost',
  'docker.for.win.localhost',
  'api.crc.testing',
]);
const VIRTUAL_BRIDGE = /^(docker\d+|br-[0-9a-f]+|virbr\d+|vboxnet\d+|vmnet\d+|bridge\d+|podman\d+|cni-podman\d+|cni\d+|vEthernet \(.*\))$/;

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** A context as its locality is judged: its server, and the proxy its requests go through. */
export interface LocalityInfo extends KubeContextInfo {
  /** The cluster's proxy-url: the server is then reached from the proxy's machine. */
  proxyUrl?: string;
}

/** The host part of a server URL as written (after the last @ of the authority), or undefined. */
function rawHost(server: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(server);
  if (!m) return undefined;
  const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  return /^(\[[^\]]*\]|[^:]*)/.exec(authority)![1];
}

/** Why a kube API server is on this machine, or undefined when it is not known to be. Nothing is
 * sent and no name is looked up. */
export function localServer(server: string, interfaces: Interfaces = networkInterfaces()): string | undefined {
  // client-go takes a server without a scheme as https.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const raw = rawHost(text)?.toLowerCase();
  if (!raw) return undefined;
  const v6 = raw.startsWith('[') && isIP(raw.slice(1, -1)) === 6;
  const ip = v6 ? raw.slice(1, -1) : isIP(raw) === 4 ? raw : undefined;
  if (!ip) {
    // A name, written as the URL parser reads it: "127.1" or "0x7f.1" would be an address to a
    // URL parser and a name to Go's resolver, and "a.b" may be anywhere.
    const name = raw.replace(/\.$/, '');
    if (url.hostname.replace(/\.$/, '') !== name || !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(name)) return undefined;
    return LOCAL_NAMES.has(name) || name.endsWith('.localhost') ? `${name} is a local name` : undefined;
  }
  const family = v6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(ip, family)) return `${ip} is this machine (loopback)`;
  const all = Object.entries(interfaces).flatMap(([dev, addrs]) => (addrs ?? []).map((a) => ({ dev, ...a })));
  const own = all.find((a) => a.family === (v6 ? 'IPv6' : 'IPv4') && sameAddress(a.address, ip, family));
  if (own) return `${ip} is this machine's address on ${own.dev}`;
  if (!PRIVATE.check(ip, family)) return undefined;
  const bridge = all.find((a) => VIRTUAL_BRIDGE.test(a.dev) && a.cidr && inSubnet(a.cidr, ip, family));
  return bridge ? `${ip} is on this machine's virtual network ${bridge.dev} (${bridge.cidr})` : undefined;
}

function sameAddress(a: string, b: string, family: 'ipv4' | 'ipv6'): boolean {
  const l = new BlockList();
  l.addAddress(a, family);
  return l.check(b, family);
}

function inSubnet(cidr: string, ip: string, family: 'ipv4' | 'ipv6'): boolean {
  const [net, prefix] = cidr.split('/');
  const l = new BlockList();
  try {
    l.addSubnet(net!.replace(/%.*$/, ''), Number(prefix), family);
  } catch {
    return false;
  }
  return l.check(ip, family);
}

/** The contexts of the kubeconfig files kubectl reads, merged as kubectl merges them (the first
 * file that names an entry wins; the first current-context set), read without kubectl; undefined
 * when a file cannot be read or parsed. */
export function kubeconfigContexts(env: NodeJS.ProcessEnv, cwd: string): (KubeconfigView & { contexts: LocalityInfo[] }) | undefined {
  const docs = readKubeconfigs(env, home(env), cwd);
  if (!docs) return undefined;
  const contexts = new Map<string, LocalityInfo>();
  const clusters = new Map<string, { server: string; proxyUrl?: string }>();
  let current: string | undefined;
  for (const { doc } of docs) {
    const d = doc as typeof doc & { 'current-context'?: unknown };
    if (!current && typeof d['current-context'] === 'string' && d['current-context']) current = d['current-context'];
    for (const c of doc.clusters ?? []) {
      if (typeof c?.name !== 'string' || clusters.has(c.name)) continue;
      const proxy = c.cluster?.['proxy-url'];
      clusters.set(c.name, {
        server: typeof c.cluster?.server === 'string' ? c.cluster.server : '',
        proxyUrl: typeof proxy === 'string' && proxy ? proxy : undefined,
      });
    }
    for (const c of doc.contexts ?? []) {
      if (typeof c?.name === 'string' && !contexts.has(c.name)) contexts.set(c.name, { name: c.name, cluster: String(c.context?.cluster ?? ''), server: '' });
    }
  }
  for (const c of contexts.values()) Object.assign(c, clusters.get(c.cluster) ?? {});
  return { current, contexts: [...contexts.values()] };
}

const allowHint = (name: string) => [
  `If this really is a disposable cluster, allow it by name: --allow-context ${name}`,
  `or add it to meshup.yaml: allowContexts: [${name}]`,
];

/** Refuses a context that is neither allowed by name nor local by its name and by its server. */
export function assertContextAllowed(ctx: LocalityInfo, allowed: readonly string[]): void {
  if (allowed.includes(ctx.name)) return;
  if (!isLocalContext(ctx)) {
    throw new ContextRefusedError(`Refusing to change context "${ctx.name}": its cluster "${ctx.cluster}" does not look like a local cluster`, {
      details: [`server: ${ctx.server || 'unknown'}`, 'meshup changed nothing in it.'],
      fix: allowHint(ctx.name),
    });
  }
  assertServerLocal(ctx, allowed);
}

/** Refuses a context whose server is not on this machine, whatever its name, unless it is allowed
 * by name: a context named like kind's may point anywhere. */
export function assertServerLocal(ctx: LocalityInfo, allowed: readonly string[], interfaces?: Interfaces): void {
  // No server, nowhere to send: kubectl refuses such a context itself.
  if (allowed.includes(ctx.name) || !ctx.server) return;
  if (ctx.proxyUrl && !localServer(ctx.proxyUrl, interfaces)) {
    throw new ContextRefusedError(
      `Refusing to use context "${ctx.name}": its requests go through the proxy ${excerpt(ctx.proxyUrl)}, which is not on this machine`,
      {
        details: [`server: ${excerpt(ctx.server)}, as the proxy's machine sees it. meshup sent nothing to it and changed nothing.`],
        fix: allowHint(ctx.name),
      },
    );
  }
  if (localServer(ctx.server, interfaces)) return;
  throw new ContextRefusedError(`Refusing to use context "${ctx.name}": its server ${excerpt(ctx.server)} is not on this machine`, {
    details: [
      "A local cluster is served on loopback, under a name such as kubernetes.docker.internal, or on one of this machine's virtual networks (docker0, br-*, virbr*, vboxnet*, ...).",
      'A name does not make a cluster local; its address does. meshup sent nothing to it and changed nothing.',
    ],
    fix: allowHint(ctx.name),
  });
}

const excerpt = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}...` : s);
