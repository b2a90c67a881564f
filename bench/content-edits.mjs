// The field edits of the cluster benchmark's scenario (e), content drift: the same real edits as
// test/e2e/content-drift.test.ts (written out here, not imported from a test), each on a field
// that both meshup and the plain script (bench/plain-up.sh) set on a converged demo mesh with the
// four addons. For each: the object, the field as a kubectl jsonpath, and the edit. A re-run
// restored an edit when the field reads again what it read on the converged cluster.
// The test removes meshup's own label meshup.dev/addon, which the script never sets; here the label
// removed is the manifest's `app`, which both set.

/**
 * @typedef {{
 *   what: string,
 *   ref: string[],
 *   field: string,
 *   edit: string[] | ((kubectl: (args: string[]) => Promise<string>) => Promise<unknown>),
 * }} ContentEdit
 * ref: kubectl arguments naming the object ([-n NS] RESOURCE NAME); field: a jsonpath read of the
 * edited field; edit: kubectl arguments, or a function of a kubectl that returns stdout.
 */

const NS = ['-n', 'istio-system'];

/** @type {readonly ContentEdit[]} */
export const CONTENT_EDITS = Object.freeze([
  {
    what: 'istiod scaled to 0',
    ref: [...NS, 'deployment', 'istiod'],
    field: '{.spec.replicas}',
    edit: ['scale', 'deployment', 'istiod', ...NS, '--replicas=0'],
  },
  {
    what: "grafana's image changed",
    ref: [...NS, 'deployment', 'grafana'],
    field: '{.spec.template.spec.containers[?(@.name=="grafana")].image}',
    edit: ['set', 'image', 'deployment/grafana', 'grafana=docker.io/grafana/grafana:0.0.1', ...NS],
  },
  {
    what: "prometheus's args changed",
    ref: [...NS, 'deployment', 'prometheus'],
    field: '{.spec.template.spec.containers[?(@.name=="prometheus-server")].args}',
    edit: ['patch', 'deployment', 'prometheus', ...NS, '--type=json', '-p', '[{"op":"add","path":"/spec/template/spec/containers/1/args/-","value":"--evil"}]'],
  },
  {
    what: "kiali's LOG_LEVEL changed",
    ref: [...NS, 'deployment', 'kiali'],
    field: '{.spec.template.spec.containers[?(@.name=="kiali")].env[?(@.name=="LOG_LEVEL")].value}',
    edit: ['set', 'env', 'deployment/kiali', ...NS, 'LOG_LEVEL=trace'],
  },
  {
    what: "the ingress gateway's nodePort changed",
    ref: [...NS, 'service', 'istio-ingressgateway'],
    field: '{.spec.ports[?(@.name=="http2")].nodePort}',
    edit: ['patch', 'service', 'istio-ingressgateway', ...NS, '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/1/nodePort","value":30777}]'],
  },
  {
    what: "grafana's Service type changed",
    ref: [...NS, 'service', 'grafana'],
    field: '{.spec.type}',
    edit: ['patch', 'service', 'grafana', ...NS, '-p', '{"spec":{"type":"NodePort"}}'],
  },
  {
    what: 'a mesh config value changed',
    ref: [...NS, 'configmap', 'istio'],
    field: '{.data.mesh}',
    edit: async (kubectl) => {
      const cm = JSON.parse(await kubectl(['get', 'configmap', 'istio', ...NS, '-o', 'json']));
      const mesh = `${cm.data.mesh}\nenableTracing: false\n`.replace(/\n+/g, '\n');
      await kubectl(['patch', 'configmap', 'istio', ...NS, '--type=merge', '-p', JSON.stringify({ data: { mesh: `${mesh}defaultConfig: {}\n` } })]);
    },
  },
  {
    what: "jaeger's label app removed",
    ref: [...NS, 'deployment', 'jaeger'],
    field: '{.metadata.labels.app}',
    edit: ['label', 'deployment', 'jaeger', ...NS, 'app-'],
  },
  {
    what: "the injector webhook's rule edited",
    ref: ['mutatingwebhookconfiguration', 'istio-sidecar-injector'],
    field: '{.webhooks[0].rules[0].operations}',
    edit: [
      'patch',
      'mutatingwebhookconfiguration',
      'istio-sidecar-injector',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/webhooks/0/rules/0/operations","value":["UPDATE"]}]',
    ],
  },
  {
    what: "grafana's ConfigMap data edited",
    ref: [...NS, 'configmap', 'grafana'],
    field: '{.data.grafana\\.ini}',
    edit: ['patch', 'configmap', 'grafana', ...NS, '--type=merge', '-p', '{"data":{"grafana.ini":"[evil]\\n"}}'],
  },
]);
