// meshup inject -f FILE: manual sidecar injection (istioctl kube-inject) with the cluster's own
// injector configuration, for manifests applied outside an injection-enabled namespace.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { decodeText, notRegular, readTextFile, toJS } from '../config/load.js';
import { usableTempDir } from '../config/paths.js';
import { ConfigError, MeshupError, UsageError } from '../errors.js';
import { acquireIstio } from '../istio/acquire.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import type { App } from '../session/app.js';
import { openTarget } from '../session/target.js';
import { readAppliedSpec } from '../state/record.js';
import { getObject } from '../tools/kubectl.js';
import { writeFileAtomic } from '../util/fs.js';
import { describeValue, excerpt, excerptPath } from '../util/text.js';
import { TOO_DEEP, tooDeep } from '../util/yaml.js';

/** The injector's settings: the default revision's ConfigMap, or a named revision's. */
const injectorConfigMap = (revision?: string) => (revision ? `istio-sidecar-injector-${revision}` : 'istio-sidecar-injector');

interface InjectFlags {
  filename?: string;
  output?: string;
}

/** Manifests can be larger than meshup's own files, but not unboundedly so. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const manifestFix = 'Fix the manifest, then run the command again (kubectl apply --dry-run=client -f FILE checks it too)';
const templateFix = 'This is a Helm template: render the chart with helm template and inject what it prints (-f -)';

/**
 * Helm's own template actions: its built-in objects (.Values, .Release, .Chart, .Capabilities,
 * .Files, .Template) and its functions (include, toYaml, tpl, required). A chart's template can
 * parse as YAML (`name: "{{ .Values.name }}"`), and istioctl would inject it as it is. Go
 * templates that are values of real objects pass: a Prometheus rule's {{ $labels.pod }}, an
 * Alertmanager {{ template "slack.text" . }}, an Argo workflow's {{inputs.parameters.x}}.
 */
const HELM_ACTION = /\{\{-?\s*(?:[^}\n]*?\$?\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|(?:include|toYaml|tpl|required)\s)[^}\n]*\}\}/;

/** The first Helm template action outside a comment line, as file:line:col and the action. */
function helmAction(source: string, shown: string): string | undefined {
  const lines = source.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trimStart().startsWith('#')) continue;
    const m = HELM_ACTION.exec(line);
    if (m) return `${shown}:${i + 1}:${m.index + 1}: ${excerpt(m[0], 80)} is a Helm template action`;
  }
  return undefined;
}
const notManifestFix =
  'Pass Kubernetes objects (Deployments, Pods, ...), as kubectl apply -f takes them: render a Helm chart with helm template, or a kustomization with kubectl kustomize, and inject what that prints (-f -)';

/**
 * What a document that is not a Kubernetes object is, if it is plainly another kind of YAML:
 * a map with neither kind nor metadata (a Helm chart's Chart.yaml or values, an OpenAPI
 * document, a tool's settings), or a kustomization, which has both apiVersion and kind.
 * istioctl kube-inject passes such documents through untouched and kubectl apply refuses them.
 */
function otherYaml(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  if (typeof value.apiVersion === 'string' && value.apiVersion.startsWith('kustomize.config.k8s.io/')) {
    return `a kustomization (${excerpt(String(value.kind ?? 'no kind'), 40)}) is kubectl kustomize's input, not a Kubernetes object`;
  }
  if (!('kind' in value) && !('metadata' in value)) {
    const shown = excerpt(keys.slice(0, 6).join(', '), 120) + (keys.length > 6 ? ', ...' : '');
    return `not a Kubernetes object: no kind and no metadata${keys.length ? ` (its keys: ${shown})` : ''}`;
  }
  return undefined;
}

/**
 * Every document must parse and be a Kubernetes object; empty documents (a trailing `---`,
 * `---` twice, a document of comments only) are skipped as kubectl and istioctl skip them.
 * Problems come back as file:line:col of the whole file; a file none of whose documents is a
 * Kubernetes object (a Helm values file, a kustomization) is named as not a manifest at all.
 * Returns the number of objects.
 */
