// Istio releases made by the tests: the layout of a real release (bin/istioctl,
// samples/addons/*.yaml), a tarball of it and its .sha256, served from 127.0.0.1 with faults on
// demand. The addon manifests are small ones written for the tests, never upstream's.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { c as tarCreate } from 'tar';
import { FAKES } from './sealed.js';

export const TEST_ADDONS: Record<string, string> = {
  prometheus: addonManifest('prometheus', 9090, 'prometheuses.monitoring.test.meshup.dev', 'Prometheus'),
  grafana: addonManifest('grafana', 3000),
  kiali: addonManifest('kiali', 20001, 'monitoringdashboards.monitoring.test.meshup.dev', 'MonitoringDashboard'),
  jaeger: addonManifest('jaeger', 16686).replace(/name: jaeger\n  namespace: istio-system\nspec:\n  selector: \{ app: jaeger \}/, 'name: tracing\n  namespace: istio-system\nspec:\n  selector: { app: jaeger }'),
};

/** A Deployment and Service, and optionally a CRD with one resource of it (to test ordering). */
export function addonManifest(name: string, port: number, crd?: string, kind?: string): string {
  const docs: string[] = [];
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

export interface BuiltRelease {
  dir: string;
  tarball: string;
  sha256: string;
  file: string;
}

/** Writes istio-<version>/ with the given istioctl (default: the fake, stamped with the version). */
export async function buildRelease(root: string, version: string, opts: { istioctl?: string; addons?: Record<string, string> } = {}): Promise<BuiltRelease> {
  const top = `istio-${version}`;
  const dir = join(root, top);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'samples', 'addons'), { recursive: true });
  const bin = join(dir, 'bin', 'istioctl');
  if (opts.istioctl) copyFileSync(opts.istioctl, bin);
  else writeFileSync(bin, `#!/bin/sh\nFAKE_ISTIOCTL_VERSION=${version} exec "${join(FAKES, 'istioctl')}" "$@"\n`);
  chmodSync(bin, 0o755);
  for (const [name, text] of Object.entries(opts.addons ?? TEST_ADDONS)) writeFileSync(join(dir, 'samples', 'addons', `${name}.yaml`), text);
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const file = `istio-${version}-${process.platform === 'darwin' ? 'osx' : 'linux'}-${arch}.tar.gz`;
  const tarball = join(root, file);
  await tarCreate({ gzip: true, file: tarball, cwd: root, portable: true }, [top]);
  const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  writeFileSync(`${tarball}.sha256`, `${sha256}  ${file}\n`);
  return { dir, tarball, sha256, file };
}

export type Fault = 'none' | 'bad-checksum' | 'truncate' | 'missing' | 'stall';

export interface ReleaseServer {
  url: string;
  requests: string[];
  fault: Fault;
  close(): Promise<void>;
}

/** Serves <version>/<file> from the releases given, on 127.0.0.1 only. */
export async function serveReleases(releases: Record<string, BuiltRelease>): Promise<ReleaseServer> {
  const state: ReleaseServer = { url: '', requests: [], fault: 'none', close: async () => {} };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    const rel = m ? releases[m[1]!] : undefined;
    if (!m || !rel || state.fault === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    if (m[2] === `${rel.file}.sha256`) {
      const sum = state.fault === 'bad-checksum' ? '0'.repeat(64) : rel.sha256;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sum}  ${rel.file}\n`);
      return;
    }
    if (m[2] !== rel.file) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(rel.tarball);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) });
    if (state.fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
    } else if (state.fault === 'stall') {
      res.write(body.subarray(0, 1024)); // and never finish: the client must give up or be stopped
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
