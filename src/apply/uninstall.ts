// Removing the mesh. `istioctl uninstall --purge` leaves things behind that break a later
// install (istio/istio#38880, #38497, #27065), so meshup removes those itself, then the labels
// it set, then istio-system, then the GatewayClasses istiod made, once istiod has stopped. CRDs
// go only when asked, since deleting them deletes every Istio resource users wrote; of the
// Gateway API CRDs, only those meshup installed. Running it twice is a no-op.
import type { Runner } from '../exec/runner.js';
import { KINDS } from '../expose/objects.js';
import { disableInjection } from '../istio/labelling.js';
import { ADDON_LABEL, EXPOSE_LABEL, INJECTION_MARKER, ISTIO_NAMESPACE, MANAGED_BY } from '../istio/labels.js';
import { removeAllWaypoints } from '../istio/waypoint.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { RECORD_NAME, RECORD_NAMESPACE } from '../state/applied-spec.js';
import type { Istioctl } from '../tools/istioctl.js';
import { deleteObjects, getObject, listNames, listObjects } from '../tools/kubectl.js';
import { purgeGatewayApi } from './gateway-api.js';

export interface UninstallOptions {
  purgeCrds: boolean;
  log: (line: string) => void;
  /** An istioctl of the installed version, when one is at hand. */
  istioctl?: Istioctl;
}

const ISTIO_CLUSTER_OBJECT = /^istio(d)?-/;

