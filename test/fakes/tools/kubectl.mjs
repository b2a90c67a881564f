// Fake kubectl. Source of truth: kubectl's documented behaviour for the calls meshup makes
// (`config view -o json`, `version -o json`, `get ... -o json` with --ignore-not-found printing
// nothing for a missing object, server-side `apply -f -`, `label`, `delete --ignore-not-found`),
// and its errors: `error: context "X" does not exist` and "Unable to connect to the server" for a
// cluster that is down. Objects live in state.clusters[context].objects keyed kind/ns/name.
import { parseAllDocuments } from 'yaml';

// "deployments.apps" and "deployment" both name Deployment: drop the group, then the plural.
const singular = (k) =>
  k
    .toLowerCase()
    .split('.')[0]
    .replace(/ies$/, 'y')
    .replace(/(sses)$/, 'ss')
    .replace(/(ses)$/, 's')
    .replace(/s$/, '');
const CLUSTER_SCOPED = new Set([
  'Node',
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);
const clusterScoped = (o) => CLUSTER_SCOPED.has(o.kind);
// Istio's kinds exist only while their CRD does, as on a real API server.
const CUSTOM = {
  telemetry: 'telemetries.telemetry.istio.io',
  peerauthentication: 'peerauthentications.security.istio.io',
  virtualservice: 'virtualservices.networking.istio.io',
  gateway: 'gateways.networking.istio.io',
};
const keyOf = (o) => `${o.kind.toLowerCase()}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** @param {import('../lib.mjs').Call} t */
export default async function kubectl(t) {
  let args = t.args;
  let stdin;
  if (args.includes('-f') && args[args.indexOf('-f') + 1] === '-') stdin = t.readStdin();
  t.record('kubectl', args, stdin);
  const s = t.load();
  s.kubeconfig ??= { contexts: [] };
  let context;
  if (args[0] === '--context') {
    context = args[1];
    args = args.slice(2);
  }
  const has = (f) => args.includes(f);
  const flag = (n) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };

  if (args[0] === 'config' && args[1] === 'view') {
    const k = s.kubeconfig;
    t.out(
      JSON.stringify({
        'current-context': k.current ?? '',
        contexts: k.contexts.map((c) => ({ name: c.name, context: { cluster: c.cluster } })),
        clusters: k.contexts.map((c) => ({ name: c.cluster, cluster: { server: c.server } })),
      }),
    );
    t.exit(0);
  }
  if (args[0] === 'version' && has('--client')) {
    t.out(JSON.stringify({ clientVersion: { gitVersion: 'v1.33.1' } }));
    t.exit(0);
  }
  const name = context ?? s.kubeconfig.current;
  const ctx = s.kubeconfig.contexts.find((c) => c.name === name);
  if (!ctx) t.fail(`error: context "${name}" does not exist`);
  if (!ctx.reachable) t.fail(`Unable to connect to the server: dial tcp ${ctx.server.replace('https://', '')}: connect: connection refused`);
  s.clusters ??= {};
  s.clusters[name] ??= { objects: {} };
  const objects = s.clusters[name].objects;
  if (!Object.keys(objects).some((k) => k.startsWith('node/'))) {
    objects[`node//${name}-control-plane`] = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `${name}-control-plane`, labels: {} },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        allocatable: { cpu: '8', memory: '16318848Ki' },
        addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
        nodeInfo: { kubeletVersion: 'v1.33.1' },
      },
    };
  }
  const served = (kind) => !CUSTOM[kind] || `customresourcedefinition//${CUSTOM[kind]}` in objects;
  const ns = flag('-n') ?? flag('--namespace');

  switch (args[0]) {
    case 'version':
      t.out(JSON.stringify({ clientVersion: { gitVersion: 'v1.33.1' }, serverVersion: { gitVersion: 'v1.33.1' } }));
      break;
    case 'get': {
      const kinds = args[1].split(',').map(singular);
      const unserved = kinds.find((k) => !served(k));
      if (unserved) t.fail(`error: the server doesn't have a resource type "${args[1].split(',')[kinds.indexOf(unserved)]}"`);
      const objName = args[2] && !args[2].startsWith('-') ? args[2] : undefined;
      const sel = flag('-l');
      let items = Object.entries(objects)
        .filter(([k]) => kinds.some((kk) => k.startsWith(`${kk}/`)))
        .map(([, v]) => v);
      // As the API does: -n narrows namespaced kinds; cluster-scoped ones are listed whatever -n says.
      if (ns && !has('--all-namespaces') && !has('-A')) items = items.filter((o) => clusterScoped(o) || o.metadata.namespace === ns);
      if (sel) {
        const [k, v] = sel.split('=');
        items = items.filter((o) => (v === undefined ? k in (o.metadata.labels ?? {}) : o.metadata.labels?.[k] === v));
      }
      if ((flag('-o') ?? '').startsWith('custom-columns=')) {
        // Only the one column meshup asks for: NAME:.metadata.name, with --no-headers.
        t.out(items.map((o) => o.metadata.name).join('\n'));
        break;
      }
      if (objName) {
        const o = items.find((i) => i.metadata.name === objName);
        if (!o) {
          if (has('--ignore-not-found')) t.exit(0);
          t.fail(`Error from server (NotFound): ${args[1]} "${objName}" not found`);
        }
        t.out(JSON.stringify(o));
      } else t.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      break;
    }
    case 'apply': {
      for (const doc of parseAllDocuments(stdin ?? '')) {
        const o = doc.toJS();
        if (!o) continue;
        if (!served(o.kind.toLowerCase())) {
          t.fail(
            `error: resource mapping not found for name: "${o.metadata.name}" namespace: "${o.metadata.namespace ?? ''}" from "STDIN": no matches for kind "${o.kind}" in version "${o.apiVersion}"\nensure CRDs are installed first`,
          );
        }
        if (o.kind === 'Deployment' && !s.notReady?.includes(o.metadata.name)) o.status = { readyReplicas: o.spec?.replicas ?? 1 };
        objects[keyOf(o)] = o;
        t.out(`${o.kind.toLowerCase()}/${o.metadata.name} serverside-applied`);
      }
      t.save(s);
      break;
    }
    case 'rollout':
      if (args[1] !== 'status') t.unexpected();
      t.out(
        args
          .slice(2)
          .filter((a) => a.includes('/'))
          .map((a) => `${a.split('/')[0]} "${a.split('/')[1]}" successfully rolled out`)
          .join('\n'),
      );
      break;
    case 'wait':
      t.out(
        args
          .slice(1)
          .filter((a) => a.startsWith('crd/'))
          .map((a) => `customresourcedefinition.apiextensions.k8s.io/${a.slice(4)} condition met`)
          .join('\n'),
      );
      break;
    case 'delete': {
      if (args.includes('-f')) {
        for (const doc of parseAllDocuments(stdin ?? '')) {
          const o = doc.toJS();
          if (o) delete objects[keyOf(o)];
        }
        t.save(s);
        break;
      }
      const sel = flag('-l');
      if (sel) {
        // delete KINDS -l key=value: every object of those kinds carrying the label.
        const kinds = args[1].split(',').map(singular);
        const [k, v] = sel.split('=');
        for (const [key, o] of Object.entries(objects)) {
          if (!kinds.includes(key.split('/')[0])) continue;
          if (ns && !clusterScoped(o) && o.metadata.namespace !== ns) continue;
          if (o.metadata.labels?.[k] === v) {
            delete objects[key];
            t.out(`${key.split('/')[0]}/${o.metadata.name} deleted`);
          }
        }
        t.save(s);
        break;
      }
      const refs = args.slice(1).filter((a) => a.includes('/') && !a.startsWith('-'));
      for (const r of refs) {
        const [k, n] = r.split('/');
        for (const key of Object.keys(objects)) {
          const [kk, kn, nn] = key.split('/');
          if (kk === singular(k) && nn === n && (!ns || kn === ns || kn === '')) delete objects[key];
        }
        t.out(`${r} deleted`);
      }
      t.save(s);
      break;
    }
    case 'label': {
      const key = `${singular(args[1])}/${ns ?? ''}/${args[2]}`;
      const o = objects[key] ?? objects[`${singular(args[1])}//${args[2]}`];
      if (!o) t.fail(`Error from server (NotFound): ${args[1]} "${args[2]}" not found`);
      o.metadata.labels ??= {};
      for (const a of args.slice(3).filter((x) => !x.startsWith('-'))) {
        if (a.endsWith('-')) delete o.metadata.labels[a.slice(0, -1)];
        else {
          const [k, v] = a.split('=');
          o.metadata.labels[k] = v;
        }
      }
      t.save(s);
      t.out(`${args[1]}/${args[2]} labeled`);
      break;
    }
    default:
      t.unexpected();
  }
}
