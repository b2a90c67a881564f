// Objects by name: how what meshup expects is matched with what the cluster holds, and the
// content hash that tells a changed object. Pure: no I/O.
import { createHash } from 'node:crypto';
import { yamlStream } from '../util/yaml.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Hash of the object as meshup applies it (addons only); a different one on the cluster is drift. */
  hash?: string;
}

/** "Deployment/istio-system/istiod": how observed objects and expected ones are matched. */
export const refKey = (r: { kind?: string; namespace?: string; name: string }) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

export const refLabel = (r: ObjectRef) => `${r.kind.toLowerCase()} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** The resource name kubectl lists a kind by, qualified by group so it never resolves to another API. */
export function resourceOf(r: { apiVersion: string; kind: string }): string {
  const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : '';
  const kind = r.kind.toLowerCase();
  const plural = kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : kind.endsWith('s') ? `${kind}es` : `${kind}s`;
  return group ? `${plural}.${group}` : plural;
}

/** Every object of a multi-document YAML stream (List items included), empty documents skipped. */
export function objectsOf(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const { value } of yamlStream(text)) {
    const o = value as Record<string, unknown> | null | undefined;
    if (!o || typeof o !== 'object' || !o.kind) continue;
    if (o.kind === 'List' && Array.isArray(o.items)) out.push(...(o.items as Record<string, unknown>[]));
    else out.push(o);
  }
  return out;
}

export function refOf(o: Record<string, unknown>, defaultNamespace?: string, clusterScoped?: (kind: string) => boolean): ObjectRef {
  const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = String(o.kind);
  const namespace = md.namespace ?? (clusterScoped?.(kind) ? undefined : defaultNamespace);
  return { apiVersion: String(o.apiVersion), kind, name: String(md.name), ...(namespace ? { namespace } : {}) };
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'PriorityClass',
  'StorageClass',
  'IngressClass',
  'GatewayClass',
]);
export const isClusterScoped = (kind: string) => CLUSTER_SCOPED.has(kind);

export function hashObject(o: unknown): string {
  return createHash('sha256').update(JSON.stringify(o)).digest('hex').slice(0, 16);
}
