// Gateway API bundles for tests and benchmarks, and a mirror on 127.0.0.1 that serves them the way
// the gateway-api GitHub releases do: /<version>/standard-install.yaml.
//   - smallBundle(): a few small CRDs written here, annotated like the real ones (fake-level tests).
//   - realBundle(): the real standard channel, assembled at run time from the sigs.k8s.io/gateway-api
//     module in the Go module cache (the one the Istio build of test/cluster/istio requires), the way
//     gateway-api's own release script concatenates config/crd/standard/gateway*.yaml. Nothing of it
//     is ever written inside the repository.
// Plain JavaScript so that bench/ can use it without a TypeScript build.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { goModule } from './real-release.mjs';

// A real API server refuses a CRD of a *.k8s.io group without api-approved.kubernetes.io
// (kubernetes/enhancements#1111), so the small bundle carries one as the real bundle does.
const annotations = (version, channel) => `  annotations:
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/0
    gateway.networking.k8s.io/bundle-version: ${version}
    gateway.networking.k8s.io/channel: ${channel}`;

/** @param {string} plural @param {string} kind @param {string} version @param {string} channel @param {'Cluster' | 'Namespaced'} scope */
function crd(plural, kind, version, channel, scope) {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
${annotations(version, channel)}
  name: ${plural}.gateway.networking.k8s.io
spec:
  group: gateway.networking.k8s.io
  names: { kind: ${kind}, listKind: ${kind}List, plural: ${plural}, singular: ${kind.toLowerCase()} }
  scope: ${scope}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }`;
}

/** The CRDs of a small bundle: the three every standard bundle has, and one more. */
export const SMALL_BUNDLE_CRDS = Object.freeze([
  'gatewayclasses.gateway.networking.k8s.io',
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'referencegrants.gateway.networking.k8s.io',
]);

/**
 * A small bundle laid out as a release's standard-install.yaml (a comment header, then `---`
 * separated documents each introduced by a comment), valid for a real API server too.
 * @param {string} version e.g. v1.6.0
 * @param {{ channel?: string, policy?: boolean, extra?: string[] }} [opts] policy adds the
 *   safe-upgrades admission policy and binding (as releases from v1.5.0 do); extra appends
 *   documents as they are
 * @returns {string}
 */
export function smallBundle(version, opts = {}) {
  const channel = opts.channel ?? 'standard';
  const docs = [
    crd('gatewayclasses', 'GatewayClass', version, channel, 'Cluster'),
    crd('gateways', 'Gateway', version, channel, 'Namespaced'),
    crd('httproutes', 'HTTPRoute', version, channel, 'Namespaced'),
    crd('referencegrants', 'ReferenceGrant', version, channel, 'Namespaced'),
  ];
  if (opts.policy) {
    docs.push(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
${annotations(version, channel)}
  name: safe-upgrades.gateway.networking.k8s.io
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - { apiGroups: [apiextensions.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: ['*'] }
  validations:
    - expression: "true"`);
    docs.push(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
${annotations(version, channel)}
  name: safe-upgrades.gateway.networking.k8s.io
spec:
  policyName: safe-upgrades.gateway.networking.k8s.io
  validationActions: [Deny]`);
  }
  docs.push(...(opts.extra ?? []));
  return `# A Gateway API bundle written by meshup's tests.\n#\n${docs.map((d, i) => `---\n#\n# document ${i + 1}\n#\n${d}\n`).join('')}`;
}

/**
 * Where the Go module cache holds the sigs.k8s.io/gateway-api module that test/cluster/istio
 * requires, and its version. Read-only: says how to get it when it is not there.
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {{ dir: string, version: string }}
 */
function gatewayApiModule(opts = {}) {
  return goModule(
    'sigs.k8s.io/gateway-api',
    join('config', 'crd', 'standard'),
    'go mod download sigs.k8s.io/gateway-api@VERSION (or bash test/cluster/build)',
    opts,
  );
}

/**
 * The real standard-channel bundle of the module's version, assembled as the release's
 * standard-install.yaml is: every config/crd/standard/gateway*.yaml, in name order, each after a
 * `---` and a comment naming it.
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {{ version: string, text: string, files: string[] }}
 */
export function realBundle(opts = {}) {
  const { dir, version } = gatewayApiModule(opts);
  const standard = join(dir, 'config', 'crd', 'standard');
  const files = readdirSync(standard)
    .filter((f) => f.startsWith('gateway') && f.endsWith('.yaml'))
    .sort();
  const parts = files.map((f) => `---\n#\n# config/crd/standard/${f}\n#\n${readFileSync(join(standard, f), 'utf8')}`);
  return { version, text: `#\n# Gateway API Standard channel install, assembled by meshup's tests\n#\n${parts.join('')}`, files };
}

/** @typedef {'none' | 'missing' | 'truncate' | 'stall'} GatewayApiFault */
/**
 * @typedef {object} GatewayApiMirror
 * @property {string} url what --gateway-api-mirror / MESHUP_GATEWAY_API_MIRROR take
 * @property {string[]} requests paths asked for, in order
 * @property {GatewayApiFault} fault what goes wrong from the next request on
 * @property {Record<string, string>} bundles served bundle text by version; may be changed
 * @property {() => Promise<void>} close
 */

/**
 * Serves bundles by version at /<version>/standard-install.yaml, on 127.0.0.1 only.
 * @param {Record<string, string>} bundles
 * @returns {Promise<GatewayApiMirror>}
 */
export async function serveGatewayApi(bundles) {
  /** @type {GatewayApiMirror} */
  const state = { url: '', requests: [], fault: 'none', bundles: { ...bundles }, close: async () => {} };
  const server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/standard-install\.yaml$/.exec(req.url ?? '');
    const text = m ? state.bundles[m[1]] : undefined;
    if (text === undefined || state.fault === 'missing') {
      res.writeHead(404).end('Not Found');
      return;
    }
    const body = Buffer.from(text);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    if (state.fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
    } else if (state.fault === 'stall') {
      res.write(body.subarray(0, Math.min(1024, body.length - 1))); // and never finish
    } else res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(undefined)));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.close = () =>
    new Promise((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return state;
}

/**
 * The real standard channel of the module (realBundle) served on 127.0.0.1: set
 * MESHUP_GATEWAY_API_MIRROR (or --gateway-api-mirror) to `mirror.url`, and close it when done.
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {Promise<{ mirror: GatewayApiMirror, version: string }>}
 */
export async function serveRealGatewayApi(opts = {}) {
  const real = realBundle(opts);
  return { mirror: await serveGatewayApi({ [real.version]: real.text }), version: real.version };
}
