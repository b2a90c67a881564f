// The start of every command that acts on a cluster: the desired spec (every input checked), the
// provider, a checked kube context and a runner bound to it. Then, for commands that plan: one
// round of reads, the spec again with what the cluster recorded as a layer (resolved from the
// sources already read), and the observed state.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { addonRefs, addonVariant, tracingTelemetry } from '../addons/manifest.js';
import { readAddonManifest } from '../addons/read.js';
import type { Addon } from '../config/schema.js';
import type { Answers, Spec } from '../config/spec.js';
import { assertContextAllowed, assertServerLocal, kubeconfigContexts } from '../context/safety.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { bundleObjectsToVerify, cachedBundleObjects, DEFAULT_GATEWAY_API_MIRROR } from '../gatewayapi/bundle.js';
import { GATEWAY_API_GROUP } from '../gatewayapi/crds.js';
import { wantedRegistries } from '../images/registries.js';
import { acquireIstio, releaseCacheDir } from '../istio/acquire.js';
import { modeOf } from '../istio/injection.js';
import { ADDON_LABEL, GATEWAY_API_LABEL, ISTIO_NAMESPACE, istiodName } from '../istio/labels.js';
import { listedOverlays, overlayFiles, overlayHash } from '../istio/overlay.js';
import { asIstioctlInstalls, ISTIOCTL_FIELD_MANAGER } from '../istio/ownership.js';
import { type ImageUse, meshImages } from '../kube/images.js';
import { claimOf } from '../kube/ownership.js';
import { isClusterScoped, refKey, refOf } from '../kube/refs.js';
import { hpaTargets, readDrift, type Wanted } from '../observe/drift.js';
import { type ClusterRead, type Drift, type Expected, evaluate, type Observed } from '../observe/evaluate.js';
import { readCluster } from '../observe/observe.js';
import { addonListed, addonObjectsCached, addonRefsCached, controlPlaneManifestFile, controlPlaneObjects, controlPlaneRefs } from '../observe/refs.js';
import { readRegistries } from '../observe/registries.js';
import { readTrust } from '../observe/trust.js';
import { clusterToolMissing } from '../preflight/checks.js';
import { installedProviders, providerFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { lockContext } from '../state/lock.js';
import { kubeconfigView, listObjects } from '../tools/kubectl.js';
import { FIELD_MANAGER } from '../tools/kubectl-args.js';
import { closest } from '../util/suggest.js';
import { which } from '../util/which.js';
import type { App } from './app.js';
import { resolveSpec } from './spec.js';

export interface Target {
  spec: Spec;
  provider: Provider;
  context: string;
  runner: Runner;
  catalog: Map<string, Addon>;
}

export interface SpecLayers {
  answers?: Answers;
  edits?: { addons?: string[]; namespaces?: string[] };
  /** What another cluster of the same mesh recorded: a member without a record of its own (not
   * made yet, or deleted) is made like the others. */
  sibling?: Observed['recorded'];
}

/** The spec from every source but the cluster: flags, env, config file, profile, last target. */
export async function specOf(app: App, layers: SpecLayers & { recorded?: Observed['recorded'] } = {}): Promise<{ spec: Spec; catalog: Map<string, Addon> }> {
  const [spec, catalog] = await Promise.all([
    resolveSpec(app.sources, {
      flags: app.flags,
      env: app.io.env,
      cwd: app.io.cwd,
      installedProviders: installedProviders(app.io.env),
      member: app.member,
      ...layers,
    }),
    app.sources.catalog(),
  ]);
  return { spec, catalog };
}

export async function openTarget(app: App, layers: SpecLayers = {}): Promise<Target> {
  const { spec, catalog } = await specOf(app, layers);
  const provider = providerFor(spec.provider);
  const context = await contextFor(app.runner(), spec, provider, app.io.cwd);
  // A command that changes the cluster (session/writer.ts) holds its lock from here on: before
  // anything is read for its plan, which another writer's changes would leave stale.
  // The writer is the command's App: the member's own, or the set's (up runs every member).
  await lockContext(app, context);
  if (app.member) await lockContext(app.member.of, context);
  return { spec, provider, context, runner: app.runner().forContext(context), catalog };
}

/** Fixes the context and checks that meshup may use it: allowed by name, or local by its name
 * and by its server's address (read from the kubeconfig files: nothing is sent to it); and that
 * a provider's own tool is there. Both before anything is asked or run. */
async function contextFor(runner: Runner, spec: Spec, provider: Provider, cwd: string): Promise<string> {
  const files = kubeconfigContexts(runner.env, cwd);
  if (provider.creates) {
    const context = provider.context(spec);
    if (spec.context && spec.context !== context && spec.sources.context === 'flag') {
      throw new UsageError(`--context ${spec.context} does not belong to the ${provider.name} cluster "${spec.clusterName}" (its context is ${context})`, {
        fix: `Drop --context, or use --provider existing --context ${spec.context}`,
      });
    }
    // Its context is its tool's to write, but one already there may point anywhere.
    const info = files?.contexts.find((c) => c.name === context);
    if (info) assertServerLocal(info, spec.allowContexts);
    const missing = await clusterToolMissing(runner, provider);
    if (missing) throw missing;
    return context;
  }
  // kubectl's own view when the files do not say (one it parses and this reader cannot).
  let view = files;
  const named = (v: typeof view) => v && (spec.context ?? v.current) && v.contexts.some((c) => c.name === (spec.context ?? v.current));
  if (!named(view)) view = await kubeconfigView(runner);
  const name = spec.context ?? view!.current;
  if (!name) {
    throw new UsageError('No kube context to use: none given and no current-context is set', {
      fix: 'Create a cluster with meshup up --provider kind (or minikube), or name a context with --context NAME (kubectl config get-contexts lists them)',
    });
  }
  const contexts = view!.contexts;
  const info = contexts.find((c) => c.name === name);
  if (!info) {
    const near = closest(
      name,
      contexts.map((c) => c.name),
    );
    throw new UsageError(`Kube context "${name}" does not exist`, {
      details: [`contexts: ${contexts.map((c) => c.name).join(', ') || 'none'}`],
      fix: near ? `Did you mean --context ${near}?` : 'Create a cluster with meshup up, or list contexts with: kubectl config get-contexts',
    });
  }
  assertContextAllowed(info, spec.allowContexts);
  return name;
}

/** The refs meshup can know without a download: cached lists, or a release already on disk. */
async function expectedFor(target: Target, spec: Spec, read: ClusterRead): Promise<Expected> {
  const { runner } = target;
  const expected: Expected = { addons: new Map(), revision: spec.revision };
  const dir = spec.istioDir ?? releaseCacheDir(runner.env, spec.istioVersion);
  const onDisk = existsSync(join(dir, 'bin', 'istioctl'));
  const istioPresent = read.items.some((o) => o.kind === 'Deployment' && o.metadata.name === istiodName(spec.revision));
  const gatewayApiVersion = spec.gatewayApi ? spec.release?.gatewayApi.version : undefined;
  // Gateway API CRDs meshup marked are checked CRD by CRD against the bundle, fetched when the
  // cache lacks it: an empty cache must not read as "nothing expected".
  const marked = read.items.some(
    (o) => o.kind === 'CustomResourceDefinition' && o.metadata.name.endsWith(`.${GATEWAY_API_GROUP}`) && o.metadata.labels?.[GATEWAY_API_LABEL],
  );
  const bundle = (version: string) =>
    marked
      ? bundleObjectsToVerify(runner.env, {
          version,
          mirror: spec.gatewayApiMirror ?? DEFAULT_GATEWAY_API_MIRROR,
          signal: runner.signal,
          cache: !runner.dryRun,
        })
      : cachedBundleObjects(runner.env, version).then((objects) => ({ objects, why: undefined }));
  const [gatewayApi, cp, ...addons] = await Promise.all([
    gatewayApiVersion ? bundle(gatewayApiVersion) : Promise.resolve(undefined),
    istioPresent ? controlPlaneRefsIfPossible(runner, spec, target.provider, onDisk ? join(dir, 'bin', 'istioctl') : undefined) : Promise.resolve(undefined),
    // The wanted addons, and the recorded ones (a removal deletes the kinds their manifest names).
    ...[...new Set([...spec.addons, ...(read.recorded?.addons ?? [])])]
      .filter((n) => target.catalog.has(n))
      .map(async (name) => {
        const a = target.catalog.get(name)!;
        const onDiskManifest = existsSync(join(dir, a.manifest));
        const make = onDiskManifest ? async () => addonRefs(await readAddonManifest(dir, a, spec.istioVersion, spec.addons)) : undefined;
        const refs = await addonRefsCached(runner.env, spec.istioVersion, addonVariant(a, spec.addons), make).catch(() => undefined);
        return [name, refs] as const;
      }),
  ]);
  expected.controlPlane = cp;
  expected.gatewayApi = gatewayApi?.objects;
  expected.gatewayApiUnverified = gatewayApi?.why;
  expected.controlPlaneManifest = !!cp && existsSync(controlPlaneManifestFile(runner.env, spec.istioVersion, overlayHash(overlayFiles(spec, target.provider))));
  for (const [name, refs] of addons) if (refs) expected.addons.set(name, refs);
  return expected;
}

/** The images of the wanted mesh, from the objects cached when they were last rendered or read;
 * undefined when any part is not cached (`meshup images` renders them). */
async function knownImages(target: Target, spec: Spec): Promise<ImageUse[] | undefined> {
  const { runner, catalog, provider } = target;
  const [controlPlane, ...addons] = await Promise.all([
    controlPlaneObjects(runner.env, spec.istioVersion, overlayHash(overlayFiles(spec, provider))),
    ...spec.addons.map((n) => addonObjectsCached(runner.env, spec.istioVersion, addonVariant(catalog.get(n)!, spec.addons), undefined)),
  ]);
  if (!controlPlane || addons.some((a) => !a)) return undefined;
  return meshImages([...controlPlane, ...addons.flatMap((a) => a ?? [])], spec.dataplane === 'sidecar' ? spec.namespaces : []);
}

/** What each object meshup applied holds that its apply would change: the control plane's (as
 * istioctl installs them), the wanted addons' and the tracing Telemetry, from the objects cached
 * when they were rendered or read; a part whose objects are not at hand is not compared. */
async function driftOf(target: Target, spec: Spec, read: ClusterRead, observed: Observed): Promise<Drift> {
  const { runner, catalog, provider } = target;
  const hash = overlayHash(overlayFiles(spec, provider));
  const dir = spec.istioDir ?? releaseCacheDir(runner.env, spec.istioVersion);
  const sameIstio = !observed.recorded || observed.recorded.istioVersion === spec.istioVersion;
  const [controlPlane, ...addons] = await Promise.all([
    observed.istio.present && sameIstio ? controlPlaneObjects(runner.env, spec.istioVersion, hash) : Promise.resolve(undefined),
    ...spec.addons.map(async (name) => {
      const a = catalog.get(name)!;
      if (!observed.addons[name]?.ours || !sameIstio) return [name, undefined] as const;
      const make = existsSync(join(dir, a.manifest))
        ? async () => {
            const m = await readAddonManifest(dir, a, spec.istioVersion, spec.addons);
            return [...m.crds, ...m.objects];
          }
        : undefined;
      return [name, await addonObjectsCached(runner.env, spec.istioVersion, addonVariant(a, spec.addons), make).catch(() => undefined)] as const;
    }),
  ]);
  const part = new Map<string, string>();
  const wanted: Wanted[] = [];
  const want = (o: Record<string, unknown>, fieldManager: string, of: string) => {
    // CRDs are compared by name only (observe.ts reads them so): their schemas are the bulk of a read.
    if (o.kind === 'CustomResourceDefinition') return;
    wanted.push({ object: o, fieldManager });
    part.set(refKey(refOf(o, ISTIO_NAMESPACE, isClusterScoped)), of);
  };
  for (const o of controlPlane ?? []) want(asIstioctlInstalls(withNamespace(o), spec.istioVersion, spec.revision), ISTIOCTL_FIELD_MANAGER, 'istio');
  for (const [name, objects] of addons) for (const o of objects ?? []) want(withNamespace(o, catalog.get(name)!.namespace), FIELD_MANAGER, `addon:${name}`);
  if (spec.addons.includes('jaeger') && observed.telemetry?.ours) want(tracingTelemetry(spec.profile.istio.tracingSampling ?? 1), FIELD_MANAGER, 'telemetry');
  const found = await readDrift(runner, wanted, { scaledByHpa: hpaTargets(read.items.filter((o) => o.kind === 'HorizontalPodAutoscaler')) });
  const drift: Drift = { istio: [], addons: {}, telemetry: [], leftAlone: found.leftAlone, uncompared: found.uncompared };
  for (const d of found.drift) {
    const of = part.get(refKey(d.ref)) ?? '';
    if (of === 'istio') drift.istio.push(d);
    else if (of === 'telemetry') drift.telemetry.push(d);
    else {
      const name = of.slice('addon:'.length);
      drift.addons[name] = [...(drift.addons[name] ?? []), d];
    }
  }
  return drift;
}

/** A rendered object names no namespace where its chart leaves it to the install: meshup's is istio-system. */
function withNamespace(o: Record<string, unknown>, namespace = ISTIO_NAMESPACE): Record<string, unknown> {
  const md = (o.metadata ?? {}) as Record<string, unknown>;
  return md.namespace || isClusterScoped(String(o.kind)) ? o : { ...o, metadata: { ...md, namespace } };
}

async function controlPlaneRefsIfPossible(runner: Runner, spec: Spec, provider: Provider, istioctl: string | undefined) {
  const files = overlayFiles(spec, provider);
  const hash = overlayHash(files);
  // An istioctl on PATH is the fallback the runner had before (a tool's name); the listing is
  // cached under the spec's version either way.
  const bin = istioctl ?? which('istioctl', runner.env) ?? 'istioctl';
  try {
    return await controlPlaneRefs(runner, { bin, version: spec.istioVersion }, spec.istioVersion, hash, listedOverlays(files));
  } catch {
    return undefined;
  }
}

export interface Observation {
  /** The spec with what the cluster recorded as a layer. */
  spec: Spec;
  observed: Observed;
  read: ClusterRead;
}

/** What an edit may consult besides the spec: the addons meshup's applies left in the cluster,
 * recorded or not (an `addons enable` that failed before its record). */
export interface EditFacts {
  addonsInCluster: ReadonlySet<string>;
}

/** The release, downloaded now when the cluster holds addons meshup applied whose object lists are
 * neither cached nor on disk: a missing cache means fetching again, not "nothing expected". When
 * it cannot be had, the plan says those addons were not listed (as before). */
async function fetchReleaseToVerify(app: App, target: Target, spec: Spec, read: ClusterRead): Promise<void> {
  const { runner, catalog } = target;
  if (spec.istioDir || existsSync(join(releaseCacheDir(runner.env, spec.istioVersion), '.complete'))) return;
  const present = new Set(
    read.items.flatMap((o) => {
      const name = o.metadata.labels?.[ADDON_LABEL];
      return name && catalog.has(name) && claimOf(o, { label: ADDON_LABEL, value: name }) === 'ours' ? [name] : [];
    }),
  );
  const unlisted = [...present].filter((name) => !addonListed(runner.env, spec.istioVersion, addonVariant(catalog.get(name)!, spec.addons)));
  if (!unlisted.length) return;
  app.out.log(`Fetching Istio ${spec.istioVersion} to verify ${unlisted.join(', ')}: their objects are not in the cache`);
  try {
    await acquireIstio(runner, { version: spec.istioVersion, mirror: spec.istioMirror, needRelease: true });
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
  }
}

/** One round of reads, then the spec again with the cluster's record as a layer, then the
 * comparison with what that spec expects: presence and readiness, then content (drift). */
export async function observeTarget(
  app: App,
  target: Target,
  layers: SpecLayers = {},
  edit?: (spec: Spec, facts: EditFacts) => SpecLayers['edits'],
  opts: { fetch?: boolean } = {},
): Promise<Observation> {
  const read = await readCluster(target.runner, target.spec, target.provider);
  const recorded = read.recorded ?? (app.member ? layers.sibling : undefined);
  let spec = recorded ? (await specOf(app, { ...layers, recorded })).spec : target.spec;
  // An edit (`addons enable kiali`) applies to the desired state as the cluster records it.
  if (edit) {
    const addonsInCluster = new Set(
      read.items.flatMap((o) => {
        const name = o.metadata.labels?.[ADDON_LABEL];
        return name && claimOf(o, { label: ADDON_LABEL, value: name }) === 'ours' ? [name] : [];
      }),
    );
    spec = (await specOf(app, { ...layers, recorded, edits: edit(spec, { addonsInCluster }) })).spec;
  }
  if (opts.fetch && read.items.length) await fetchReleaseToVerify(app, target, spec, read);
  // Nothing read (no cluster yet): there is nothing to compare, so the expected objects are not
  // worked out (that parses every addon's manifest when their lists are not cached yet).
  const observed = evaluate(read, target.catalog, read.items.length ? await expectedFor(target, spec, read) : { addons: new Map(), revision: spec.revision });
  if (read.items.length) observed.drift = await driftOf(target, spec, read, observed);
  observed.images = await knownImages(target, spec);
  if (spec.mesh) observed.trust = await readTrust(target.runner, spec, observed.reachable);
  const wiring = target.provider.registryWiring;
  const wantedRegs = wiring && (wiring.applies?.(spec) ?? true) ? wantedRegistries(spec, observed.images, wiring.registries) : [];
  if (wantedRegs.length) observed.registries = await readRegistries(target.runner, spec, target.provider, observed.reachable, wantedRegs);
  // A namespace changing dataplane mode: its pods say which workloads need a restart. Read only
  // then, so a converged re-run pays nothing for it.
  const switching = spec.namespaces.filter((ns) => {
    const mode = modeOf(observed.namespaces.find((n) => n.metadata.name === ns)?.metadata.labels);
    return mode !== undefined && mode !== spec.dataplane;
  });
  if (switching.length) {
    const pods = await Promise.all(switching.map((ns) => listObjects(target.runner, 'pods', { namespace: ns }).catch(() => [])));
    observed.meshPods = pods.flat();
  }
  return { spec, observed, read };
}
