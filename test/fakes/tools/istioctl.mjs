// Fake istioctl. Source of truth: shared/notes/field-notes.md (istioctl 1.24+ section) and the
// real 1.31 istioctl run in test/e2e: `version --remote=false -o json` prints
// {"clientVersion":{"version":...}}; `install -f FILE -y --readiness-timeout Ns` applies the
// components and waits for their Deployments; a timeout prints "resources not ready after ...";
// each object is labelled install.operator.istio.io/owning-resource with the IstioOperator's name
// and operator.istio.io/component with its component, and an install prunes only its own objects
// that carry a component (Istio 1.31, operator/pkg/install getOwnerLabels and prune).
// `manifest generate` prints the component label only where Istio's charts set it themselves:
// on the gateways' objects and istiod's Deployment and Service.
// It writes the Deployments it would create into the fake kubectl's objects for the context.
// State: state.istioctl = { version, failInstall, slowInstallMs }; FAKE_ISTIOCTL_VERSION (set by
// a test release's bin/istioctl) names the version.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

const OWNER = 'install.operator.istio.io/owning-resource';
const COMPONENT = 'operator.istio.io/component';
/** The component an object is installed as, and whether the chart labels it so itself. */
const ofComponent = (o, component, charted) => ({
  ...o,
  component,
  ...(charted ? { metadata: { ...o.metadata, labels: { ...o.metadata.labels, [COMPONENT]: component } } } : {}),
});

/** The objects of an overlay's components: a small stand-in for the real charts'. */
function controlPlane(overlay) {
  const ns = 'istio-system';
  const deployment = (name) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { replicas: 1 },
    status: { readyReplicas: 1 },
  });
  const crd = (name) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
  const components = overlay?.spec?.components ?? {};
  const base = [
    crd('virtualservices.networking.istio.io'),
    crd('gateways.networking.istio.io'),
    crd('telemetries.telemetry.istio.io'),
    crd('peerauthentications.security.istio.io'),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'istiod', namespace: ns } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-sidecar-injector', namespace: ns },
      data: { config: 'policy: enabled\n', values: '{"global":{}}' },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: ns }, data: { mesh: 'accessLogFile: ""\n' } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'istio-sidecar-injector' } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'istio-validator-istio-system' } },
  ];
  const pilot = [
    deployment('istiod'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istiod', namespace: ns }, spec: { type: 'ClusterIP', ports: [{ name: 'grpc-xds', port: 15010 }] } },
  ];
  // A component is on unless the overlay turns it off (every profile meshup uses has both).
  const objs = [
    ...(components.base?.enabled === false ? [] : base.map((o) => ofComponent(o, 'Base', false))),
    ...(components.pilot?.enabled === false ? [] : pilot.map((o) => ofComponent(o, 'Pilot', true))),
  ];
  // Ambient's node agents, as Istio's charts name them: DaemonSets ready on the one node.
  const daemonSet = (name) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    status: { desiredNumberScheduled: 1, numberReady: 1 },
  });
  if (components.cni?.enabled) objs.push(ofComponent(daemonSet('istio-cni-node'), 'Cni', true));
  if (components.ztunnel?.enabled) objs.push(ofComponent(daemonSet('ztunnel'), 'Ztunnel', true));
  // The gateway Service as istioctl creates it: type LoadBalancer, address pending, the
  // overlay's nodePorts (the API server would allocate the status port's).
  const gw = components.ingressGateways?.[0];
  if (gw?.enabled) {
    objs.push(ofComponent(deployment('istio-ingressgateway'), 'IngressGateways', true));
    const ports = gw.k8s.service.ports.map((p) => ({ ...p, protocol: 'TCP', nodePort: p.nodePort ?? 31021 }));
    objs.push(
      ofComponent(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'istio-ingressgateway', namespace: ns },
          spec: { type: 'LoadBalancer', ports },
          status: { loadBalancer: {} },
        },
        'IngressGateways',
        true,
      ),
    );
  }
  return objs;
}

