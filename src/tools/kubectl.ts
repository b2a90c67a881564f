// kubectl: every cluster read and write meshup makes. Context pinning is the runner's job.

import { home } from '../config/paths.js';
import { CommandFailedError, InterruptedError, MeshupError } from '../errors.js';
import { readKubeconfigs } from '../exec/kube-endpoint.js';
import type { Runner } from '../exec/runner.js';
import { deploymentRollout, type KubeList, type KubeObject, type NodeInfo, parseNodes } from '../kube/objects.js';
import { anySignal, sleep } from '../util/time.js';
import { toYamlStream, yamlStream } from '../util/yaml.js';
import {
  type ApiKind,
  applyDirect,
  BUILTIN,
  builtinKind,
  type DryRunAnswer,
  dryRunApplyDirect,
  getDirect,
  knownKind,
  listDirect,
  servedResourcesDirect,
} from './kubeapi.js';
import { applyArgs, FIELD_MANAGER } from './kubectl-args.js';

/** Whether kubectl's configuration names `context`, read from the files kubectl reads (those of
 * KUBECONFIG, else ~/.kube/config); undefined when one of them cannot be read or parsed. No
 * process is started: a run that finds no such context need not ask the cluster anything yet. */
export function kubeconfigHasContext(env: NodeJS.ProcessEnv, context: string): boolean | undefined {
  return readKubeconfigs(env, home(env))?.some(({ doc }) => doc.contexts?.some((c) => c?.name === context));
}

export interface KubeContextInfo {
  name: string;
  cluster: string;
  server: string;
}

export interface KubeconfigView {
  current?: string;
  contexts: KubeContextInfo[];
}

export function parseKubeconfigView(stdout: string): KubeconfigView {
  const cfg = JSON.parse(stdout || '{}') as {
    'current-context'?: string;
    contexts?: { name: string; context?: { cluster?: string } }[];
    clusters?: { name: string; cluster?: { server?: string } }[];
  };
  const servers = new Map((cfg.clusters ?? []).map((c) => [c.name, c.cluster?.server ?? '']));
  return {
    current: cfg['current-context'] || undefined,
    contexts: (cfg.contexts ?? []).map((c) => ({
      name: c.name,
      cluster: c.context?.cluster ?? '',
      server: servers.get(c.context?.cluster ?? '') ?? '',
    })),
  };
}

export async function kubeconfigView(runner: Runner): Promise<KubeconfigView> {
  const r = await runner.run({ readOnly: true, tool: 'kubectl', args: ['config', 'view', '-o', 'json'], noContext: true, timeoutMs: 15_000 });
  return parseKubeconfigView(r.stdout);
}

/** The CA the runner's context trusts its API server with (base64, as kubeconfigs hold it), or
 * undefined when it names none (a CA file, or none at all). */
export async function kubeconfigCa(runner: Runner): Promise<string | undefined> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: [
      'config',
      'view',
      '--raw',
      '--minify',
      '--flatten',
      '--context',
      runner.context ?? '',
      '-o',
      'jsonpath={.clusters[0].cluster.certificate-authority-data}',
    ],
    noContext: true,
    timeoutMs: 15_000,
  });
  return r.stdout.trim() || undefined;
}

/** kubectl's word that the API server serves no such kind (its CRD is not installed). */
export const isUnservedKind = (e: unknown): boolean => e instanceof MeshupError && /doesn't have a resource type/.test([e.message, ...e.details].join('\n'));

export async function getJson<T>(runner: Runner, args: string[], step?: string, timeoutMs = 30_000): Promise<T | undefined> {
  const r = await runner.run({ readOnly: true, tool: 'kubectl', args: [...args, '-o', 'json'], step, timeoutMs });
  return r.stdout.trim() ? (JSON.parse(r.stdout) as T) : undefined;
}

export async function getNodes(runner: Runner, timeoutMs = 30_000): Promise<NodeInfo[]> {
  const direct = await listDirect(runner, [BUILTIN.nodes], {}, 'Reading nodes', timeoutMs);
  const list = direct ? { items: direct } : await getJson<KubeList<KubeObject>>(runner, ['get', 'nodes'], 'Reading nodes', timeoutMs);
  return parseNodes(list ?? { items: [] });
}

