// Which kube contexts meshup may change. A context is local when its cluster name carries a
// local tool's prefix (the list Tilt and ctlptl use, after tilt-dev/tilt#1096 hit production),
// or when the user allowed it by name. Everything else is refused before any call that writes.
import { ContextRefusedError } from '../errors.js';
import type { KubeContextInfo } from '../tools/kubectl.js';

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

export function assertContextAllowed(ctx: KubeContextInfo, allowed: readonly string[]): void {
  if (allowed.includes(ctx.name) || isLocalContext(ctx)) return;
  throw new ContextRefusedError(`Refusing to change context "${ctx.name}": its cluster "${ctx.cluster}" does not look like a local cluster`, {
    details: [`server: ${ctx.server || 'unknown'}`, 'meshup changed nothing in it.'],
    fix: [
      `If this really is a disposable local cluster, allow it by name: --allow-context ${ctx.name}`,
      `or add it to meshup.yaml: allowContexts: [${ctx.name}]`,
    ],
  });
}
