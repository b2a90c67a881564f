// Reads made straight to the API server (Runner.apiGet) where kubectl would cost a process, a
// discovery round and whole objects: the observe round lists a dozen kinds at once, and most of
// them only for their names, labels and annotations, which the API server can send alone
// (PartialObjectMetadataList). Every function returns undefined when a read could not be made
// that way, so its caller reads with kubectl instead and meets kubectl's errors.
import type { Runner } from '../exec/runner.js';
import type { KubeList, KubeObject } from './kubectl.js';

/** A kind as the API serves it. */
export interface ApiKind {
  group: string;
  version: string;
  /** The plural resource name. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Only metadata is needed: names, labels and annotations (a content hash, say). */
  metadataOnly?: boolean;
}

/** The name kubectl lists a kind by, qualified by its group. */
export const kubectlResource = (k: ApiKind) => (k.group ? `${k.resource}.${k.group}` : k.resource);

const apiVersionOf = (k: ApiKind) => (k.group ? `${k.group}/${k.version}` : k.version);

/** The API server sends only metadata for this Accept; a server that cannot sends whole objects. */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

const core = (resource: string, kind: string, namespaced: boolean): ApiKind => ({ group: '', version: 'v1', resource, kind, namespaced });
const grouped = (group: string, version: string, resource: string, kind: string, namespaced: boolean): ApiKind => ({
  group,
  version,
  resource,
  kind,
  namespaced,
});

/** The built-in kinds meshup reads, by the name kubectl lists them by; their versions are the
 * ones every Kubernetes release meshup supports serves (autoscaling/v2 since 1.23). */
export const BUILTIN = {
  nodes: core('nodes', 'Node', false),
  namespaces: core('namespaces', 'Namespace', false),
  pods: core('pods', 'Pod', true),
  services: core('services', 'Service', true),
  configmaps: core('configmaps', 'ConfigMap', true),
  serviceaccounts: core('serviceaccounts', 'ServiceAccount', true),
  deployments: grouped('apps', 'v1', 'deployments', 'Deployment', true),
  statefulsets: grouped('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  daemonsets: grouped('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  roles: grouped('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rolebindings: grouped('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  clusterroles: grouped('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  clusterrolebindings: grouped('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  mutatingwebhookconfigurations: grouped('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false),
  validatingwebhookconfigurations: grouped('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false),
  poddisruptionbudgets: grouped('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  horizontalpodautoscalers: grouped('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
  customresourcedefinitions: grouped('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
} as const satisfies Record<string, ApiKind>;

/** A built-in kind by a name kubectl takes for it (`deployments`, `deployments.apps`, `deployment`). */
export function builtinKind(name: string): ApiKind | undefined {
  return Object.values(BUILTIN).find((k) => name === k.resource || name === kubectlResource(k) || name === k.kind.toLowerCase());
}

function listPath(k: ApiKind, namespace: string | undefined, selector: string | undefined): string {
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
  return `${base}${k.namespaced && namespace ? `/namespaces/${namespace}` : ''}/${k.resource}${query}`;
}

/** Every object of these kinds, in one parallel round, each with its kind and apiVersion set:
 * namespaced kinds from `namespace`, or from every namespace when it is undefined; undefined
 * unless every list was answered. */
export async function listDirect(
  runner: Runner,
  kinds: readonly ApiKind[],
  where: { namespace?: string; selector?: string },
  step: string,
  timeoutMs = 30_000,
): Promise<KubeObject[] | undefined> {
  const lists = await Promise.all(
    kinds.map(async (k) => {
      const r = await runner.apiGet({
        path: listPath(k, where.namespace, where.selector),
        accept: k.metadataOnly ? METADATA_ONLY : undefined,
        step,
        timeoutMs,
      });
      const list = r?.status === 200 ? json<KubeList<KubeObject>>(r.body) : undefined;
      return list && (list.items ?? []).map((o) => ({ ...o, apiVersion: apiVersionOf(k), kind: k.kind }));
    }),
  );
  return lists.some((l) => !l) ? undefined : lists.flatMap((l) => l!);
}

/** One object; null when the API server says it does not exist, undefined when it could not be
 * read directly. */
export async function getDirect<T extends KubeObject>(
  runner: Runner,
  k: ApiKind,
  name: string,
  namespace?: string,
  opts: { echo?: boolean } = {},
): Promise<T | null | undefined> {
  const path = `${listPath(k, namespace, undefined)}/${encodeURIComponent(name)}`;
  const r = await runner.apiGet({ path, step: `Reading ${k.kind} ${namespace ? `${namespace}/` : ''}${name}`, timeoutMs: 30_000, echo: opts.echo });
  if (r?.status === 404) return null;
  const o = r?.status === 200 ? json<T>(r.body) : undefined;
  return o && { ...o, apiVersion: apiVersionOf(k), kind: k.kind };
}

/** A body that is not JSON (something else answering on a reused port) is no answer. */
function json<T>(body: string): T | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Aggregated discovery: every group's resources in one answer (a server too old for it answers
 * with a plain group list, and kubectl is used). */
const DISCOVERY =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface GroupDiscoveryList {
  kind?: string;
  items?: { metadata?: { name?: string }; versions?: { resources?: { resource?: string }[] }[] }[];
}

/** The resources of every API group the server serves, as `plural.group` (what `kubectl
 * api-resources -o name` prints for them), from one discovery request. */
export async function servedResourcesDirect(runner: Runner, step: string): Promise<Set<string> | undefined> {
  const r = await runner.apiGet({ path: '/apis', accept: DISCOVERY, step, timeoutMs: 30_000 });
  const doc = r?.status === 200 ? json<GroupDiscoveryList>(r.body) : undefined;
  if (doc?.kind !== 'APIGroupDiscoveryList') return undefined;
  const served = new Set<string>();
  for (const g of doc.items ?? []) for (const v of g.versions ?? []) for (const res of v.resources ?? []) served.add(`${res.resource}.${g.metadata?.name}`);
  return served;
}
