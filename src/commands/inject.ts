// meshup inject -f FILE: manual sidecar injection (istioctl kube-inject) with the cluster's own
// injector configuration, for manifests applied outside an injection-enabled namespace.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { getObject, type KubeObject } from '../tools/kubectl.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { text } from 'node:stream/consumers';
import type { App } from '../cli/app.js';
import { ConfigError, MeshupError, UsageError } from '../errors.js';
import { parseYaml } from '../config/load.js';
import { acquireIstio } from '../istio/acquire.js';
import { readAppliedSpec } from '../state/record.js';
import { writeFileAtomic } from '../util/fs.js';
import { z } from 'zod';
import { openTarget } from './target.js';
import { LineCounter, parseAllDocuments } from 'yaml';

interface InjectFlags {
  filename?: string;
  output?: string;
}

/** Every document must parse and be a Kubernetes object; problems come back as file:line:col. */
export function checkManifest(source: string, file: string): number {
  const lc = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lc });
  let objects = 0;
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = lc.linePos(e.pos[0]);
      throw new ConfigError(`Invalid manifest ${file}`, { details: [`${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]}`], fix: 'Fix the YAML, then run the command again' });
    }
    if (doc.contents === null) continue;
    parseYaml(String(doc), file, z.object({ apiVersion: z.string(), kind: z.string() }).passthrough(), 'manifest');
    objects++;
  }
  if (!objects) throw new ConfigError(`${file} holds no Kubernetes objects`, { fix: 'Pass a manifest with Deployments, Pods, StatefulSets, ...' });
  return objects;
}

export async function inject(app: App): Promise<void> {
  const f = app.flags as InjectFlags;
  if (!f.filename) throw new UsageError('Name the manifest with -f FILE (or -f - for stdin)');
  const file = f.filename === '-' ? '<stdin>' : isAbsolute(f.filename) ? f.filename : resolve(app.io.cwd, f.filename);
  let source: string;
  try {
    source = f.filename === '-' ? await text(app.io.stdin) : await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  checkManifest(source, file);

  const { runner, spec: o } = await openTarget(app);
  const applied = await readAppliedSpec(runner);
  await acquireIstio(runner, { version: applied?.istioVersion ?? o.istioVersion, istioDir: o.istioDir, mirror: o.istioMirror, progress: (t) => app.out.log(t) });
  // The injector's settings come from the cluster's ConfigMaps and go to istioctl as files, so
  // it never has to reach istiod's webhook (a dead istiod would otherwise fail this, #21147).
  const [injector, mesh] = await Promise.all([
    getObject<KubeObject & { data?: Record<string, string> }>(runner, 'configmap', 'istio-sidecar-injector', ISTIO_NAMESPACE),
    getObject<KubeObject & { data?: Record<string, string> }>(runner, 'configmap', 'istio', ISTIO_NAMESPACE),
  ]);
  if (!injector?.data?.config || !injector.data.values || !mesh?.data?.mesh) {
    throw new MeshupError('This cluster has no Istio sidecar injector configuration (istio-system/istio-sidecar-injector, istio-system/istio)', {
      fix: 'Install the mesh first: meshup up',
    });
  }
  const tmp = await mkdtemp(join(tmpdir(), 'meshup-inject-'));
  let r;
  try {
    await Promise.all([
      writeFile(join(tmp, 'inject.yaml'), injector.data.config),
      writeFile(join(tmp, 'values.json'), injector.data.values),
      writeFile(join(tmp, 'mesh.yaml'), mesh.data.mesh),
    ]);
    r = await runner.run({
    readOnly: true,
      tool: 'istioctl',
      args: ['kube-inject', '-f', '-', '--injectConfigFile', join(tmp, 'inject.yaml'), '--valuesFile', join(tmp, 'values.json'), '--meshConfigFile', join(tmp, 'mesh.yaml')],
      input: source,
      step: 'Injecting sidecars',
      timeoutMs: 60_000,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (f.output) {
    const out = isAbsolute(f.output) ? f.output : resolve(app.io.cwd, f.output);
    await writeFileAtomic(out, r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
    app.out.log(`Wrote ${out}`);
  } else {
    app.io.stdout.write(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
  }
}
