// Real input: every manifest under samples/ of the Istio module test/cluster/istio/go.mod pins
// (read from the Go module cache at run time, never committed) goes through `meshup inject -f`
// and through `istioctl kube-inject` run directly, with the same injector ConfigMaps as files.
// Both must give the same documents, hence the same sidecars; where istioctl refuses a file,
// meshup must refuse it too, as a clear error rather than "failed unexpectedly". YAML files in
// samples/ that are not Kubernetes manifests at all (six in Istio 1.31: a Helm chart's Chart.yaml
// and values.yaml, the bookinfo OpenAPI document, three SPIRE values files) istioctl passes
// through untouched, which injects nothing and leaves kubectl apply to refuse them later; meshup
// refuses them at once, exit 2, saying the file "is not a Kubernetes manifest" and why at
// file:line:col ("not a Kubernetes object: no kind and no metadata (its keys: ...)"), with what
// to do instead (helm template, kubectl kustomize). test/unit/inject.test.ts has small cases.
//
// No cluster: istioctl's ConfigMaps come from `istioctl manifest generate` (offline, the charts
// are in the binary). meshup reads them through the fake kubectl, and runs the real istioctl.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runInProcess } from '../helpers/inprocess.js';
import { ROOT, type Sealed, sealed } from '../helpers/sealed.js';
import { simBinDir } from '../helpers/sim-env.mjs';

const istioctl = join(simBinDir(), 'istioctl');

function samplesDir(): string {
  const gomod = readFileSync(join(ROOT, 'test', 'cluster', 'istio', 'go.mod'), 'utf8');
  const version = /^require istio\.io\/istio (\S+)$/m.exec(gomod)?.[1];
  if (!version) throw new Error('test/cluster/istio/go.mod pins no istio.io/istio version');
  const cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return join(cache, `istio.io/istio@${version}`, 'samples');
}

function manifests(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** The objects of a multi-document YAML stream, empty documents left out. */
function objects(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((v) => v !== null && v !== undefined);
}

type Obj = {
  kind?: string;
  spec?: {
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    template?: { spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] } };
  };
};
function sidecars(objs: unknown[]): number {
  let n = 0;
  for (const o of objs as Obj[]) {
    const spec = o?.kind === 'Pod' ? o.spec : o?.spec?.template?.spec;
    n += [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].filter((c) => c?.name === 'istio-proxy').length;
  }
  return n;
}

let w: Sealed;
let files: { inject: string; mesh: string; values: string };
let samples: string;

beforeAll(() => {
  expect(existsSync(istioctl), `${istioctl} (build it with bash test/cluster/build)`).toBe(true);
  samples = samplesDir();
  expect(existsSync(samples), `${samples} (go mod download in test/cluster/istio)`).toBe(true);

  w = sealed({ tools: ['docker', 'kind', 'minikube', 'kubectl'] });
  symlinkSync(istioctl, join(w.dir, 'bin', 'istioctl'));
  // A kubeconfig naming the context meshup pins, pointing at loopback's discard port: nothing
  // listens, and kube-inject with all three files must not need a cluster anyway.
  writeFileSync(
    w.env.KUBECONFIG!,
    'apiVersion: v1\nkind: Config\ncurrent-context: kind-meshup\nclusters: [{ name: kind-meshup, cluster: { server: "https://127.0.0.1:9" } }]\ncontexts: [{ name: kind-meshup, context: { cluster: kind-meshup, user: u } }]\nusers: [{ name: u, user: { token: x } }]\n',
  );

  // The injector's ConfigMaps as an install of the default profile would create them.
  const generated = execFileSync(istioctl, ['manifest', 'generate'], { encoding: 'utf8', env: w.env, maxBuffer: 256 * 1024 * 1024 });
  const cms = objects(generated).filter((o) => (o as { kind?: string }).kind === 'ConfigMap') as { metadata: { name: string }; data: Record<string, string> }[];
  const injector = cms.find((c) => c.metadata.name === 'istio-sidecar-injector');
  const mesh = cms.find((c) => c.metadata.name === 'istio');
  expect(injector?.data.config && injector.data.values && mesh?.data.mesh).toBeTruthy();
  const cfgDir = join(w.dir, 'injector');
  mkdirSync(cfgDir);
  files = { inject: join(cfgDir, 'inject.yaml'), mesh: join(cfgDir, 'mesh.yaml'), values: join(cfgDir, 'values.json') };
  writeFileSync(files.inject, injector!.data.config!);
  writeFileSync(files.values, injector!.data.values!);
  writeFileSync(files.mesh, mesh!.data.mesh!);
  w.state({
    kind: { clusters: { meshup: { config: '' } } },
    kubeconfig: { current: 'kind-meshup', contexts: [{ name: 'kind-meshup', cluster: 'kind-meshup', server: 'https://127.0.0.1:9', reachable: true }] },
    clusters: { 'kind-meshup': { objects: { 'configmap/istio-system/istio-sidecar-injector': injector, 'configmap/istio-system/istio': mesh } } },
  });
});