export async function uninstallMesh(runner: Runner, opts: UninstallOptions): Promise<string[]> {
  const removed: string[] = [];
  const [namespaces, vwc, mwc, roles, bindings, crds] = await Promise.all([
    listObjects(runner, 'namespaces'),
    listObjects(runner, 'validatingwebhookconfigurations'),
    listObjects(runner, 'mutatingwebhookconfigurations'),
    listObjects(runner, 'clusterroles'),
    listObjects(runner, 'clusterrolebindings'),
    // Names tell which kinds are served; with --purge-crds their labels decide which CRDs go.
    opts.purgeCrds
      ? listObjects(runner, 'customresourcedefinitions')
      : listNames(runner, CRDS).then((names) => names.map((name): KubeObject => ({ metadata: { name } }))),
  ]);
  // A namespace already Terminating is on its way out: deleting it again would change nothing.
  const hasIstioNs = namespaces.some((n) => n.metadata.name === ISTIO_NAMESPACE && (n.status as { phase?: string } | undefined)?.phase !== 'Terminating');

  // What depends on the control plane goes first, while istiod still runs. What `meshup expose`
  // made: the routes, then the gateways (istiod's Deployment and Service of a Gateway API gateway
  // go with it, by their ownerReferences), then the shared gateway's namespace if meshup created
  // it. Then the waypoints (istiod owns their Deployments) and the mesh labels meshup set, so no
  // pod is captured or injected by a mesh that is going away.
  removed.push(
    ...(await removeExposed(
      runner,
      crds.map((c) => c.metadata.name),
      namespaces,
    )),
  );
  removed.push(...(await removeAllWaypoints(runner)));
  const marked = namespaces.filter((n) => n.metadata.labels?.[INJECTION_MARKER]);
  if (marked.length) {
    await disableInjection(
      runner,
      marked.map((n) => n.metadata.name),
    );
    removed.push(`mesh labels on ${marked.map((n) => n.metadata.name).join(', ')}`);
  }

  // `istioctl uninstall --purge` deletes the CRDs as well (seen with 1.31), so it runs only when
  // CRDs are to go; otherwise the clean-up below removes the control plane and keeps them.
  if (opts.istioctl && hasIstioNs && opts.purgeCrds) {
    await runner.run({
      tool: 'istioctl',
      bin: opts.istioctl.bin,
      args: ['uninstall', '--purge', '-y'],
      step: 'Uninstalling Istio',
      timeoutMs: 5 * 60_000,
      okExitCodes: [],
    });
    removed.push('istio control plane');
  }

  const webhooks = [
    ...vwc.filter((w) => ISTIO_CLUSTER_OBJECT.test(w.metadata.name)).map((w) => `validatingwebhookconfiguration/${w.metadata.name}`),
    ...mwc.filter((w) => ISTIO_CLUSTER_OBJECT.test(w.metadata.name)).map((w) => `mutatingwebhookconfiguration/${w.metadata.name}`),
  ];
  const rbac = [
    ...roles.filter((r) => ISTIO_CLUSTER_OBJECT.test(r.metadata.name) || r.metadata.labels?.[ADDON_LABEL]).map((r) => `clusterrole/${r.metadata.name}`),
    ...bindings
      .filter((r) => ISTIO_CLUSTER_OBJECT.test(r.metadata.name) || r.metadata.labels?.[ADDON_LABEL])
      .map((r) => `clusterrolebinding/${r.metadata.name}`),
  ];
  if (webhooks.length) {
    await deleteObjects(runner, webhooks, 'Removing Istio webhook configurations');
    removed.push(`${webhooks.length} webhook configuration(s)`);
  }
  if (rbac.length) {
    await deleteObjects(runner, rbac, 'Removing Istio cluster roles');
    removed.push(`${rbac.length} cluster role(s) and binding(s)`);
  }

  // The CA root cert is copied into every namespace and never cleaned up (#38497).
  const rootCerts = await listObjects(runner, 'configmaps', { allNamespaces: true, selector: 'istio.io/config=true' }).catch(() => [] as KubeObject[]);
  const certNamespaces = rootCerts.filter((c) => c.metadata.name === 'istio-ca-root-cert' && c.metadata.namespace !== ISTIO_NAMESPACE);
  for (const c of certNamespaces) {
    await deleteObjects(runner, ['configmap/istio-ca-root-cert'], 'Removing istio-ca-root-cert', c.metadata.namespace);
  }
  if (certNamespaces.length) removed.push(`istio-ca-root-cert in ${certNamespaces.length} namespace(s)`);

  if (hasIstioNs) {
    await deleteObjects(runner, [`namespace/${ISTIO_NAMESPACE}`], 'Deleting the istio-system namespace');
    removed.push('namespace istio-system');
  }
  if (crds.some((c) => c.metadata.name === KINDS.gatewayClass)) removed.push(...(await removeIstioGatewayClasses(runner)));
  if (await getObject(runner, 'configmap', RECORD_NAME, RECORD_NAMESPACE)) {
    await deleteObjects(runner, [`configmap/${RECORD_NAME}`], 'Forgetting the applied spec', RECORD_NAMESPACE);
    removed.push('the recorded spec');
  }

  const istioCrds = opts.purgeCrds ? crds.filter((c) => /\.istio\.io$/.test(c.metadata.name)) : [];
  if (istioCrds.length) {
    await deleteObjects(
      runner,
      istioCrds.map((c) => `customresourcedefinition/${c.metadata.name}`),
      'Deleting Istio CRDs',
    );
    removed.push(`${istioCrds.length} Istio CRD(s)`);
  }
  if (opts.purgeCrds) removed.push(...(await purgeGatewayApi(runner, crds)));
  return removed;
}

const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';

/** The GatewayClasses istiod publishes by itself, each with its controller (Istio 1.31,
 * pilot/pkg/config/kube/gatewaycommon/classinfo.go and pkg/config/constants). */
const ISTIO_GATEWAY_CLASSES: ReadonlyMap<string, string> = new Map([
  ['istio', 'istio.io/gateway-controller'],
  ['istio-remote', 'istio.io/unmanaged-gateway'],
  ['istio-waypoint', 'istio.io/mesh-controller'],
  ['istio-east-west', 'istio.io/eastwest-controller'],
  ['istio-agentgateway', 'istio.io/agentgateway-controller'],
  ['istio-agentgateway-waypoint', 'istio.io/agentgateway-waypoint-controller'],
]);