export async function serverVersion(runner: Runner): Promise<string> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['version', '-o', 'json'],
    step: 'Asking the API server for its version',
    timeoutMs: 20_000,
  });
  const v = JSON.parse(r.stdout) as { serverVersion?: { gitVersion?: string } };
  return v.serverVersion?.gitVersion ?? '';
}

/** An object, or undefined when it does not exist. */
export async function getObject<T extends KubeObject>(runner: Runner, kind: string, name: string, namespace?: string): Promise<T | undefined> {
  const k = builtinKind(kind);
  if (k && (!k.namespaced || namespace)) {
    const direct = await getDirect<T>(runner, k, name, namespace);
    if (direct !== undefined) return direct ?? undefined;
  }
  // managedFields too, as a direct read has them: they are meshup's evidence of what is its own.
  const args = ['get', kind, name, '--ignore-not-found', '--show-managed-fields'];
  if (namespace) args.push('-n', namespace);
  return getJson<T>(runner, args, `Reading ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
}

export async function listObjects<T extends KubeObject>(
  runner: Runner,
  kind: string,
  opts: { namespace?: string; allNamespaces?: boolean; selector?: string } = {},
): Promise<T[]> {
  // Built-in kinds straight from the API server; without a namespace, kubectl's would be the
  // context's own, which only kubectl knows.
  const kinds = kind.split(',').map(knownKind);
  if (kinds.every((k) => k && (!k.namespaced || opts.namespace || opts.allNamespaces))) {
    const direct = await listDirect(runner, kinds as ApiKind[], { namespace: opts.namespace, selector: opts.selector }, `Listing ${kind}`);
    if (direct) return direct as T[];
  }
  const args = ['get', kind, '--show-managed-fields'];
  if (opts.namespace) args.push('-n', opts.namespace);
  if (opts.allNamespaces) args.push('--all-namespaces');
  if (opts.selector) args.push('-l', opts.selector);
  const list = await getJson<KubeList<T>>(runner, args, `Listing ${kind}`);
  return list?.items ?? [];
}

/** The names of every object of a kind, without their content (a CRD's schema is most of its bytes). */
export async function listNames(runner: Runner, kind: string): Promise<string[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['get', kind, '-o', 'custom-columns=NAME:.metadata.name', '--no-headers'],
    step: `Listing ${kind}`,
    timeoutMs: 30_000,
  });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Each object as meshup's server-side apply would leave it, by a dry run that stores nothing
 * (straight to the API server where the kubeconfig allows, else kubectl's --dry-run=server), in
 * the order given. */
export async function dryRunApply(
  runner: Runner,
  objects: readonly Record<string, unknown>[],
  step: string,
  fieldManager = FIELD_MANAGER,
): Promise<DryRunAnswer[]> {
  const direct = await dryRunApplyDirect(runner, objects, fieldManager, step);
  if (direct) return direct;
  if (!objects.length) return [];
  const ask = async (batch: readonly Record<string, unknown>[]) => {
    const r = await runner.run({
      readOnly: true,
      tool: 'kubectl',
      args: [...applyArgs(fieldManager), '--dry-run=server', '-o', 'json'],
      input: toYamlStream(batch),
      step,
      timeoutMs: 120_000,
    });
    const doc = JSON.parse(r.stdout) as KubeObject | KubeList<KubeObject>;
    return 'items' in doc && Array.isArray(doc.items) ? doc.items : [doc as KubeObject];
  };
  const refusal = (e: unknown) =>
    e instanceof CommandFailedError
      ? e.stderrTail.find((l) => /^Error from server \((Invalid|Forbidden|Conflict|BadRequest|UnsupportedMediaType)\)/.test(l))
      : undefined;
  try {
    return await ask(objects);
  } catch (e) {
    // The API server refused some object: each alone then, so one refusal hides no other answer.
    if (!refusal(e)) throw e;
    const answers: DryRunAnswer[] = [];
    for (const o of objects) {
      answers.push(
        await ask([o]).then(
          ([one]) => one!,
          (err: unknown) => {
            const why = refusal(err);
            if (!why) throw err;
            return { refused: why };
          },
        ),
      );
    }
    return answers;
  }
}

/** The namespaces' names, asked with a short limit (shell completion waits for it); the runner's
 * own context, or kubectl's current one when the runner is bound to none. */
export async function namespaceNames(runner: Runner, timeoutMs: number): Promise<string[]> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['get', 'namespaces', '-o', 'name', `--request-timeout=${Math.ceil(timeoutMs / 1000)}s`],
    noContext: !runner.context,
    timeoutMs,
  });
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('namespace/'))
    .map((l) => l.slice('namespace/'.length));
}

/** Server-side apply, so re-applying an unchanged manifest changes nothing and conflicts are ours.
 * Objects istioctl manages go in under its own field manager (istio/ownership.ts). Sent straight
 * to the API server where the kubeconfig allows (kubeapi.ts applyDirect), else by kubectl, whose
 * command is what the plan and --dry-run show. */
export async function apply(runner: Runner, manifest: string | readonly Record<string, unknown>[], step: string, fieldManager = FIELD_MANAGER): Promise<void> {
  const objects = typeof manifest === 'string' ? manifestObjects(manifest) : manifest;
  if (objects && (await applyDirect(runner, objects, fieldManager, step))) return;
  await runner.run({
    tool: 'kubectl',
    args: applyArgs(fieldManager),
    input: typeof manifest === 'string' ? manifest : toYamlStream(manifest),
    step,
    timeoutMs: 120_000,
  });
}

/** The objects of a manifest meshup wrote, or undefined for anything kubectl should read (a
 * document that does not parse, a List, a value that is not an object). */
function manifestObjects(text: string): Record<string, unknown>[] | undefined {
  const out: Record<string, unknown>[] = [];
  for (const d of yamlStream(text)) {
    if (d.error) return undefined;
    if (d.value === null || d.value === undefined) continue;
    const o = d.value as Record<string, unknown>;
    if (typeof o !== 'object' || Array.isArray(o) || typeof o.kind !== 'string' || o.kind === 'List') return undefined;
    out.push(o);
  }
  return out;
}

export async function deleteObjects(runner: Runner, refs: string[], step: string, namespace?: string): Promise<void> {
  if (!refs.length) return;
  const args = ['delete', ...refs, '--ignore-not-found', '--wait=false'];
  if (namespace) args.push('-n', namespace);
  await runner.run({ tool: 'kubectl', args, step, timeoutMs: 120_000 });
}

/** Sets labels (value) or removes them (null) on one object. */
export async function label(runner: Runner, kind: string, name: string, labels: Record<string, string | null>, namespace?: string): Promise<void> {
  const args = ['label', kind, name, '--overwrite'];
  if (namespace) args.push('-n', namespace);
  for (const [k, v] of Object.entries(labels)) args.push(v === null ? `${k}-` : `${k}=${v}`);
  await runner.run({ tool: 'kubectl', args, step: `Labelling ${kind} ${name}`, timeoutMs: 30_000 });
}

export async function rolloutRestart(runner: Runner, namespace: string, refs: string[]): Promise<void> {
  if (!refs.length) return;
  await runner.run({
    tool: 'kubectl',
    args: ['rollout', 'restart', ...refs, '-n', namespace],
    step: `Restarting workloads in ${namespace}`,
    timeoutMs: 60_000,
  });
}

/** Returns once workloads' rollouts are complete (their updated replicas available), as kubectl
 * judges it. Deployments are read straight from the API server, again every few tenths of a
 * second (a kubectl process for a watch cost more CPU than every read of a rollout on a busy
 * two-core machine); other kinds, and any read that cannot be made directly, go to `kubectl
 * rollout status`, which watches. */
export async function waitForRollout(
  runner: Runner,
  namespace: string,
  refs: string[],
  timeoutS: number,
  opts: { step?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const step = opts.step ?? `Waiting for ${refs.join(', ')} in ${namespace}`;
  const deadline = Date.now() + timeoutS * 1000;
  const names = refs.map((r) => /^deployments?(?:\.apps)?\/(.+)$/.exec(r)?.[1]);
  const signal = anySignal(runner.signal, opts.signal);
  if (names.every(Boolean)) {
    let pending = names as string[];
    let waiting = '';
    // Each Deployment is echoed under --verbose once, not every few tenths of a second.
    const how = `reading ${refs.join(', ')} in ${namespace} until rolled out, as kubectl rollout status judges it`;
    for (let pause = 100, first = true; ; pause = Math.min(pause * 1.5, 500), first = false) {
      if (signal?.aborted) throw new InterruptedError();
      const read = await Promise.all(pending.map((n) => getDirect(runner, BUILTIN.deployments, n, namespace, { echo: first })));
      // Not there, or no answer: kubectl says what is wrong, or waits in its own way.
      if (read.some((d) => !d)) break;
      const states = read.map((d) => deploymentRollout(d!));
      const failed = states.find((x) => x.failed);
      if (failed)
        throw new CommandFailedError(`${step}: ${failed.failed}`, how, [], undefined, {
          fix: `See why: kubectl describe ${refs[0]} -n ${namespace}`,
        });
      pending = pending.filter((_, i) => !states[i]!.done);
      if (!pending.length) return;
      waiting = states.find((x) => x.waiting)?.waiting ?? waiting;
      if (Date.now() >= deadline) {
        throw new CommandFailedError(`${step}: not rolled out after ${timeoutS}s`, how, [waiting], undefined, {
          fix: 'Run it again with --verbose to watch it; a slow machine may need a longer --timeout',
        });
      }
      await sleep(pause, signal);
    }
  }
  const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
  await runner.run({
    tool: 'kubectl',
    args: ['rollout', 'status', ...refs, '-n', namespace, `--timeout=${left}s`],
    readOnly: true,
    step,
    timeoutMs: (left + 30) * 1000,
    signal: opts.signal,
  });
}

/** Returns once the named objects (kind[.group]/name) of a namespace are gone; one already
 * gone counts as deleted. */
export async function waitForDeletion(runner: Runner, namespace: string, refs: string[], timeoutS: number, signal?: AbortSignal): Promise<void> {
  if (!refs.length) return;
  await runner.run({
    tool: 'kubectl',
    args: ['wait', '--for=delete', ...refs, ...(namespace ? ['-n', namespace] : []), `--timeout=${timeoutS}s`],
    readOnly: true,
    step: `Waiting for ${refs.join(', ')} to be deleted`,
    timeoutMs: (timeoutS + 30) * 1000,
    signal,
  });
}

/** `kubectl api-resources -o name`: every resource served, by name. */
async function apiResources(runner: Runner, step: string): Promise<Set<string>> {
  const r = await runner.run({
    readOnly: true,
    tool: 'kubectl',
    args: ['api-resources', '-o', 'name'],
    okExitCodes: [1],
    step,
    timeoutMs: 30_000,
  });
  const served = new Set(r.stdout.split('\n').map((l) => l.trim()));
  if (r.exitCode !== 0 && served.size <= 1) {
    throw new MeshupError(`${step}: kubectl api-resources failed`, {
      details: r.stderr.trim().split('\n').slice(-5),
      fix: 'Check that the cluster answers: kubectl get --raw /readyz',
    });
  }
  return served;
}

/** Returns once the API server serves the named CRDs (`crd/NAME` refs). Its discovery lists a
 * CRD's resources only once the CRD is Established (apiextensions-apiserver DiscoveryController),
 * which is when kubectl and istiod can use it; one discovery request reads that (straight from
 * the API server where the kubeconfig allows, else `kubectl api-resources`), where `kubectl
 * wait` fetches every CRD whole (a megabyte of schemas for the Gateway API's) while a new
 * cluster's API server is at its busiest. Asked again, more slowly each time, until the time is
 * up. kubectl exits 1 with what it could read when some other API group does not answer (an
 * aggregated API that is down): that list still says whether these are served. */
export async function waitForCrdsEstablished(runner: Runner, crds: string[], step: string, timeoutS = 60): Promise<void> {
  const want = crds.map((c) => c.replace(/^crd\//, ''));
  const deadline = Date.now() + timeoutS * 1000;
  for (let pause = 100; ; pause = Math.min(pause * 2, 1000)) {
    const served = (await servedResourcesDirect(runner, step)) ?? (await apiResources(runner, step));
    const missing = want.filter((n) => !served.has(n));
    if (!missing.length) return;
    if (Date.now() >= deadline) {
      throw new MeshupError(`${step}: ${missing.join(', ')} not served after ${timeoutS}s`, {
        fix: `See why: kubectl get crd ${missing[0]} -o jsonpath='{.status.conditions}'`,
      });
    }
    await sleep(pause, runner.signal);
  }
}