afterAll(() => {
  if (w) rmSync(w.dir, { recursive: true, force: true });
});

describe("meshup inject on Istio's own samples/", () => {
  it('gives the same documents and sidecars as istioctl kube-inject, for every manifest', async () => {
    const all = manifests(samples);
    expect(all.length).toBeGreaterThan(50);
    const mismatches: string[] = [];
    let injectedFiles = 0;
    let refused = 0;
    let totalSidecars = 0;
    let withEmptyDocs = 0;
    const notManifests: string[] = [];

    const one = async (file: string) => {
      const name = relative(samples, file);
      const source = readFileSync(file, 'utf8');
      if (parseAllDocuments(source).some((d) => d.toJS() == null)) withEmptyDocs++;
      const docs = parseAllDocuments(source)
        .filter((d) => d.errors.length === 0)
        .map((d) => d.toJS() as unknown);
      const k8s = (v: unknown) =>
        !!v && typeof v === 'object' && typeof (v as { apiVersion?: unknown }).apiVersion === 'string' && typeof (v as { kind?: unknown }).kind === 'string';
      const isManifest = docs.filter((v) => v != null).every(k8s);
      // --revision default on both sides: without it istioctl watches the cluster for a default
      // revision tag first, and with no cluster that watch never syncs (see inject.ts).
      const r = await execa(
        istioctl,
        ['kube-inject', '-f', file, '--revision', 'default', '--injectConfigFile', files.inject, '--meshConfigFile', files.mesh, '--valuesFile', files.values],
        {
          env: w.env,
          extendEnv: false,
          reject: false,
          timeout: 60_000,
        },
      );
      const direct = { status: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
      const ours = await runInProcess(w, ['inject', '-f', file, '--provider', 'kind']);
      if (!isManifest) {
        notManifests.push(name);
        const said =
          /is not a Kubernetes manifest\n\s+\S+:\d+:\d+: (not a Kubernetes object|expected a Kubernetes object|a kustomization)[\s\S]*\nfix: Pass Kubernetes objects/;
        if (ours.exitCode !== 2 || !said.test(ours.stderr)) {
          mismatches.push(`${name}: not a Kubernetes manifest, but meshup did not refuse it as one (exit ${ours.exitCode}): ${ours.stderr.split('\n')[0]}`);
        }
        return;
      }
      if (direct.status !== 0) {
        refused++;
        if (ours.exitCode === 0) mismatches.push(`${name}: istioctl refused it (${direct.stderr.trim().split('\n')[0]}) but meshup injected it`);
        else if (ours.stderr.includes('failed unexpectedly')) mismatches.push(`${name}: meshup failed unexpectedly: ${ours.stderr.split('\n')[0]}`);
        return;
      }
      if (ours.exitCode !== 0) {
        mismatches.push(`${name}: istioctl injected it but meshup exited ${ours.exitCode}: ${ours.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
        return;
      }
      const expected = objects(direct.stdout);
      const got = objects(ours.stdout);
      totalSidecars += sidecars(expected);
      injectedFiles++;
      try {
        expect(got).toEqual(expected);
      } catch {
        mismatches.push(`${name}: documents differ (istioctl ${expected.length}, meshup ${got.length}; sidecars ${sidecars(expected)} vs ${sidecars(got)})`);
      }
    };

    // Two at a time: one per core.
    const queue = [...all];
    await Promise.all(
      [0, 1].map(async () => {
        for (let f = queue.shift(); f; f = queue.shift()) await one(f);
      }),
    );

    console.log(
      `samples: ${all.length} YAML files (${withEmptyDocs} with empty documents): ${injectedFiles} injected identically (${totalSidecars} sidecars), ${refused} refused by both, ${notManifests.length} not Kubernetes manifests (${notManifests.join(', ')})`,
    );
    expect(mismatches).toEqual([]);
    expect(notManifests.length).toBeGreaterThan(0);
    expect(withEmptyDocs).toBeGreaterThan(0);
    expect(totalSidecars).toBeGreaterThan(20);
    expect(injectedFiles).toBeGreaterThan(all.length / 2);
  });
});
