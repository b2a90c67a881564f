import type { Spec } from '../config/spec.js';
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { CRD_COLUMNS, crdColumns, parseCrdRows } from '../gatewayapi/observe.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import type { KubeList, KubeObject } from '../kube/objects.js';
import type { ClusterStatus, Provider } from '../providers/types.js';
import { RECORD_NAME, RECORD_NAMESPACE } from '../state/applied-spec.js';
import { readAppliedSpec } from '../state/record.js';
import { type ApiKind, BUILTIN, ISTIO_KINDS, kubectlResource, listDirect } from '../tools/kubeapi.js';
import { getJson, isUnservedKind, kubeconfigHasContext } from '../tools/kubectl.js';
import type { ClusterRead } from './evaluate.js';

const metadataOnly = (k: ApiKind): ApiKind => ({ ...k, metadataOnly: true });

/** A failed read, in a line: what failed and the tool's own first words on why. */
function why(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // The server's own words (Error from server (Forbidden): ...) over the command line.
  const details = e instanceof MeshupError ? e.details.filter((d) => d.trim()) : [];
  const detail = details.find((d) => /^\s*error/i.test(d)) ?? details[0];
  return [e.message, detail].filter(Boolean).join(': ').split('\n')[0]!.slice(0, 240);
}

/** Every kind meshup owns objects of: the control plane's and the addons'. Read in one round, so
 * the read does not depend on the spec (and can start before it is final). Of most kinds only
 * names, labels and annotations are compared (presence and meshup's content hash); workloads,
 * Services, Pods and nodes are read whole for their status. */
const OWNED_KINDS: readonly ApiKind[] = [
  BUILTIN.nodes,
  metadataOnly(BUILTIN.namespaces),
  BUILTIN.deployments,
  BUILTIN.statefulsets,
  BUILTIN.daemonsets,
  BUILTIN.services,
  BUILTIN.pods,
  metadataOnly(BUILTIN.configmaps),
  metadataOnly(BUILTIN.serviceaccounts),
  metadataOnly(BUILTIN.roles),
  metadataOnly(BUILTIN.rolebindings),
  metadataOnly(BUILTIN.clusterroles),
  metadataOnly(BUILTIN.clusterrolebindings),
  metadataOnly(BUILTIN.mutatingwebhookconfigurations),
  metadataOnly(BUILTIN.validatingwebhookconfigurations),
  metadataOnly(BUILTIN.poddisruptionbudgets),
  // Read whole: an HPA's target is whose replicas are its own, not drift (observe/drift.ts).
  BUILTIN.horizontalpodautoscalers,
];
/** Istio's custom resources meshup sets: the tracing Telemetry (its hash) and the mesh-wide
 * PeerAuthentication (its mode). Versions older than these (Istio before 1.22) read through kubectl. */
const CUSTOM: readonly ApiKind[] = [metadataOnly(ISTIO_KINDS.telemetries), ISTIO_KINDS.peerauthentications];
/** CRDs are read by name only (with the Gateway API's release annotations and meshup's mark on
 * them): their schemas are most of a full read's bytes, and a missing CRD is what matters. */
const CRDS = metadataOnly(BUILTIN.customresourcedefinitions);

async function crdNames(runner: Runner): Promise<KubeObject[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['get', kubectlResource(CRDS), '-o', CRD_COLUMNS, '--no-headers'],
    step: 'Reading CRDs',
    timeoutMs: 30_000,
  });
  return parseCrdRows(r.stdout);
}

/** Reads everything in one round. The provider is asked at the same time: on a cluster that is
 * absent the reads fail and are dropped. */
