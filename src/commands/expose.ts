// meshup expose SERVICE: an Istio Gateway and VirtualService that route the ingress gateway to
// a Service, after checking the Service and port exist; --delete removes them again.
import { stringify } from 'yaml';
import type { App } from '../cli/app.js';
import { MeshupError, UsageError } from '../errors.js';
import { lookupIngress } from '../ingress/lookup.js';
import { apply, deleteObjects, getObject, type KubeObject, listObjects } from '../tools/kubectl.js';
import { closest } from '../util/suggest.js';
import { openTarget } from './target.js';

interface ExposeFlags {
  namespace?: string;
  port?: string;
  host?: string;
  path?: string;
  output?: string;
  delete?: boolean;
}

export function exposeObjects(service: string, namespace: string, port: number, host: string, path: string): Record<string, unknown>[] {
  const name = `meshup-${service}`;
  const metadata = { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'meshup', 'meshup.dev/expose': service } };
  return [
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata,
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] }] },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata,
      spec: {
        hosts: [host],
        gateways: [name],
        http: [{ match: [{ uri: { prefix: path } }], route: [{ destination: { host: `${service}.${namespace}.svc.cluster.local`, port: { number: port } } }] }],
      },
    },
  ];
}

export async function expose(app: App, service: string): Promise<void> {
  const f = app.flags as ExposeFlags;
  const ns = f.namespace ?? 'default';
  const host = f.host ?? '*';
  const path = f.path ?? '/';
  if (!path.startsWith('/')) throw new UsageError(`--path must start with "/", got "${path}"`);
  if (f.output !== undefined && f.output !== 'yaml') throw new UsageError(`-o supports only yaml, got "${f.output}"`);
  const { runner, spec: o, context, provider } = await openTarget(app);

  if (f.delete) {
    const name = `meshup-${service}`;
    const [gw, vs] = await Promise.all([
      getObject(runner, 'gateways.networking.istio.io', name, ns),
      getObject(runner, 'virtualservices.networking.istio.io', name, ns),
    ]);
    if (!gw && !vs) {
      app.out.result({ service, namespace: ns, deleted: false });
      app.out.print(`${service} in ${ns} is not exposed by meshup; nothing to delete.`);
      return;
    }
    await deleteObjects(
      runner,
      [`gateways.networking.istio.io/${name}`, `virtualservices.networking.istio.io/${name}`],
      `Removing the route to ${service}`,
      ns,
    );
    app.out.result({ service, namespace: ns, deleted: !o.dryRun });
    app.out.print(`${o.dryRun ? 'Would remove' : 'Removed'} the route to ${service} in ${ns}.`);
    return;
  }

  const svc = await getObject<KubeObject>(runner, 'service', service, ns);
  if (!svc) {
    const names = (await listObjects(runner, 'services', { namespace: ns })).map((s) => s.metadata.name);
    const near = closest(service, names);
    throw new MeshupError(`No Service "${service}" in namespace ${ns}`, {
      details: [`services in ${ns}: ${names.join(', ') || 'none'}`],
      fix: near ? `Did you mean ${near}?` : `Pick one of them, or another namespace with -n`,
    });
  }
  const ports = ((svc.spec ?? {}) as { ports?: { port: number; name?: string }[] }).ports ?? [];
  let port: number;
  if (f.port !== undefined) {
    port = Number(f.port);
    if (!ports.some((p) => p.port === port)) {
      throw new MeshupError(`Service ${service} has no port ${f.port}`, { fix: `Its ports: ${ports.map((p) => p.port).join(', ') || 'none'}` });
    }
  } else if (ports.length === 1) {
    port = ports[0]!.port;
  } else {
    throw new UsageError(`Service ${service} has ${ports.length ? 'several ports' : 'no ports'}; say which with --port`, {
      fix: `Its ports: ${ports.map((p) => p.port).join(', ') || 'none'}`,
    });
  }

  const objects = exposeObjects(service, ns, port, host, path);
  if (f.output === 'yaml' || o.dryRun) {
    // Under --json the one document is a Kubernetes List, which kubectl apply -f - takes as it is.
    if (app.out.json) app.out.result({ apiVersion: 'v1', kind: 'List', items: objects });
    else app.io.stdout.write(objects.map((x) => stringify(x)).join('---\n'));
    return;
  }
  const gateway = await lookupIngress(runner, o, provider, context);
  await apply(runner, objects.map((x) => JSON.stringify(x)).join('\n---\n'), `Routing the ingress gateway to ${service}`);
  const url = gateway.reachable ? `${gateway.url}${path === '/' ? '/' : path}` : undefined;
  app.out.result({ service, namespace: ns, port, host, path, url, gateway });
  app.out.print(`${service}.${ns}:${port} is exposed through the ingress gateway.`);
  if (url) app.out.print(host === '*' ? `  curl ${url}` : `  curl -H 'Host: ${host}' ${url}`);
  else app.out.print(`  The gateway is not reachable from here: ${gateway.message}. ${gateway.hint ?? ''}`);
}