/**
 * istiod's own GatewayClasses. A running istiod creates them again the moment they are deleted,
 * so this waits for its pods to be gone first (istio-system is being deleted). A class by another
 * name, or one of these names pointing at another controller, is someone else's and stays.
 */
async function removeIstioGatewayClasses(runner: Runner): Promise<string[]> {
  const classes = await listObjects(runner, KINDS.gatewayClass);
  const istios = classes.filter((c) => ISTIO_GATEWAY_CLASSES.get(c.metadata.name) === (c.spec as { controllerName?: string } | undefined)?.controllerName);
  if (!istios.length) return [];
  // Under --dry-run nothing was deleted, so nothing would ever stop.
  const pods = runner.dryRun ? [] : await listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE, selector: 'app=istiod' });
  if (pods.length) {
    await runner.run({
      readOnly: true,
      tool: 'kubectl',
      args: ['wait', '--for=delete', ...pods.map((p) => `pod/${p.metadata.name}`), '-n', ISTIO_NAMESPACE, '--timeout=120s'],
      step: 'Waiting for istiod to stop',
      timeoutMs: 150_000,
    });
  }
  await deleteObjects(
    runner,
    istios.map((c) => `${KINDS.gatewayClass}/${c.metadata.name}`),
    "Removing istiod's GatewayClasses",
  );
  return [`GatewayClass${istios.length > 1 ? 'es' : ''} ${istios.map((c) => c.metadata.name).join(', ')}`];
}

/** Everything carrying meshup's expose label, in the order it must go. */
async function removeExposed(runner: Runner, crds: string[], namespaces: KubeObject[]): Promise<string[]> {
  // Routes before the gateways they attach to; kinds whose CRD is absent cannot be asked for.
  const kinds = [KINDS.httpRoute, KINDS.virtualService, KINDS.gateway, KINDS.istioGateway].filter((k) => crds.includes(k));
  const found = await Promise.all([...kinds, 'configmaps'].map((k) => listObjects(runner, k, { allNamespaces: true, selector: EXPOSE_LABEL })));
  // Only what meshup made (kube/ownership.ts): a label copied onto a user's object is not enough.
  const objects = found.flatMap((items, i) =>
    items.filter((o) => claimOf(o, { label: EXPOSE_LABEL }) === 'ours').map((o) => ({ kind: [...kinds, 'configmaps'][i]!, o })),
  );
  if (!objects.length && !namespaces.some(exposeNamespace)) return [];
  // One call per namespace, in the order above (kubectl deletes its arguments in order).
  const byNamespace = new Map<string, string[]>();
  for (const { kind, o } of objects) {
    const ns = o.metadata.namespace ?? 'default';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), `${kind}/${o.metadata.name}`]);
  }
  for (const [ns, refs] of byNamespace) await deleteObjects(runner, refs, `Removing what meshup expose created in ${ns}`, ns);
  const owned = namespaces.filter(exposeNamespace).map((n) => n.metadata.name);
  if (owned.length)
    await deleteObjects(
      runner,
      owned.map((n) => `namespace/${n}`),
      'Deleting the namespace of the shared gateway',
    );
  const routes = objects.filter((x) => x.kind === KINDS.httpRoute || x.kind === KINDS.virtualService).length;
  const gateways = objects.filter((x) => x.kind === KINDS.gateway || x.kind === KINDS.istioGateway).length;
  return [`${routes} exposed route(s) and ${gateways} gateway(s)${owned.length ? ` (and namespace ${owned.join(', ')})` : ''}`];
}

/** A namespace meshup expose created for the shared gateway (one it merely used is not labelled). */
/** The shared gateway's namespace when meshup created it, unless it is already going away (a
 * second down must change nothing). */
const exposeNamespace = (n: KubeObject) =>
  claimOf(n, { label: EXPOSE_LABEL }) === 'ours' &&
  n.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'] &&
  (n.status as { phase?: string } | undefined)?.phase !== 'Terminating';