export async function readCluster(runner: Runner, spec: Spec, provider: Provider): Promise<ClusterRead> {
  const kinds = OWNED_KINDS.map(kubectlResource);
  const readable = new Set([...kinds, kubectlResource(CRDS)]);
  const settle = <T>(p: Promise<T>) =>
    p.then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
  // Straight from the API server where the kubeconfig allows (tools/kubeapi.ts), else kubectl.
  const readOwned = async () => {
    const direct = await listDirect(runner, [...OWNED_KINDS, CRDS], { namespace: ISTIO_NAMESPACE }, 'Reading the cluster');
    // CRDs keep only what the kubectl read's columns hold, so both reads observe the same.
    if (direct) return { main: direct.filter((o) => o.kind !== CRDS.kind), crds: direct.filter((o) => o.kind === CRDS.kind).map(crdColumns) };
    const [main, crds] = await Promise.all([
      settle(getJson<KubeList<KubeObject>>(runner, ['get', kinds.join(','), '-n', ISTIO_NAMESPACE, '--show-managed-fields'], 'Reading the cluster')),
      settle(crdNames(runner)),
    ]);
    if (!main.ok) throw main.e;
    return { main: main.v?.items ?? [], crds: crds.ok ? crds.v : undefined };
  };
  const readCustoms = async () => {
    const direct = await listDirect(runner, CUSTOM, { namespace: ISTIO_NAMESPACE }, 'Reading Istio resources');
    if (direct) return direct;
    const args = ['get', CUSTOM.map(kubectlResource).join(','), '-n', ISTIO_NAMESPACE, '--show-managed-fields'];
    try {
      return (await getJson<KubeList<KubeObject>>(runner, args, 'Reading Istio resources'))?.items ?? [];
    } catch (e) {
      // Istio's CRDs may be missing (not installed yet, or deleted): then so are these objects.
      // Any other failure is not knowing what is there.
      if (isUnservedKind(e)) return [];
      throw e;
    }
  };
  const reads = () => Promise.all([settle(readOwned()), settle(readCustoms()), settle(readAppliedSpec(runner))]);
  const statusRead = settle(provider.status(runner, spec));
  const hostPortsRead = settle(provider.hostPortMappings ? provider.hostPortMappings(runner, spec) : Promise.resolve(undefined));
  // Without its context in the kubeconfig the reads would fail at once: they wait for the
  // provider's word that the cluster exists, so a run that creates it starts it sooner.
  const context = runner.context;
  let reading = context && kubeconfigHasContext(runner.env, context) === false ? undefined : reads();
  const status = await statusRead;
  if (!status.ok) throw status.e;
  let cluster: ClusterStatus = status.v;
  const none = { items: [], customs: [], kinds: readable };
  if (cluster.state === 'absent') return { cluster, ...none };
  reading ??= reads();
  const [[owned, custom, recorded], hostPorts] = await Promise.all([reading, hostPortsRead]);
  if (!owned.ok) {
    const e = owned.e;
    if (!(e instanceof MeshupError) || e.exitCode === 130) throw e;
    const said = [e.message, ...e.details].join('\n');
    // It answered, and refused: that is these credentials, not a broken cluster to restart.
    if (/is forbidden: User|\((Forbidden|Unauthorized)\)/.test(said)) throw e;
    // It runs, but its context is gone (deleted by hand): a provider that can write it back will.
    if (cluster.state === 'running' && /kube context does not exist|context was not found|context "[^"]*" does not exist/i.test(said)) {
      cluster = { state: 'running', contextMissing: true, detail: 'its kube context is missing from the kubeconfig' };
    } else if (cluster.state === 'running') {
      // The provider says it runs, but its API server does not answer: that is a broken cluster.
      cluster = { state: 'broken', detail: e.message };
    }
    return { cluster, ...none };
  }
  // What the API server did answer for, while these reads failed: facts of the observation that
  // the plan must not take for "nothing there".
  const unread = [
    ...(custom.ok ? [] : [`Istio's resources (${CUSTOM.map((k) => k.resource).join(', ')}): ${why(custom.e)}`]),
    ...(recorded.ok ? [] : [`meshup's record (configmap ${RECORD_NAMESPACE}/${RECORD_NAME}): ${why(recorded.e)}`]),
  ];
  return {
    cluster,
    items: [...owned.v.main, ...(owned.v.crds ?? [])],
    customs: custom.ok ? custom.v : [],
    recorded: recorded.ok ? recorded.v : undefined,
    ...(unread.length ? { unread } : {}),
    kinds: readable,
    hostPorts: hostPorts.ok ? hostPorts.v : undefined,
    crdsRead: !!owned.v.crds,
  };
}