/** @param {import('../lib.mjs').Call} t */
export default async function istioctl(t) {
  let args = t.args;
  t.record('istioctl', args);
  let s = t.load();
  const cfg = { version: '1.31.1', ...(s.istioctl ?? {}) };
  if (t.env.FAKE_ISTIOCTL_VERSION) cfg.version = t.env.FAKE_ISTIOCTL_VERSION;
  let context = s.kubeconfig?.current;
  if (args[0] === '--context') {
    context = args[1];
    args = args.slice(2);
  }
  const overlayFile = () => parse(readFileSync(resolve(t.cwd, args[args.indexOf('-f') + 1]), 'utf8'));
  if (args[0] === 'version') {
    t.out(JSON.stringify({ clientVersion: { version: cfg.version, revision: 'fake', golang_version: 'go1.26', status: 'Clean', tag: cfg.version } }));
  } else if (args[0] === 'install') {
    if (cfg.slowInstallMs) {
      t.unlock();
      await t.sleep(cfg.slowInstallMs);
      await t.relock();
      s = { ...s, ...t.load() };
    }
    if (cfg.failInstall) {
      t.fail(
        `✘ Ingress gateways encountered an error: failed to wait for resource: resources not ready after 5m0s: context deadline exceeded\nDeployment/istio-system/istio-ingressgateway (containers with unready status: [istio-proxy])`,
      );
    }
    s.clusters ??= {};
    s.clusters[context] ??= { objects: {} };
    const objects = s.clusters[context].objects;
    const overlay = overlayFile();
    // Each object is labelled with the IstioOperator that installed it; an install prunes those
    // of its own that it no longer renders, and takes over the others it renders.
    const owner = overlay?.metadata?.name ?? '';
    const rendered = controlPlane(overlay);
    const keyOf = (o) => `${o.kind.toLowerCase()}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const keep = new Set(rendered.map(keyOf));
    const removed = [];
    for (const [key, o] of Object.entries(objects)) {
      if (o.metadata?.labels?.[OWNER] !== owner || !o.metadata.labels[COMPONENT] || keep.has(key)) continue;
      delete objects[key];
      // As the real one logs a pruned object (operator/pkg/uninstall DeleteResource): its GVK, name and namespace.
      const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
      removed.push(`  Removed ${group}/${version}, Kind=${o.kind}/${o.metadata.name}.${o.metadata.namespace ?? ''}.`);
    }
    objects['namespace//istio-system'] = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } };
    for (const { component, ...o } of rendered) {
      const labels = {
        ...o.metadata.labels,
        'operator.istio.io/managed': 'Reconcile',
        'operator.istio.io/version': cfg.version,
        [OWNER]: owner,
        'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        'istio.io/rev': 'default',
        [COMPONENT]: component,
      };
      objects[keyOf(o)] = { ...o, metadata: { ...o.metadata, labels } };
    }
    t.save(s);
    const c = overlay?.spec?.components ?? {};
    t.out(
      [
        c.base?.enabled === false ? '' : '✔ Istio core installed ⛵️',
        c.pilot?.enabled === false ? '' : '✔ Istiod installed 🧠',
        c.ingressGateways?.[0]?.enabled ? '✔ Ingress gateways installed 🛬' : '',
        '- Pruning removed resources',
        ...removed,
        '✔ Installation complete',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  } else if (args[0] === 'manifest' && args[1] === 'generate') {
    // What install would create, as YAML documents (the real one prints no Namespace).
    t.out(
      controlPlane(overlayFile())
        .map(({ component: _, ...o }) => stringify(o))
        .join('---\n'),
    );
  } else if (args[0] === 'kube-inject') {
    // Adds an istio-proxy container to each pod template, as the real one does (and more).
    const docs = parseAllDocuments(t.readStdin())
      .map((d) => d.toJS())
      .filter(Boolean);
    for (const d of docs) {
      const spec = d.kind === 'Pod' ? d.spec : d.spec?.template?.spec;
      if (spec) spec.containers = [...(spec.containers ?? []), { name: 'istio-proxy', image: `docker.io/istio/proxyv2:${cfg.version}` }];
    }
    t.out(docs.map((d) => stringify(d)).join('---\n'));
  } else if (args[0] === 'uninstall') {
    t.out('✔ Uninstall complete');
  } else t.unexpected(args);
}
