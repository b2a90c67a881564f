// Istio releases made by the tests and benchmarks: the layout of a real release (bin/istioctl,
// samples/addons/*.yaml), a tarball of it and its .sha256. The addon manifests are small ones
// written for the tests (a CRD, a Deployment, a Service), never upstream's.
// Plain JavaScript so that bench/ can use it without a TypeScript build.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { c as tarCreate } from 'tar';

const FAKES = resolve(import.meta.dirname, '..', 'fakes', 'bin');

export const TEST_ADDONS = {
  prometheus: addonManifest('prometheus', 9090, 'prometheuses.monitoring.test.meshup.dev', 'Prometheus'),
  grafana: addonManifest('grafana', 3000),
  kiali: addonManifest('kiali', 20001, 'monitoringdashboards.monitoring.test.meshup.dev', 'MonitoringDashboard'),
  jaeger: addonManifest('jaeger', 16686).replace(
    /name: jaeger\n {2}namespace: istio-system\nspec:\n {2}selector: \{ app: jaeger \}/,
    'name: tracing\n  namespace: istio-system\nspec:\n  selector: { app: jaeger }',
  ),
};

/** A Deployment and Service, and optionally a CRD with one resource of it (to test ordering). */
/** @param {string} name @param {number} port @param {string} [crd] @param {string} [kind] */
function addonManifest(name, port, crd, kind) {
  const docs = [];
  if (crd && kind) {
    const [plural, ...group] = crd.split('.');
    docs.push(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${crd}
spec:
  group: ${group.join('.')}
  names: { kind: ${kind}, plural: ${plural}, singular: ${kind.toLowerCase()}, listKind: ${kind}List }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }`);
    docs.push(`apiVersion: ${group.join('.')}/v1
kind: ${kind}
metadata:
  name: ${name}-default
  namespace: istio-system
spec: { note: test }`);
  }
  docs.push(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
  namespace: istio-system`);
  docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: istio-system
  labels: { app: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name}, sidecar.istio.io/inject: "false" } }
    spec:
      serviceAccountName: ${name}
      containers:
        - name: ${name}
          image: example.invalid/${name}:test
          ports: [{ containerPort: ${port} }]`);
  docs.push(`apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: istio-system
spec:
  selector: { app: ${name} }
  ports: [{ name: http, port: ${port}, targetPort: ${port} }]`);
  return `${docs.join('\n---\n')}\n`;
}

/** Writes istio-<version>/ with the given istioctl (default: the fake, stamped with the version). */
/**
 * @param {string} root @param {string} version
 * @param {{ istioctl?: string, addons?: Record<string, string> }} [opts]
 * @returns {Promise<{ dir: string, tarball: string, sha256: string, file: string }>}
 */
export async function buildRelease(root, version, opts = {}) {
  const top = `istio-${version}`;
  const dir = join(root, top);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'samples', 'addons'), { recursive: true });
  const bin = join(dir, 'bin', 'istioctl');
  if (opts.istioctl) copyFileSync(opts.istioctl, bin);
  else {
    // The fake istioctl, stamped with the version: served in a sealed world, else its own process.
    const client = join(FAKES, '..', 'client');
    writeFileSync(
      bin,
      `#!/bin/sh\nexport FAKE_ISTIOCTL_VERSION=${version}\nif [ -n "$FAKE_PORT" ]; then FAKE_TOOL=istioctl exec "${client}" "$@"; fi\nexec "${join(FAKES, 'istioctl')}" "$@"\n`,
    );
  }
  chmodSync(bin, 0o755);
  for (const [name, text] of Object.entries(opts.addons ?? TEST_ADDONS)) writeFileSync(join(dir, 'samples', 'addons', `${name}.yaml`), text);
  return packRelease(root, version);
}

/**
 * Packs root/istio-<version>/ as Istio publishes a release: istio-<version>-<os>-<arch>.tar.gz
 * beside it, with one top-level directory, and a .sha256 holding "<hex>  <file>".
 * @param {string} root @param {string} version
 * @returns {Promise<{ dir: string, tarball: string, sha256: string, file: string }>}
 */
export async function packRelease(root, version) {
  const top = `istio-${version}`;
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const file = `istio-${version}-${process.platform === 'darwin' ? 'osx' : 'linux'}-${arch}.tar.gz`;
  const tarball = join(root, file);
  await tarCreate({ gzip: true, file: tarball, cwd: root, portable: true }, [top]);
  const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  writeFileSync(`${tarball}.sha256`, `${sha256}  ${file}\n`);
  return { dir: join(root, top), tarball, sha256, file };
}
