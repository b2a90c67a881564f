// Calls made straight to the API server (Runner.apiGet, Runner.apiApply) where kubectl would cost
// a process, a discovery round and whole objects: the observe round lists a dozen kinds at once,
// and most of them only for their names, labels and annotations, which the API server can send
// alone (PartialObjectMetadataList); an apply sends each object as the server-side apply kubectl
// would send. Every function returns undefined when a call could not be made that way, so its
// caller goes to kubectl instead and meets kubectl's errors.
import type { Runner } from '../exec/runner.js';
import type { KubeList, KubeObject } from '../kube/objects.js';

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

/** Istio's custom kinds meshup applies objects of (when their CRDs are served). */
export const ISTIO_KINDS = {
  telemetries: grouped('telemetry.istio.io', 'v1', 'telemetries', 'Telemetry', true),
  peerauthentications: grouped('security.istio.io', 'v1', 'peerauthentications', 'PeerAuthentication', true),
} as const;

/** A built-in kind, or one of Istio's that meshup applies: both can be listed straight from the API server. */
export function knownKind(name: string): ApiKind | undefined {
  return builtinKind(name) ?? Object.values(ISTIO_KINDS).find((k) => name === kubectlResource(k) || name === k.kind.toLowerCase());
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
  items?: {
    metadata?: { name?: string };
    versions?: { version?: string; resources?: { resource?: string; scope?: string; responseKind?: { kind?: string } }[] }[];
  }[];
}

async function discovery(runner: Runner, path: '/api' | '/apis', step: string): Promise<GroupDiscoveryList | undefined> {
  const r = await runner.apiGet({ path, accept: DISCOVERY, step, timeoutMs: 30_000 });
  const doc = r?.status === 200 ? json<GroupDiscoveryList>(r.body) : undefined;
  return doc?.kind === 'APIGroupDiscoveryList' ? doc : undefined;
}

/** The resources of every API group the server serves, as `plural.group` (what `kubectl
 * api-resources -o name` prints for them), from one discovery request. */
export async function servedResourcesDirect(runner: Runner, step: string): Promise<Set<string> | undefined> {
  const doc = await discovery(runner, '/apis', step);
  if (!doc) return undefined;
  const served = new Set<string>();
  for (const g of doc.items ?? []) for (const v of g.versions ?? []) for (const res of v.resources ?? []) served.add(`${res.resource}.${g.metadata?.name}`);
  return served;
}

/** The kinds of these apiVersion/kind pairs as the API server serves them: the built-in ones
 * from the table, the others from aggregated discovery; undefined when one is not served (or
 * discovery could not be read). */
async function kindsOf(runner: Runner, wanted: ReadonlySet<string>, step: string): Promise<Map<string, ApiKind> | undefined> {
  const found = new Map<string, ApiKind>();
  for (const k of Object.values(BUILTIN) as ApiKind[]) {
    const key = `${apiVersionOf(k)}/${k.kind}`;
    if (wanted.has(key)) found.set(key, k);
  }
  const rest = [...wanted].filter((w) => !found.has(w));
  if (rest.length) {
    const core = rest.some((w) => w.split('/').length === 2);
    const docs = await Promise.all([discovery(runner, '/apis', step), core ? discovery(runner, '/api', step) : undefined]);
    if (!docs[0] || (core && !docs[1])) return undefined;
    for (const g of docs.flatMap((d) => d?.items ?? [])) {
      const group = g.metadata?.name ?? '';
      for (const v of g.versions ?? []) {
        for (const res of v.resources ?? []) {
          const kind = res.responseKind?.kind;
          if (!kind || !res.resource || !v.version) continue;
          const k: ApiKind = { group, version: v.version, resource: res.resource, kind, namespaced: res.scope === 'Namespaced' };
          const key = `${apiVersionOf(k)}/${kind}`;
          if (wanted.has(key) && !found.has(key)) found.set(key, k);
        }
      }
    }
  }
  return found.size === wanted.size ? found : undefined;
}

/** How many applies are in flight at once: enough to hide each request's round trip, few
 * enough not to crowd a small cluster's API server while it starts Istio. */
const APPLY_CONCURRENCY = 6;