export function checkManifest(source: string, file: string): number {
  const shown = excerptPath(file);
  const action = helmAction(source, shown);
  if (action) throw new ConfigError(`${shown} is a Helm chart template, not a Kubernetes manifest`, { details: [action], fix: templateFix });
  const deep = tooDeep(source);
  if (deep) throw new ConfigError(`Invalid manifest ${shown}`, { details: [`${shown}:${deep.line}:${deep.col}: ${TOO_DEEP}`], fix: manifestFix });
  const lc = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lc, prettyErrors: false });
  const problems: string[] = [];
  let objects = 0;
  let others = 0;
  let broken = 0;
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = lc.linePos(e.pos[0]);
      problems.push(`${shown}:${pos.line}:${pos.col}: ${excerpt(e.message.split('\n')[0]!, 160)}`);
      broken++;
      continue;
    }
    const value = toJS(doc, lc, shown, (problem) => new ConfigError(`Invalid manifest ${shown}`, { details: [problem], fix: manifestFix }));
    if (value === null || value === undefined) continue;
    const contents = doc.contents as { range?: [number, number, number] } | null;
    const at = lc.linePos(contents?.range?.[0] ?? 0);
    const where = `${shown}:${at.line}:${at.col}`;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${where}: expected a Kubernetes object (a map with apiVersion and kind), found ${describeValue(value)}`);
      others++;
      continue;
    }
    const other = otherYaml(value as Record<string, unknown>);
    if (other) {
      problems.push(`${where}: ${other}`);
      others++;
      continue;
    }
    for (const key of ['apiVersion', 'kind']) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) problems.push(`${where}: ${key}: is required`);
      else if (typeof v !== 'string' || v === '') problems.push(`${where}: ${key}: expected a non-empty string, found ${describeValue(v)}`);
    }
    objects++;
    if (problems.length >= 20) break;
  }
  if (others && !objects && !broken) throw new ConfigError(`${shown} is not a Kubernetes manifest`, { details: problems, fix: notManifestFix });
  if (problems.length) {
    // A chart's template ({{ ... }}) is no YAML until Helm renders it.
    const template = broken && /\{\{.*\}\}/.test(source);
    throw new ConfigError(`Invalid manifest ${shown}`, {
      details: problems,
      fix: template ? [templateFix, manifestFix] : manifestFix,
    });
  }
  if (!objects) throw new ConfigError(`${shown} holds no Kubernetes objects`, { fix: 'Pass a manifest with Deployments, Pods, StatefulSets, ...' });
  return objects;
}

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > MAX_MANIFEST_BYTES)
      throw new ConfigError(`Cannot read manifest <stdin>: it is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB`, {
        fix: 'Split the manifest and inject the parts',
      });
    chunks.push(b);
  }
  return decodeText(Buffer.concat(chunks), '<stdin>', 'manifest');
}

/** The -o target, checked before anything else happens: a file in an existing, writable directory. */
async function checkOutput(out: string): Promise<void> {
  const shown = excerptPath(out);
  const bad = (problem: string, fix: string) => new UsageError(`Cannot write -o ${shown}: ${problem}`, { fix });
  const st = await stat(out).catch(() => undefined);
  if (st?.isDirectory()) throw bad('it is a directory', `Name a file, e.g. -o ${excerptPath(join(out, 'injected.yaml'))}`);
  const irregular = st && !st.isDirectory() ? notRegular(st) : undefined;
  if (irregular) throw bad(irregular, 'Name a regular file, or leave out -o to print to stdout');
  const dir = dirname(out);
  const dst = await stat(dir).catch(() => undefined);
  if (!dst?.isDirectory()) throw bad('its directory does not exist', `Create ${excerptPath(dir)} first, or pick another path`);
  // Root passes every access() check, so try the real thing: create and remove a scratch file.
  const probe = join(dir, `.meshup-probe-${process.pid}-${Date.now()}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bad(
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : `files cannot be created there (${code ?? 'error'})`,
      'Pick a path in a directory you can write to',
    );
  }
  await rm(probe, { force: true });
}

