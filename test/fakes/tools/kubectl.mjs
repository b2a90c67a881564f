// Fake kubectl. Source of truth: kubectl's documented behaviour for the calls meshup makes
// (`config view -o json`, `version -o json`, `get ... -o json` with --ignore-not-found printing
// nothing for a missing object, server-side `apply -f -`, `label`, `delete --ignore-not-found`),
// and its errors: `error: context "X" does not exist` and "Unable to connect to the server" for a
// cluster that is down. Objects live in state.clusters[context].objects keyed kind/ns/name (Istio's
// Gateway as gateway.networking.istio.io/ns/name). Controllers' effects that meshup relies
// on are played out at once: Deployments ready, namespace and owner deletion, istiod's gateways.
import { parseAllDocuments } from 'yaml';

/** @param {import('../lib.mjs').Call} t */
/**
 * managedFields as the API server keeps them, for labels only (what meshup's ownership reads): the
 * given manager now owns `labels`, which every other manager loses; an entry left owning nothing
 * is dropped. With no manager, the labels are just taken from everyone (a label removed).
 */
function owning(fields = [], manager, operation, labels) {
  const keys = labels.map((l) => `f:${l}`);
  const rest = fields
    .map((f) => {
      const own = { ...(f.fieldsV1?.['f:metadata']?.['f:labels'] ?? {}) };
      for (const k of keys) delete own[k];
      return f.manager === manager ? undefined : { ...f, fieldsV1: { 'f:metadata': { 'f:labels': own } } };
    })
    .filter((f) => f && Object.keys(f.fieldsV1['f:metadata']['f:labels']).length);
  if (!manager) return rest;
  const mine = fields.find((f) => f.manager === manager);
  const owned = { ...(operation === 'Apply' ? {} : (mine?.fieldsV1?.['f:metadata']?.['f:labels'] ?? {})), ...Object.fromEntries(keys.map((k) => [k, {}])) };
  return [...rest, { manager, operation, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': owned } } }];
}

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
  // "deployments.apps" and "deployment" both name Deployment: drop the group, then the plural.
  // The first rule that fits, only ("gatewayclasses" is "gatewayclass", not "gatewayclas").
  const singular = (k) => {
    const w = k.toLowerCase().split('.')[0];
    for (const [plural, one] of [
      [/ies$/, 'y'],
      [/sses$/, 'ss'],
      [/ses$/, 's'],
      [/s$/, ''],
    ])
      if (plural.test(w)) return w.replace(plural, one);
    return w;
  };
  // A resource argument as kubectl resolves it: a kind and, when given ("gateways.networking.istio.io"),
  // its API group. Two groups define a Gateway (Istio's and the Gateway API's), so the group counts.
  const GROUP_OF = {
    telemetry: 'telemetry.istio.io',
    peerauthentication: 'security.istio.io',
    virtualservice: 'networking.istio.io',
    gateway: 'networking.istio.io',
    httproute: 'gateway.networking.k8s.io',
    gatewayclass: 'gateway.networking.k8s.io',
  };
  const resource = (arg) => {
    const dot = arg.indexOf('.');
    const kind = singular(arg);
    return { kind, group: dot > 0 ? arg.slice(dot + 1).toLowerCase() : undefined };
  };
  const groupOf = (o) => (o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : '');
  const matches = (r, o) => (o.kind ?? '').toLowerCase() === r.kind && (r.group === undefined || !o.apiVersion || groupOf(o) === r.group);
  const CLUSTER_SCOPED = new Set([
    'Node',
    'Namespace',
    'CustomResourceDefinition',
    'ClusterRole',
    'ClusterRoleBinding',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'GatewayClass',
  ]);
  const clusterScoped = (o) => CLUSTER_SCOPED.has(o.kind);

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
  const cl = s.clusters[name];
  const objects = cl.objects;
  if (!Object.keys(objects).some((k) => k.startsWith('node/'))) {
    objects[`node//${name}-control-plane`] = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `${name}-control-plane`, labels: {} },
      status: {
        // state.nodesNotReady: a node whose kubelet never reports Ready (no CNI, say).
        conditions: [{ type: 'Ready', status: s.nodesNotReady ? 'False' : 'True' }],
        allocatable: { cpu: '8', memory: '16318848Ki' },
        addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
        nodeInfo: { kubeletVersion: 'v1.33.1' },
      },
    };
  }
  // Custom kinds exist only while their CRD does, as on a real API server.
  const CRD_OF = {
    'telemetry.telemetry.istio.io': 'telemetries.telemetry.istio.io',
    'peerauthentication.security.istio.io': 'peerauthentications.security.istio.io',
    'virtualservice.networking.istio.io': 'virtualservices.networking.istio.io',
    'gateway.networking.istio.io': 'gateways.networking.istio.io',
    'gateway.gateway.networking.k8s.io': 'gateways.gateway.networking.k8s.io',
    'httproute.gateway.networking.k8s.io': 'httproutes.gateway.networking.k8s.io',
    'gatewayclass.gateway.networking.k8s.io': 'gatewayclasses.gateway.networking.k8s.io',
  };
  const served = (r) => {
    const crd = CRD_OF[`${r.kind}.${r.group ?? GROUP_OF[r.kind] ?? ''}`];
    return !crd || `customresourcedefinition//${crd}` in objects;
  };
  // Istio's Gateway is keyed with its group, so it never shadows a Gateway API Gateway of that name.
  const keyOf = (o) =>
    `${o.kind.toLowerCase()}${o.kind === 'Gateway' && groupOf(o) === 'networking.istio.io' ? '.networking.istio.io' : ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const ns = flag('-n') ?? flag('--namespace');

  // What the API server and its controllers do after a delete: a namespace takes its objects with
  // it, and the garbage collector removes what an ownerReference ties to a deleted object.
  function remove(key) {
    const o = objects[key];
    if (!o) return;
    delete objects[key];
    for (const [k, x] of Object.entries(objects)) {
      const inNamespace = o.kind === 'Namespace' && x.metadata.namespace === o.metadata.name;
      const owned =
        (x.metadata.ownerReferences ?? []).some((r) => r.kind === o.kind && r.name === o.metadata.name && r.apiVersion?.split('/')[0] === groupOf(o)) &&
        x.metadata.namespace === o.metadata.namespace;
      if (inNamespace || owned) remove(k);
    }
  }

  // istiod's gateway deployment controller, when istiod is installed: a Gateway of class istio gets
  // a Deployment and a Service named NAME-istio (status port 15021 and one port per listener port,
  // named after the listener), LoadBalancer unless the networking.istio.io/service-type annotation
  // says otherwise, with the ConfigMap of spec.infrastructure.parametersRef's "service" key merged
  // in (ports by port number). The API server allocates free nodePorts and refuses one that another
  // Service holds; istiod then leaves the Service as it was.
  function deployGateway(gw) {
    if (gw.spec?.gatewayClassName !== 'istio' || !objects['deployment/istio-system/istiod']) return;
    const name = `${gw.metadata.name}-istio`;
    const nsName = gw.metadata.namespace;
    const owner = [{ apiVersion: gw.apiVersion, kind: 'Gateway', name: gw.metadata.name }];
    const labels = { 'gateway.networking.k8s.io/gateway-name': gw.metadata.name };
    const ref = gw.spec.infrastructure?.parametersRef;
    const cm = ref?.kind === 'ConfigMap' ? objects[`configmap/${nsName}/${ref.name}`] : undefined;
    const overlay = cm?.data?.service ? parseAllDocuments(cm.data.service)[0].toJS() : {};
    const seen = new Set();
    const ports = [{ name: 'status-port', port: 15021, appProtocol: 'tcp' }];
    for (const l of gw.spec.listeners ?? []) {
      if (seen.has(l.port)) continue;
      seen.add(l.port);
      ports.push({ name: l.name, port: l.port, appProtocol: l.protocol.toLowerCase() });
    }
    const type = overlay.spec?.type ?? gw.metadata.annotations?.['networking.istio.io/service-type'] ?? 'LoadBalancer';
    const key = `service/${nsName}/${name}`;
    const before = objects[key];
    const held = new Set(
      Object.entries(objects)
        .filter(([k]) => k !== key && k.startsWith('service/'))
        .flatMap(([, x]) => (x.spec?.ports ?? []).map((p) => p.nodePort).filter(Boolean)),
    );
    if (type !== 'ClusterIP') {
      for (const p of ports) {
        const want = (overlay.spec?.ports ?? []).find((q) => q.port === p.port)?.nodePort ?? before?.spec?.ports?.find((q) => q.port === p.port)?.nodePort;
        if (want !== undefined && held.has(want)) return; // spec.ports[].nodePort: provided port is already allocated
        let np = want ?? 30000;
        while (want === undefined && held.has(np)) np++;
        held.add(np);
        p.nodePort = np;
      }
    }
    objects[key] = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: nsName, labels, ownerReferences: owner },
      spec: { type, ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
      status: { loadBalancer: {} },
    };
    objects[`deployment/${nsName}/${name}`] = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: nsName, labels, ownerReferences: owner },
      spec: { replicas: 1 },
      status: { readyReplicas: 1 },
    };
  }

  switch (args[0]) {
    case 'version':
      t.out(JSON.stringify({ clientVersion: { gitVersion: 'v1.33.1' }, serverVersion: { gitVersion: 'v1.33.1' } }));
      break;
    case 'get': {
      const rs = args[1].split(',').map(resource);
      const unserved = rs.findIndex((r) => !served(r));
      if (unserved >= 0) t.fail(`error: the server doesn't have a resource type "${args[1].split(',')[unserved]}"`);
      // cluster.forbidden: resources these credentials may not list, as RBAC refuses them.
      const refused = args[1].split(',').find((r) => (cl.forbidden ?? []).includes(r.split('.')[0]));
      if (refused) {
        const [plural, ...group] = refused.split('.');
        t.fail(
          `Error from server (Forbidden): ${refused} is forbidden: User "dev" cannot list resource "${plural}" in API group "${group.join('.')}" in the namespace "${ns ?? 'default'}"`,
        );
      }
      const objName = args[2] && !args[2].startsWith('-') ? args[2] : undefined;
      const sel = flag('-l');
      let items = Object.values(objects).filter((o) => rs.some((r) => matches(r, o)));
      // As the API does: -n narrows namespaced kinds; cluster-scoped ones are listed whatever -n says.
      if (ns && !has('--all-namespaces') && !has('-A')) items = items.filter((o) => clusterScoped(o) || o.metadata.namespace === ns);
      if (sel) {
        const [k, v] = sel.split('=');
        items = items.filter((o) => (v === undefined ? k in (o.metadata.labels ?? {}) : o.metadata.labels?.[k] === v));
      }
      if ((flag('-o') ?? '').startsWith('custom-columns=')) {
        // HEADER:.json.path columns, as kubectl's JSONPath reads them: a key's own dots escaped
        // (annotations.gateway\.networking\.k8s\.io/bundle-version), `<none>` for what is absent,
        // the cells padded by kubectl's tabwriter (width of the widest cell plus 3, at least 6).
        const cols = flag('-o')
          .slice('custom-columns='.length)
          .split(',')
          .map((c) => ({ header: c.slice(0, c.indexOf(':')), path: c.slice(c.indexOf(':') + 1) }));
        const pathValue = (o, path) => {
          let v = o;
          for (const k of path
            .replace(/^\{?\.?/, '')
            .replace(/\}$/, '')
            .split(/(?<!\\)\./)
            .map((x) => x.replace(/\\\./g, '.')))
            v = v !== null && typeof v === 'object' ? v[k] : undefined;
          return v === undefined || v === null ? '<none>' : String(v);
        };
        const rows = items.map((o) => cols.map((c) => pathValue(o, c.path)));
        if (!has('--no-headers')) rows.unshift(cols.map((c) => c.header));
        const widths = cols.map((_, i) => Math.max(6, ...rows.map((r) => r[i].length + 3)));
        t.out(rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('')).join('\n'));
        break;
      }
      // kubectl leaves managedFields out of its output unless asked (since 1.21).
      const shown = (o) => (has('--show-managed-fields') ? o : { ...o, metadata: { ...o.metadata, managedFields: undefined } });
      if (objName) {
        const o = items.find((i) => i.metadata.name === objName);
        if (!o) {
          if (has('--ignore-not-found')) t.exit(0);
          t.fail(`Error from server (NotFound): ${args[1]} "${objName}" not found`);
        }
        t.out(JSON.stringify(shown(o)));
      } else t.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: items.map(shown) }));
      break;
    }
    case 'apply': {
      // A server-side dry run: each object as the apply would leave it, stored nowhere.
      const dryRun = has('--dry-run=server');
      const results = [];
      for (const doc of parseAllDocuments(stdin ?? '')) {
        const o = doc.toJS();
        if (!o) continue;
        if (!served({ kind: o.kind.toLowerCase(), group: groupOf(o) }))
          t.fail(
            `error: resource mapping not found for name: "${o.metadata.name}" namespace: "${o.metadata.namespace ?? ''}" from "STDIN": no matches for kind "${o.kind}" in version "${o.apiVersion}"\nensure CRDs are installed first`,
          );
        // The API server's rule for CRDs of Kubernetes' own API groups (kubernetes/enhancements#1111).
        if (
          o.kind === 'CustomResourceDefinition' &&
          /(^|\.)(k8s|kubernetes)\.io$/.test(o.spec?.group ?? '') &&
          !o.metadata.annotations?.['api-approved.kubernetes.io']
        )
          t.fail(
            `Error from server (Invalid): CustomResourceDefinition.apiextensions.k8s.io "${o.metadata.name}" is invalid: metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111`,
          );
        if (o.kind === 'Deployment' && !s.notReady?.includes(o.metadata.name)) o.status = { readyReplicas: o.spec?.replicas ?? 1 };
        // Server-side apply with forced conflicts: this manager now owns the labels it sent.
        o.metadata.managedFields = owning(
          objects[keyOf(o)]?.metadata.managedFields,
          args.find((a) => a.startsWith('--field-manager='))?.split('=')[1] ?? 'kubectl',
          'Apply',
          Object.keys(o.metadata.labels ?? {}),
        );
        if (dryRun) {
          // This fake's apply replaces the object: what it keeps of the live one is its status.
          results.push({ ...o, status: objects[keyOf(o)]?.status ?? o.status });
          continue;
        }
        objects[keyOf(o)] = o;
        t.out(`${o.kind.toLowerCase()}/${o.metadata.name} serverside-applied`);
        if (o.kind === 'Gateway' && groupOf(o) === 'gateway.networking.k8s.io') deployGateway(o);
      }
      if (dryRun) {
        if (flag('-o') !== 'json') t.unexpected();
        t.out(JSON.stringify(results.length === 1 ? results[0] : { apiVersion: 'v1', kind: 'List', items: results }));
        break;
      }
      t.save(s);
      break;
    }
    case 'api-resources':
      // `-o name`: what discovery lists, as plural[.group]; a CRD's resource once it exists (this
      // fake's CRDs are Established at once; the real discovery lists only Established ones).
      if (flag('-o') !== 'name') t.unexpected();
      t.out(
        [
          'configmaps',
          'namespaces',
          'pods',
          'services',
          'deployments.apps',
          'customresourcedefinitions.apiextensions.k8s.io',
          ...Object.values(objects)
            .filter((o) => o.kind === 'CustomResourceDefinition')
            .map((o) => o.metadata.name),
        ].join('\n'),
      );
      break;
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
      if (has('--for=delete')) {
        // kubectl wait --for=delete NAMES: done at once for objects already gone (NotFound counts as
        // deleted); this fake never deletes anything later, so one still there times out.
        const left = args.slice(1).filter((a) => {
          if (a.startsWith('-') || !a.includes('/')) return false;
          const [k, n] = a.split('/');
          const r = resource(k);
          return Object.values(objects).some((o) => matches(r, o) && o.metadata.name === n && (clusterScoped(o) || o.metadata.namespace === (ns ?? 'default')));
        });
        if (left.length) t.fail(`error: timed out waiting for the condition on ${left[0]}`);
        break;
      }
      // meshup waits for conditions through rollout status and discovery (api-resources), not this.
      t.unexpected();
      break;
    case 'delete': {
      if (args.includes('-f')) {
        for (const doc of parseAllDocuments(stdin ?? '')) {
          const o = doc.toJS();
          if (o) remove(keyOf(o));
        }
        t.save(s);
        break;
      }
      const sel = flag('-l');
      if (sel) {
        // delete KINDS -l key[=value]: every object of those kinds carrying the label.
        const rs = args[1].split(',').map(resource);
        const unserved = rs.findIndex((r) => !served(r));
        if (unserved >= 0) t.fail(`error: the server doesn't have a resource type "${args[1].split(',')[unserved]}"`);
        const [k, v] = sel.split('=');
        for (const [key, o] of Object.entries(objects)) {
          if (!rs.some((r) => matches(r, o))) continue;
          if (ns && !has('--all-namespaces') && !has('-A') && !clusterScoped(o) && o.metadata.namespace !== ns) continue;
          const labels = o.metadata.labels ?? {};
          if (v === undefined ? k in labels : labels[k] === v) {
            remove(key);
            t.out(`${o.kind.toLowerCase()}/${o.metadata.name} deleted`);
          }
        }
        t.save(s);
        break;
      }
      const refs = args.slice(1).filter((a) => a.includes('/') && !a.startsWith('-'));
      for (const ref of refs) {
        const [k, n] = ref.split('/');
        const r = resource(k);
        if (!served(r)) t.fail(`error: the server doesn't have a resource type "${k}"`);
        let found = false;
        for (const [key, o] of Object.entries(objects)) {
          if (matches(r, o) && o.metadata.name === n && (clusterScoped(o) || o.metadata.namespace === (ns ?? 'default'))) {
            remove(key);
            found = true;
          }
        }
        // --ignore-not-found prints nothing for what was not there.
        if (found) t.out(`${ref} deleted`);
        else if (!has('--ignore-not-found')) t.fail(`Error from server (NotFound): ${k} "${n}" not found`);
      }
      t.save(s);
      break;
    }
    case 'label': {
      const key = `${singular(args[1])}/${ns ?? ''}/${args[2]}`;
      const o = objects[key] ?? objects[`${singular(args[1])}//${args[2]}`];
      if (!o) t.fail(`Error from server (NotFound): ${args[1]} "${args[2]}" not found`);
      o.metadata.labels ??= {};
      const set = [];
      for (const a of args.slice(3).filter((x) => !x.startsWith('-'))) {
        if (a.endsWith('-')) {
          delete o.metadata.labels[a.slice(0, -1)];
          o.metadata.managedFields = owning(o.metadata.managedFields, undefined, undefined, [a.slice(0, -1)]);
        } else {
          const [k, v] = a.split('=');
          o.metadata.labels[k] = v;
          set.push(k);
        }
      }
      if (set.length) o.metadata.managedFields = owning(o.metadata.managedFields, 'kubectl-label', 'Update', set);
      t.save(s);
      t.out(`${args[1]}/${args[2]} labeled`);
      break;
    }
    default:
      t.unexpected();
  }
}