/** A server-side apply of these objects, each as `kubectl apply --server-side --force-conflicts`
 * sends it (the same field manager, conflicts forced, unknown fields refused): namespaces and
 * CRDs first, then the rest side by side, where kubectl sends one at a time after reading the
 * API's discovery. Returns false when the apply could not be made this way as a whole: the
 * kubeconfig needs kubectl, an object's kind is not served, a namespaced object names no
 * namespace (only kubectl knows the context's default), or the API server refused one. The
 * caller then applies them all with kubectl, which repeats nothing harmful (an apply of the same
 * object is the same object) and reports what went wrong in the words meshup explains. */
export async function applyDirect(runner: Runner, objects: readonly Record<string, unknown>[], fieldManager: string, step: string): Promise<boolean> {
  if (runner.dryRun || !objects.length) return false;
  const requests = await applyRequests(runner, objects, fieldManager, step);
  if (!requests) return false;
  const send = async (batch: typeof requests): Promise<boolean> => {
    let next = 0;
    let ok = true;
    const worker = async () => {
      while (ok && next < batch.length) {
        const r = batch[next++]!;
        const res = await runner.apiApply({ path: r.path, body: r.body, step, timeoutMs: 60_000 });
        if (res?.status !== 200 && res?.status !== 201) ok = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, batch.length) }, worker));
    return ok;
  };
  return (await send(requests.filter((r) => r.first))) && (await send(requests.filter((r) => !r.first)));
}

interface ApplyRequest {
  first: boolean;
  path: string;
  body: string;
}

/** Each object's server-side apply request, or undefined when one cannot be sent directly. */
async function applyRequests(
  runner: Runner,
  objects: readonly Record<string, unknown>[],
  fieldManager: string,
  step: string,
): Promise<ApplyRequest[] | undefined> {
  const keyOf = (o: Record<string, unknown>) => `${String(o.apiVersion)}/${String(o.kind)}`;
  const kinds = await kindsOf(runner, new Set(objects.map(keyOf)), step);
  if (!kinds) return undefined;
  const requests: ApplyRequest[] = [];
  for (const o of objects) {
    const k = kinds.get(keyOf(o))!;
    const meta = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (typeof meta.name !== 'string' || !meta.name) return undefined;
    const ns = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : undefined;
    if (k.namespaced !== !!ns) return undefined;
    const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true&fieldValidation=Strict`;
    requests.push({
      first: k.kind === 'Namespace' || k.kind === 'CustomResourceDefinition',
      path: `${listPath(k, ns, undefined)}/${encodeURIComponent(meta.name)}${query}`,
      body: JSON.stringify(o),
    });
  }
  return requests;
}

/** What a dry-run apply answers for one object: the object as the apply would leave it, or the API
 * server's refusal of it (an invalid result, a forbidden kind), which concerns that object only. */
export type DryRunAnswer = KubeObject | { refused: string };

/** Each object as meshup's server-side apply would leave it, answered by the API server without
 * storing anything (a dry run), in the order given: what drift is measured against. undefined when
 * they cannot all be asked directly (the caller asks kubectl). */
export async function dryRunApplyDirect(
  runner: Runner,
  objects: readonly Record<string, unknown>[],
  fieldManager: string,
  step: string,
): Promise<DryRunAnswer[] | undefined> {
  if (!objects.length) return [];
  const requests = await applyRequests(runner, objects, fieldManager, step);
  if (!requests) return undefined;
  // Filled, not sparse: every() passes over holes, and a hole is an object not answered.
  const answers: (DryRunAnswer | undefined)[] = requests.map(() => undefined);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const res = await runner.apiDryRunApply({ path: requests[i]!.path, body: requests[i]!.body, step, timeoutMs: 60_000 });
      if (res?.status === 200 || res?.status === 201) answers[i] = json<KubeObject>(res.body);
      else if (res && res.status >= 400 && res.status < 500) answers[i] = { refused: json<{ message?: string }>(res.body)?.message ?? `HTTP ${res.status}` };
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, requests.length) }, worker));
  return answers.every((a) => a) ? (answers as DryRunAnswer[]) : undefined;
}