export async function inject(app: App): Promise<void> {
  const f = app.flags as InjectFlags;
  if (!f.filename) throw new UsageError('Name the manifest with -f FILE (or -f - for stdin)', { fix: 'meshup inject -f app.yaml' });
  const file = f.filename === '-' ? '<stdin>' : isAbsolute(f.filename) ? f.filename : resolve(app.io.cwd, f.filename);
  const output = f.output === undefined ? undefined : isAbsolute(f.output) ? f.output : resolve(app.io.cwd, f.output);
  if (output !== undefined) await checkOutput(output);
  const source =
    f.filename === '-'
      ? await readStdin(app.io.stdin)
      : await readTextFile(file, 'manifest', MAX_MANIFEST_BYTES, 'pass it on stdin: meshup inject -f - < FILE');
  const objects = checkManifest(source, file);
  // istioctl reads the injector's settings from files meshup writes there.
  const tmpBase = await usableTempDir(app.io.env, "meshup inject writes the cluster's injector settings there for istioctl");

  const { runner, spec: o } = await openTarget(app);
  const applied = await readAppliedSpec(runner);
  const release = await acquireIstio(runner, {
    version: applied?.istioVersion ?? o.istioVersion,
    istioDir: o.istioDir,
    mirror: o.istioMirror,
    progress: (t) => app.out.log(t),
  });
  // The injector's settings come from the cluster's ConfigMaps and go to istioctl as files, so
  // it never has to reach istiod's webhook (a dead istiod would otherwise fail this, #21147).
  const [injector, mesh] = await Promise.all([
    getObject<KubeObject & { data?: Record<string, string> }>(runner, 'configmap', injectorConfigMap(applied?.istioRevision), ISTIO_NAMESPACE),
    getObject<KubeObject & { data?: Record<string, string> }>(
      runner,
      'configmap',
      applied?.istioRevision ? `istio-${applied.istioRevision}` : 'istio',
      ISTIO_NAMESPACE,
    ),
  ]);
  if (!injector?.data?.config || !injector.data.values || !mesh?.data?.mesh) {
    throw new MeshupError(
      `This cluster has no Istio sidecar injector configuration (istio-system/${injectorConfigMap(applied?.istioRevision)}, istio-system/istio)`,
      {
        fix: 'Install the mesh first: meshup up',
      },
    );
  }
  const tmp = await mkdtemp(join(tmpBase, 'meshup-inject-'));
  let r: Awaited<ReturnType<typeof runner.run>>;
  try {
    await Promise.all([
      writeFile(join(tmp, 'inject.yaml'), injector.data.config),
      writeFile(join(tmp, 'values.json'), injector.data.values),
      writeFile(join(tmp, 'mesh.yaml'), mesh.data.mesh),
    ]);
    r = await runner.run({
      readOnly: true,
      tool: 'istioctl',
      bin: release.istioctl.bin,
      // --revision: the ConfigMaps above are that revision's (default, unless upgraded). Without it istioctl
      // (1.31) first watches the cluster's webhooks for a default revision tag and waits for that
      // watch to sync, forever when the API server cannot be reached, even with all three files.
      args: [
        'kube-inject',
        '-f',
        '-',
        '--revision',
        applied?.istioRevision ?? 'default',
        '--injectConfigFile',
        join(tmp, 'inject.yaml'),
        '--valuesFile',
        join(tmp, 'values.json'),
        '--meshConfigFile',
        join(tmp, 'mesh.yaml'),
      ],
      input: source,
      step: 'Injecting sidecars',
      timeoutMs: 60_000,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const injected = r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`;
  if (output && app.switches.dryRun) {
    // A dry run writes nothing, not even a file of this machine.
    app.out.log(`Dry run: would write ${output} (${objects} object${objects === 1 ? '' : 's'} with sidecars where they belong); nothing was written.`);
    app.out.result({ output, objects, dryRun: true });
  } else if (output) {
    try {
      await writeFileAtomic(output, injected);
    } catch (e) {
      throw new UsageError(`Cannot write -o ${excerptPath(output)}: ${excerpt((e as Error).message)}`, { fix: 'Pick a path in a directory you can write to' });
    }
    app.out.log(`Wrote ${output}`);
    app.out.result({ output, objects });
  } else if (app.out.json) {
    // A Kubernetes List: one JSON document that kubectl apply -f - takes as it is.
    const items = parseAllDocuments(injected)
      .map((d) => d.toJS() as unknown)
      .filter((v) => v !== null && v !== undefined);
    app.out.result({ apiVersion: 'v1', kind: 'List', items });
  } else {
    app.io.stdout.write(injected);
  }
}
