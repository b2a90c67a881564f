// The registry containers' steps: run or start them, point the nodes at them, fill the caches.
import { MeshupError } from '../errors.js';
import type { Action } from '../plan/types.js';
import { connectNetwork, runRegistry, startContainer, writeContainerFile } from '../tools/docker.js';
import { apply } from '../tools/kubectl.js';
import { httpGet } from '../util/http.js';
import type { Note, StepContext } from './types.js';

export async function startRegistries(x: StepContext, a: Action): Promise<Note> {
  if (a.op.type !== 'registries') return undefined;
  const { runner } = x.input;
  try {
    const names = [...a.op.run.map((c) => c.name), ...a.op.start];
    const all = await Promise.allSettled([...a.op.run.map((c) => runRegistry(runner, c)), ...a.op.start.map((n) => startContainer(runner, n))]);
    const failed = all.flatMap((r, i) => (r.status === 'rejected' ? [[names[i]!, r.reason as unknown] as const] : []));
    if (failed.length) {
      const ok = names.filter((n) => !failed.some(([f]) => f === n));
      const first = failed[0]![1];
      throw new MeshupError(`Could not start ${failed.map(([n]) => n).join(', ')}${ok.length ? ` (${ok.join(', ')} did start, and stay)` : ''}`, {
        details: first instanceof MeshupError ? [first.message, ...first.details] : [String(first)],
        fix: first instanceof MeshupError && first.fix.length ? first.fix : 'Run meshup up again once the cause is fixed; meshup cache status shows what runs',
      });
    }
  } finally {
    // The prefetch waits on the caches answering, not on this step having succeeded.
    x.gates.open('registries-up');
  }
  return a.op.run.length ? `ran ${a.op.run.map((c) => c.name).join(', ')}` : `started ${a.op.start.join(', ')}`;
}

export async function wireRegistries(x: StepContext, a: Action): Promise<Note> {
  if (a.op.type !== 'registry-wiring') return undefined;
  const { runner, provider, spec } = x.input;
  const { network, connect, files, hosting } = a.op;
  try {
    if (network) for (const name of connect) await connectNetwork(runner, network, name);
    const all = files.some((f) => f.node === '*') ? ((await provider.registryWiring?.nodes?.(runner, spec)) ?? []) : [];
    const writes = files.flatMap((f) => (f.node === '*' ? all.map((node) => ({ ...f, node })) : [f]));
    await Promise.all(writes.map((f) => writeContainerFile(runner, f.node, f.path, f.content)));
    if (hosting) await apply(runner, [hosting], 'Announcing the local registry');
    return writes.length ? `${writes.length} mirror files in ${new Set(writes.map((w) => w.node)).size} nodes` : undefined;
  } finally {
    x.gates.open('nodes-wired');
  }
}

const mib = (n: number) => `${Math.round(n / 1024 / 102.4) / 10} MiB`;

/** Best effort: the nodes pull through the caches (or from upstream) whatever happens here, so a
 * prefetch that cannot finish is said, not a failure of the run. */
export async function prefetchImages(x: StepContext, a: Action, installing: boolean, addons: readonly string[]): Promise<Note> {
  if (a.op.type !== 'prefetch') return undefined;
  const caches = a.op.caches;
  const { prefetchImages: pull } = await import('../images/prefetch.js');
  try {
    x.progress('waiting for the Istio release to list the images');
    const images = await x.resources.images(installing, addons);
    const through = images.filter((i) => caches[i.registry]).map((i) => i.image);
    await Promise.all([...new Set(Object.values(caches))].map((base) => answering(base, x.signal)));
    let last = 0;
    const r = await pull(through, {
      cacheFor: (registry) => caches[registry],
      signal: x.signal,
      progress: (bytes) => {
        if (Date.now() - last < 250) return;
        last = Date.now();
        x.progress(`${mib(bytes)} received`);
      },
    });
    return `${r.cached.length} images (${mib(r.bytes)}) in the caches${images.length > through.length ? `; ${images.length - through.length} pulled by the nodes from their registries` : ''}`;
  } catch (e) {
    if (x.input.runner.signal?.aborted) throw e;
    return `not filled (${e instanceof Error ? e.message : String(e)}): the nodes pull through the caches as they go`;
  }
}

/** A registry container answers its API a moment after it starts. */
async function answering(base: string, signal: AbortSignal, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await httpGet(`${base}/v2/`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
      res.cancel();
      if (res.status < 500) return;
    } catch {
      if (signal.aborted) throw new MeshupError('stopped');
    }
    if (Date.now() > until) throw new MeshupError(`${base} did not answer within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
