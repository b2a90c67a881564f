// meshup expose SERVICE: route traffic from outside the mesh to a Service, after checking the
// Service and port exist. Two ways in (src/expose/decide.ts chooses): the Kubernetes Gateway API
// (an HTTPRoute on the Gateway meshup shares between all exposed Services) or Istio's own Gateway
// and VirtualService on istio-ingressgateway. --delete removes the route, and the shared gateway
// with its last route.
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { type Named, refuseForeign } from '../apply/ownership.js';
import type { Spec } from '../config/spec.js';
import { objectName, portNumber, routeHost, routePath } from '../config/validate.js';
import { MeshupError, UsageError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { type ApiChoice, chooseApi, type ExposeApi, nodePortHolder } from '../expose/decide.js';
import {
  attachedToShared,
  httpRouteObject,
  istioRouteObjects,
  KINDS,
  type Route,
  routeName,
  SHARED_GATEWAY,
  SHARED_GATEWAY_OPTIONS,
  SHARED_GATEWAY_SERVICE,
  sharedGatewayObjects,
} from '../expose/objects.js';
import { lookupIngress } from '../ingress/lookup.js';
import type { IngressResult } from '../ingress/resolve.js';
import { EXPOSE_LABEL, ISTIO_NAMESPACE, MANAGED_BY } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import type { App } from '../session/app.js';
import { openTarget, specOf, type Target } from '../session/target.js';
import { commandLine, writing } from '../session/writer.js';
import { readAppliedSpec } from '../state/record.js';
import { apply, deleteObjects, getObject, listNames, listObjects } from '../tools/kubectl.js';
import { closest } from '../util/suggest.js';

interface ExposeFlags {
  namespace?: string;
  port?: string;
  host?: string;
  path?: string;
  output?: string;
  delete?: boolean;
  api?: ExposeApi;
  adopt?: boolean;
}

/** How long istiod gets to create the shared gateway's Service before meshup stops waiting. */
const GATEWAY_SERVICE_WAIT_MS = 30_000;

const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';

/** Which of the two APIs' kinds the cluster serves, from the CRD names. */
function servedKinds(crds: string[]) {
  const has = (...names: string[]) => names.every((n) => crds.includes(n));
  return { gatewayApi: has(KINDS.gateway, KINDS.httpRoute), istio: has(KINDS.istioGateway, KINDS.virtualService) };
}

export function expose(app: App, service: string): Promise<void> {
  const f = app.flags as ExposeFlags;
  // Printing the objects (-o) changes nothing; applying or deleting them changes the cluster: one
  // writer at a time (session/writer.ts).
  if (f.output !== undefined) return exposeNow(app, service);
  return writing(app, commandLine(app, 'expose', ...(f.delete ? ['--delete'] : []), service), () => exposeNow(app, service));
}

async function exposeNow(app: App, service: string): Promise<void> {
  const f = app.flags as ExposeFlags;
  // Every input as the API server (and Istio's validation) will judge it, before anything is read
  // or applied: a route it refuses would leave the shared gateway made and nothing routed.
  objectName('Service', service, { label: 'the <service> argument' });
  const ns = objectName('namespace', f.namespace ?? 'default', { label: '-n' });
  if (f.port !== undefined) portNumber(f.port, { label: '--port' });
  const host = routeHost(f.host ?? '*', { label: '--host' });
  const path = routePath(f.path ?? '/', { label: '--path' });
  if (f.output !== undefined && f.output !== 'yaml') throw new UsageError(`-o supports only yaml, got "${f.output}"`);
  if (f.delete && f.output !== undefined) {
    throw new UsageError('-o prints the objects expose would apply; --delete applies nothing', {
      fix: [`To remove the route: meshup expose --delete ${service}`, `To see it: meshup expose ${service} -o yaml`],
    });
  }
  const target = await openTarget(app);
  if (f.delete) return unexpose(app, target, service, ns);

  const { runner, provider } = target;
  // One round of reads: every Service (the one to expose, istio-ingressgateway, whoever holds a
  // nodePort), the CRDs, the recorded spec, and whether the shared gateway's namespace exists.
  const [services, crds, applied, gatewayNs] = await Promise.all([
    listObjects(runner, 'services', { allNamespaces: true }),
    listNames(runner, CRDS),
    readAppliedSpec(runner),
    getObject(runner, 'namespace', SHARED_GATEWAY.namespace),
  ]);
  // The mesh's own settings (its profile's pinned nodePorts) come from what it recorded.
  const spec = applied ? (await specOf(app, { recorded: applied })).spec : target.spec;

  const svc = services.find((s) => s.metadata.name === service && s.metadata.namespace === ns);
  if (!svc) {
    const names = services.filter((s) => s.metadata.namespace === ns).map((s) => s.metadata.name);
    const near = closest(service, names);
    throw new MeshupError(`No Service "${service}" in namespace ${ns}`, {
      details: [`services in ${ns}: ${names.join(', ') || 'none'}`],
      fix: near ? `Did you mean ${near}?` : `Pick one of them, or another namespace with -n`,
    });
  }
  const route: Route = { service, namespace: ns, port: servicePort(svc, f.port), host, path };
  // Either way in needs istiod: it programs the gateways and deploys the Gateway API one.
  if (!services.some((s) => s.metadata.namespace === ISTIO_NAMESPACE && s.metadata.name.startsWith('istiod'))) {
    throw new MeshupError(`Istio is not installed in context ${target.context}, so nothing would route to ${service}`, { fix: 'Install it: meshup up' });
  }

  const served = servedKinds(crds);
  const pin = spec.gateway.httpNodePort;
  const pinHeldBy = nodePortHolder(services, pin);
  const choice = chooseApi({
    flag: f.api,
    // The mesh as it was installed; what the spec asks for when meshup recorded nothing.
    dataplane: applied ? (applied.dataplane ?? 'sidecar') : spec.dataplane,
    gatewayApi: served.gatewayApi,
    classicGateway: services.some((s) => s.metadata.name === 'istio-ingressgateway' && s.metadata.namespace === ISTIO_NAMESPACE),
    pinHeldBy,
    mapsHostPorts: provider.mapsHostPorts,
  });

  const notes: string[] = [];
  let objects: Record<string, unknown>[];
  if (choice.api === 'istio') {
    objects = istioRouteObjects(route);
  } else {
    if (pinHeldBy) {
      notes.push(
        `${pinHeldBy} holds nodePort ${pin}, and two Services cannot share one: ${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY_SERVICE} gets a nodePort the API server picks${provider.mapsHostPorts ? `, which ${provider.name} maps to no host port (meshup ingress says how to reach it)` : ''}`,
      );
    }
    objects = [...sharedGatewayObjects({ httpNodePort: pinHeldBy ? undefined : pin, createNamespace: !gatewayNs }), httpRouteObject(route)];
  }

  for (const n of notes) app.out.warn(n);
  if (f.output !== 'yaml') {
    // A kind the cluster does not serve has no object to take over (and cannot be read).
    const readable = (o: Record<string, unknown>) => {
      const api = API_OF_GROUP[String(o.apiVersion).split('/')[0]!];
      return api === undefined || served[api];
    };
    await refuseForeign(runner, objects.filter(readable).map(namedOf), {
      adopt: !!f.adopt,
      what: 'meshup expose',
      rename: `Rename or remove yours first (kubectl get ${objects.map((o) => `${String(o.kind).toLowerCase()}`).join(',')} -n ${ns})`,
    });
  }
  if (f.output === 'yaml' || app.switches.dryRun) {
    // Under --json the one document is a Kubernetes List, which kubectl apply -f - takes as it is.
    if (app.out.json) app.out.result({ apiVersion: 'v1', kind: 'List', items: objects });
    else app.io.stdout.write(objects.map((x) => stringify(x)).join('---\n'));
    return;
  }
  const through = choice.api === 'istio' ? 'the ingress gateway' : `the Gateway API gateway ${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY.name}`;
  await apply(runner, objects, `Routing ${through} to ${service}`);
  const gateway = choice.api === 'istio' ? await lookupIngress(runner, spec, provider, target.context) : await sharedGatewayIngress(app, runner, spec, target);
  report(app, route, choice, gateway, through);
}

/** The port to route to: --port when it is one of the Service's, else its only port. */
function servicePort(svc: KubeObject, flag: string | undefined): number {
  const service = svc.metadata.name;
  const ports = ((svc.spec ?? {}) as { ports?: { port: number; name?: string }[] }).ports ?? [];
  if (flag !== undefined) {
    const port = Number(flag);
    if (!ports.some((p) => p.port === port)) {
      throw new MeshupError(`Service ${service} has no port ${flag}`, { fix: `Its ports: ${ports.map((p) => p.port).join(', ') || 'none'}` });
    }
    return port;
  }
  if (ports.length === 1) return ports[0]!.port;
  throw new UsageError(`Service ${service} has ${ports.length ? 'several ports' : 'no ports'}; say which with --port`, {
    fix: `Its ports: ${ports.map((p) => p.port).join(', ') || 'none'}`,
  });
}

/** istiod deploys the gateway a moment after the Gateway exists: wait for its Service, briefly. */
async function sharedGatewayIngress(app: App, runner: Runner, spec: Spec, target: Target): Promise<IngressResult | undefined> {
  const end = Date.now() + GATEWAY_SERVICE_WAIT_MS;
  for (;;) {
    if (await getObject(runner, 'service', SHARED_GATEWAY_SERVICE, SHARED_GATEWAY.namespace)) break;
    if (Date.now() > end || app.signal.aborted) return undefined;
    await sleep(1000);
  }
  return lookupIngress(runner, spec, target.provider, target.context, {}, SHARED_GATEWAY);
}

function report(app: App, r: Route, choice: ApiChoice, gateway: IngressResult | undefined, through: string): void {
  const url = gateway?.reachable ? `${gateway.url}${r.path === '/' ? '/' : r.path}` : undefined;
  app.out.result({
    service: r.service,
    namespace: r.namespace,
    port: r.port,
    host: r.host,
    path: r.path,
    api: choice.api,
    why: choice.why,
    url,
    gateway: gateway ?? null,
  });
  app.out.print(`${r.service}.${r.namespace}:${r.port} is exposed through ${through} (${choice.why}).`);
  if (url) app.out.print(r.host === '*' ? `  curl ${url}` : `  curl -H 'Host: ${r.host}' ${url}`);
  else if (gateway) app.out.print(`  The gateway is not reachable from here: ${gateway.message}. ${gateway.hint ?? ''}`);
  else
    app.out.print(
      `  istiod has not deployed the gateway yet (Service ${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY_SERVICE}); meshup ingress prints its URL once it is there.`,
    );
}

/** Removes the route to a Service (whichever API made it) and, with its last route, the shared gateway. */
async function unexpose(app: App, target: Target, service: string, ns: string): Promise<void> {
  const { runner } = target;
  const name = routeName(service);
  const served = servedKinds(await listNames(runner, CRDS));
  const none = Promise.resolve(undefined);
  const [route, gw, vs, routes] = await Promise.all([
    served.gatewayApi ? getObject(runner, KINDS.httpRoute, name, ns) : none,
    served.istio ? getObject(runner, KINDS.istioGateway, name, ns) : none,
    served.istio ? getObject(runner, KINDS.virtualService, name, ns) : none,
    served.gatewayApi ? listObjects(runner, KINDS.httpRoute, { allNamespaces: true }) : Promise.resolve([] as KubeObject[]),
  ]);
  // Only what meshup made (kube/ownership.ts): an object of that name that is not is the user's.
  const ours = (x: KubeObject | undefined) => claimOf(x, { label: EXPOSE_LABEL, value: service }) === 'ours';
  const refs = [
    ...(ours(route) ? [`${KINDS.httpRoute}/${name}`] : []),
    ...(ours(vs) ? [`${KINDS.virtualService}/${name}`] : []),
    ...(ours(gw) ? [`${KINDS.istioGateway}/${name}`] : []),
  ];
  if (!refs.length) {
    app.out.result({ service, namespace: ns, deleted: false });
    app.out.print(`${service} in ${ns} is not exposed by meshup; nothing to delete.`);
    return;
  }
  await deleteObjects(runner, refs, `Removing the route to ${service}`, ns);

  // The shared gateway goes with its last route, whoever made the others.
  const others = routes.filter((r) => !(r.metadata.name === name && r.metadata.namespace === ns) && attachedToShared(r));
  let gatewayRemoved = false;
  if (ours(route) && attachedToShared(route!) && others.length === 0) {
    const [gateway, namespace] = await Promise.all([
      getObject(runner, KINDS.gateway, SHARED_GATEWAY.name, SHARED_GATEWAY.namespace),
      getObject(runner, 'namespace', SHARED_GATEWAY.namespace),
    ]);
    if (claimOf(gateway, { label: EXPOSE_LABEL }) === 'ours') {
      await deleteObjects(
        runner,
        [`${KINDS.gateway}/${SHARED_GATEWAY.name}`, `configmap/${SHARED_GATEWAY_OPTIONS}`],
        'Removing the shared gateway',
        SHARED_GATEWAY.namespace,
      );
      // Its namespace only when meshup created it.
      if (isMeshups(namespace)) await deleteObjects(runner, [`namespace/${SHARED_GATEWAY.namespace}`], `Deleting the namespace ${SHARED_GATEWAY.namespace}`);
      gatewayRemoved = true;
    }
  }
  app.out.result({ service, namespace: ns, deleted: !app.switches.dryRun, gatewayRemoved: gatewayRemoved && !app.switches.dryRun });
  app.out.print(`${app.switches.dryRun ? 'Would remove' : 'Removed'} the route to ${service} in ${ns}.`);
  if (gatewayRemoved)
    app.out.print(
      `${app.switches.dryRun ? 'Would remove' : 'Removed'} the shared gateway ${SHARED_GATEWAY.namespace}/${SHARED_GATEWAY.name}: no route is left on it.`,
    );
}

const isMeshups = (o: KubeObject | undefined) =>
  claimOf(o, { label: EXPOSE_LABEL }) === 'ours' && o?.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY['app.kubernetes.io/managed-by'];

/** Which of the two APIs' CRDs an object of each group needs. */
const API_OF_GROUP: Record<string, 'gatewayApi' | 'istio'> = { 'gateway.networking.k8s.io': 'gatewayApi', 'networking.istio.io': 'istio' };

/** The kubectl resource each kind expose writes is read by (both APIs have a Gateway). */
function namedOf(o: Record<string, unknown>): Named {
  const md = o.metadata as { name: string; namespace?: string; labels: Record<string, string> };
  const group = String(o.apiVersion).split('/')[0];
  const resource =
    o.kind === 'HTTPRoute'
      ? KINDS.httpRoute
      : o.kind === 'VirtualService'
        ? KINDS.virtualService
        : o.kind === 'Gateway'
          ? group === 'networking.istio.io'
            ? KINDS.istioGateway
            : KINDS.gateway
          : String(o.kind).toLowerCase();
  return { resource, name: md.name, namespace: md.namespace, mark: { label: EXPOSE_LABEL, value: md.labels[EXPOSE_LABEL] } };
}
