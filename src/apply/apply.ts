// Carrying out a plan. Each changing action becomes a task; what can overlap does:
//   1. the cluster and the Istio release (its download, and the listing of the control plane's
//      objects for the next run's check, run while the cluster is created: a core is idle then).
//      The control plane's install starts as soon as the cluster's nodes are Ready and the
//      release is at hand, or sooner where the provider says its API server answers and the node
//      is on the way (kwok adds it after creating the cluster): a failure there stops the install,
//      and the cluster's own error is the one reported. Istio goes in as two IstioOperators, the
//      control plane's and the gateways' (istio/install.ts says in which order);
//   2. the control plane, the injection labels, the Gateway API CRDs and the addons. The last two
//      go in once istioctl reports Istio's core (its CRDs) installed: from then on istioctl mostly
//      waits for istiod and the gateways to roll out, while the API server has time to spare.
//      Sent all at once, they compete with istioctl for a small cluster's API server and every
//      step gets slower (bench/cluster.mjs measures it). The addons hold no Istio resource, so
//      their workloads roll out while istioctl waits; what needs Istio's CRDs only (mTLS, the
//      tracing Telemetry) goes in at the same moment;
//   3. the record, once every other step has succeeded (istioctl: once it has every component
//      in, while it still prunes).
// Nothing here decides what to change: that was the plan's job.

import { readFile } from 'node:fs/promises';
import { applyAddons, removeAddon, waitForAddons } from '../addons/apply.js';
import { type AddonManifest, addonRefs, addonVariant, tracingTelemetry } from '../addons/manifest.js';
import { readAddonManifest } from '../addons/read.js';
import type { Addon } from '../config/schema.js';
import type { Spec } from '../config/spec.js';
import { CommandFailedError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { applyGatewayApi } from '../gatewayapi/apply.js';
import { type AcquiredBundle, acquireBundle, DEFAULT_GATEWAY_API_MIRROR } from '../gatewayapi/bundle.js';
import { acquireIstio, type IstioRelease } from '../istio/acquire.js';
import { diagnosePods } from '../istio/diagnose.js';
import { installIstio } from '../istio/install.js';
import { disableInjection, enableInjection } from '../istio/labelling.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { peerAuthentication } from '../istio/mtls.js';
import { listedOverlays } from '../istio/overlay.js';
import { asIstioctlInstalls, componentOf, GATEWAY_COMPONENTS, ISTIOCTL_FIELD_MANAGER } from '../istio/ownership.js';
import type { KubeObject } from '../kube/objects.js';
import { isClusterScoped, type ObjectRef, objectsOf, refKey, refOf } from '../kube/refs.js';
import type { Observed } from '../observe/evaluate.js';
import { addonRefsCached, controlPlaneManifestFile, controlPlaneRefs, gatewaysManifestFile } from '../observe/refs.js';
import type { GatewayApiOp } from '../plan/gateway-api.js';
import { readinessSeconds } from '../plan/istio.js';
import { needsIstio, needsWholeRelease } from '../plan/plan.js';
import type { Action, Plan } from '../plan/types.js';
import { changes } from '../plan/types.js';
import type { Provider } from '../providers/types.js';
import { waitForReadyNodes } from '../providers/wait.js';
import { forgetCreated, rememberCreated, writeAppliedSpec } from '../state/record.js';
import { apply, deleteObjects, listObjects, waitForCrdsEstablished, waitForRollout } from '../tools/kubectl.js';
import type { StepTask } from '../ui/tasks.js';
import { deferred } from '../util/deferred.js';
import { writeFileAtomic } from '../util/fs.js';

export interface ApplyInput {
  runner: Runner;
  spec: Spec;
  provider: Provider;
  context: string;
  plan: Plan;
  observed: Observed;
  catalog: Map<string, Addon>;
  meshupVersion: string;
}

/** What the tasks share while they run: the release, once had. */
interface Shared {
  release?: Promise<IstioRelease>;
  /** The control plane was (re)installed: istio-system objects read before are stale. */
  istioChanged: boolean;
  /** The Gateway API bundle, once at hand. */
  gatewayApiBundle?: Promise<AcquiredBundle>;
  /** The control plane's objects, listed offline for the next run's check. */
  listing?: Promise<unknown>;
  /** The addons' manifests, read from the release. */
  addonManifests?: Promise<AddonManifest[]>;
  /** Settles when istioctl has put in Istio's core, or is done; at once when nothing is installed. */
  istioCore: Promise<void>;
  /** Settles when Istio's CRDs are in: Istio's core installed, or the missing CRDs restored. */
  istioCrds: Promise<void>;
  /** Resolves when the cluster is ready and the control plane's task (if any) has succeeded or
   * istioctl has put in the ingress gateway: the gateway's address can be read from then on. */
  gatewayReadable: Promise<unknown>;
  /** Resolves once the cluster's creation (or start) is under way, or its task is over: what
   * runs beside it in Node (getting the release and the Gateway API bundle, listing the control
   * plane) waits for that, so it does not hold back the command that takes longest. */
  clusterUnderway: Promise<void>;
}

type Task = StepTask<unknown>;

function releaseFor(input: ApplyInput, shared: Shared, progress: (t: string) => void): Promise<IstioRelease> {
  const { spec, runner, plan } = input;
  shared.release ??= shared.clusterUnderway.then(() =>
    acquireIstio(runner, {
      version: spec.istioVersion,
      istioDir: spec.istioDir,
      mirror: spec.istioMirror,
      needRelease: needsWholeRelease(plan),
      progress,
    }),
  );
  return shared.release;
}

/** The next run verifies the control plane object by object: its objects are listed (offline,
 * `istioctl manifest generate`) as soon as the release is at hand, while the cluster is being
 * made and a core is idle (measured: about half a second sooner than during istioctl's install). */
function listingFor(input: ApplyInput, shared: Shared): Promise<unknown> {
  const { runner, spec, plan } = input;
  // releaseFor waits for the cluster's creation to be under way, and so does this.
  shared.listing ??= releaseFor(input, shared, () => {})
    .then((release) =>
      controlPlaneRefs(
        runner,
        release.istioctl,
        spec.istioVersion,
        plan.overlay.hash,
        listedOverlays({ controlPlane: plan.overlay.yaml, gateways: plan.overlay.gateways.yaml, anyGateway: plan.overlay.gateways.wanted }),
      ),
    )
    .catch(() => undefined);
  return shared.listing;
}

/** The gateways' objects from the listing's rendered manifest, once it is at hand; undefined when
 * the rendering failed. */
async function renderedGateways(input: ApplyInput, shared: Shared): Promise<Record<string, unknown>[] | undefined> {
  await listingFor(input, shared);
  const text = await readFile(gatewaysManifestFile(input.runner.env, input.spec.istioVersion, input.plan.overlay.hash), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : objectsOf(text).filter((o) => GATEWAY_COMPONENTS.includes(componentOf(o) ?? ''));
}

/** The addons' manifests are read (and their lists cached for the next run's check) as soon as
 * the release is at hand, while the cluster is made, so reading them does not hold back their
 * apply nor compete with istioctl's. */
function addonManifestsFor(input: ApplyInput, shared: Shared, names: string[]): Promise<AddonManifest[]> {
  const { runner, spec, catalog } = input;
  shared.addonManifests ??= releaseFor(input, shared, () => {}).then(async (release) => {
    const manifests = await Promise.all(names.map((n) => readAddonManifest(release.dir!, catalog.get(n)!, spec.istioVersion, spec.addons)));
    await Promise.all(
      manifests.map((m) => addonRefsCached(runner.env, spec.istioVersion, addonVariant(m.addon, spec.addons), async () => addonRefs(m)).catch(() => undefined)),
    );
    return manifests;
  });
  return shared.addonManifests;
}

function gatewayApiBundleFor(input: ApplyInput, shared: Shared, op: GatewayApiOp) {
  const { runner, spec } = input;
  shared.gatewayApiBundle ??= shared.clusterUnderway.then(() =>
    acquireBundle(runner.env, {
      version: op.version,
      mirror: spec.gatewayApiMirror ?? DEFAULT_GATEWAY_API_MIRROR,
      signal: runner.signal,
    }),
  );
  return shared.gatewayApiBundle;
}

export function applyTasks(input: ApplyInput): { tasks: Task[]; shared: Shared } {
  const { runner, spec, provider, plan, catalog } = input;
  const changing = plan.actions.filter((a) => changes(a));
  const of = (t: Action['op']['type']) => changing.filter((a) => a.op.type === t);
  const installing = of('istio').some((a) => a.op.type === 'istio' && !a.op.missing);
  // No istiod yet: nothing of an older install to take over, and no older istiod to outlast.
  const newMesh = of('istio').some((a) => a.op.type === 'istio' && a.op.newMesh);
  const repairing = of('istio').some((a) => a.op.type === 'istio' && a.op.missing);
  const core = installing ? deferred() : undefined;
  const ingressIn = deferred();
  const allIn = deferred();
  let install: Task | undefined;
  let coreIn = false;
  const crds = installing ? core : repairing ? deferred() : undefined;
  const done = installing || repairing ? deferred() : undefined;
  const cluster = of('cluster')[0];
  const slowCluster = cluster?.op.type === 'cluster' && (cluster.op.how === 'create' || cluster.op.how === 'start');
  const clusterOver = deferred();
  const clusterReady = deferred();
  // The cluster can take Istio (the runner is pinned to it): istioctl may start.
  const answering = deferred();
  const headStart = new AbortController();
  const shared: Shared = {
    clusterUnderway: slowCluster ? Promise.race([runner.whenStarted((s) => !s.readOnly), clusterOver.promise]) : Promise.resolve(),
    istioChanged: false,
    istioCore: core?.promise ?? Promise.resolve(),
    istioCrds: crds?.promise ?? Promise.resolve(),
    gatewayReadable: Promise.all([clusterReady.promise, done && Promise.race([done.promise, ingressIn.promise])]),
  };

  const addons = of('addon');
  const toApply = addons.filter((a) => a.op.type === 'addon' && a.change !== 'delete').map((a) => (a.op as { name: string }).name);
  const toRemove = addons.flatMap((a) => (a.op.type === 'addon' && a.change === 'delete' ? [{ name: a.op.name, kinds: a.op.kinds ?? [] }] : []));

  // The install, started once the cluster answers and the release is at hand, and reported by
  // the control plane's task from when that task starts; the lines before are kept for it.
  let installRun: Promise<void> | undefined;
  let lastLine = '';
  let report: (line: string) => void = (l) => (lastLine = l);
  function startInstall(): Promise<void> {
    installRun ??= (async () => {
      const release = await releaseFor(input, shared, (t) => report(t));
      const { overlay } = plan;
      await writeFileAtomic(overlay.path, overlay.yaml);
      if (overlay.installGateways) await writeFileAtomic(overlay.gateways.path, overlay.gateways.yaml);
      shared.istioChanged = true;
      const watch = watchPods(runner, (line) => report(line));
      try {
        await installIstio(runner, {
          istioctl: release.istioctl,
          controlPlaneFile: overlay.path,
          gatewaysFile: overlay.installGateways ? overlay.gateways.path : undefined,
          newMesh,
          version: spec.istioVersion,
          renderedGateways: () => renderedGateways(input, shared),
          readinessS: readinessSeconds(spec),
          signal: headStart.signal,
          line: (t) => report(t),
          core: () => {
            coreIn = true;
            core?.resolve();
          },
          ingress: ingressIn.resolve,
          allIn: allIn.resolve,
        });
      } catch (e) {
        throw await explainInstallFailure(runner, e);
      } finally {
        core?.resolve();
        watch.stop();
        await listingFor(input, shared);
      }
      done?.resolve();
    })();
    // Awaited by the control plane's task; a head start whose task never runs is stopped below.
    installRun.catch(() => undefined);
    return installRun;
  }
  if (installing) answering.promise.then(startInstall).catch(() => undefined);

  const first: Task[] = [];
  first.push({
    title: cluster ? capital(cluster.title) : `Reuse ${provider.name} cluster ${spec.clusterName}`,
    run: async () => {
      try {
        const r = await prepareCluster();
        clusterReady.resolve();
        return r;
      } finally {
        clusterOver.resolve();
      }
    },
  });
  async function prepareCluster(): Promise<string | undefined> {
    if (cluster?.op.type === 'cluster' && cluster.op.how === 'create') {
      // Remembered first: a create that is interrupted still leaves a cluster `down` may delete.
      await rememberCreated(runner.env, provider.name, spec.clusterName);
      try {
        await provider.create(runner, spec, answering.resolve);
      } catch (e) {
        // Forgotten again when nothing of it is left (the provider cleaned up after itself).
        const left = await provider.status(runner.forCleanup(), spec).catch(() => undefined);
        if (left?.state === 'absent') await forgetCreated(runner.env, provider.name, spec.clusterName);
        throw e;
      }
    } else if (cluster?.op.type === 'cluster' && cluster.op.how === 'start') {
      await provider.start(runner, spec);
    } else if (cluster?.op.type === 'cluster' && cluster.op.how === 'restore-context') {
      await provider.restoreContext!(runner, spec);
    }
    // Istio goes onto Ready nodes, unless the provider said sooner that its nodes are on the way.
    const check = !!cluster || !input.observed.nodes.length || !input.observed.nodes.every((n) => n.ready);
    if (check) await waitForReadyNodes(runner, spec.timeoutMs);
    answering.resolve();
    return check ? 'nodes Ready' : undefined;
  }
  if (needsIstio(plan)) {
    first.push({
      title: `Get Istio ${spec.istioVersion}`,
      run: async (_ctx, task) => {
        const r = await releaseFor(input, shared, (t) => (task.output = t));
        if (installing) void listingFor(input, shared);
        // Its failure is the addons step's to report.
        if (toApply.length) addonManifestsFor(input, shared, toApply).catch(() => undefined);
        return `${r.source === 'download' ? 'downloaded into' : 'using'} ${r.dir ?? r.istioctl.bin}`;
      },
    });
  }

  const gatewayApiAction = of('gateway-api')[0];
  const gatewayApi = gatewayApiAction?.op.type === 'gateway-api' ? gatewayApiAction.op : undefined;
  if (gatewayApi) {
    // Downloaded while the cluster is made, like the Istio release.
    first.push({
      title: `Get the Gateway API ${gatewayApi.version} CRDs`,
      run: async () => {
        const b = await gatewayApiBundleFor(input, shared, gatewayApi);
        return `${b.downloaded ? 'downloaded into' : 'using'} ${b.dir}`;
      },
    });
  }

  const second: Task[] = [];
  if (gatewayApi && gatewayApiAction) {
    second.push({
      title: capital(gatewayApiAction.title),
      run: async (_ctx, task) => {
        const bundle = await gatewayApiBundleFor(input, shared, gatewayApi);
        if (installing) task.output = 'waiting for istioctl to put in Istio core';
        await shared.istioCore;
        return applyGatewayApi(runner, gatewayApi, (t) => (task.output = t), bundle.objects);
      },
    });
  }
  for (const a of of('istio')) {
    const missing = a.op.type === 'istio' ? a.op.missing : undefined;
    if (missing) {
      second.push({
        title: capital(a.title),
        run: async (_ctx, task) => {
          try {
            await reapplyControlPlane(runner, spec, plan.overlay.hash, missing, (t) => (task.output = t), crds?.resolve);
          } finally {
            crds?.resolve();
          }
          done?.resolve();
          return `${missing.length} restored`;
        },
      });
      continue;
    }
    install = {
      title: capital(a.title),
      run: async (_ctx, task) => {
        // Not held back for the Gateway API CRDs: istiod watches for CRDs and starts its Gateway API
        // controllers when they appear (Istio 1.31, pkg/kube/kclient NewDelayedInformer and
        // CrdWatcher().WaitForCRD in pilot/pkg/bootstrap/configcontroller.go).
        report = (t) => (task.output = t);
        if (lastLine) task.output = lastLine;
        await startInstall();
        return `overlay in ${plan.overlay.path}`;
      },
    };
    second.push(install);
  }
  const labels = of('injection');
  if (labels.length) {
    second.push({
      title:
        labels.length === 1
          ? capital(labels[0]!.title)
          : `Update ${spec.dataplane === 'ambient' ? 'ambient enrolment' : 'sidecar injection'} labels (${labels.length} namespaces)`,
      run: async () => {
        const ops = labels.flatMap((a) => (a.op.type === 'injection' ? [a.op] : []));
        const enable = ops.flatMap((o) => o.enable);
        const disable = ops.flatMap((o) => o.disable);
        await enableInjection(
          runner,
          enable,
          spec.dataplane,
          ops.flatMap((o) => o.switching ?? []),
        );
        await disableInjection(runner, disable);
        return [enable.length ? `enabled in ${enable.join(', ')}` : '', disable.length ? `disabled in ${disable.join(', ')}` : ''].filter(Boolean).join('; ');
      },
    });
  }
  if (toApply.length) {
    second.push({
      title: `Apply addons ${toApply.join(', ')}`,
      run: async (_ctx, task) => {
        await releaseFor(input, shared, (t) => (task.output = t));
        const manifests = await addonManifestsFor(input, shared, toApply);
        if (installing) task.output = 'waiting for istioctl to put in Istio core';
        await shared.istioCore;
        // istioctl makes istio-system before Istio core (operator/pkg/install, installSystemNamespace);
        // without an install that got that far, it may be missing: make sure it is there.
        if (!coreIn && !input.observed.namespaces.some((n) => n.metadata.name === ISTIO_NAMESPACE)) {
          await apply(runner, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ISTIO_NAMESPACE } }], 'Creating istio-system');
        }
        task.output = `applying ${toApply.join(', ')}`;
        await applyAddons(runner, manifests);
        task.output = `waiting for ${toApply.join(', ')}`;
        await waitForAddons(runner, manifests, { timeoutMs: spec.timeoutMs });
        return 'ready';
      },
    });
  }
  for (const { name, kinds } of toRemove) {
    second.push({ title: `Remove addon ${name}`, run: async () => removeAddon(runner, catalog.get(name)!, kinds) });
  }

  // They need Istio's CRDs only, not istiod: on a fresh install the validating webhook fails open
  // until istiod is ready (Istio's base chart), so they go in while istioctl waits for it.
  for (const a of [...of('mtls'), ...of('telemetry')]) {
    second.push({
      title: capital(a.title),
      run: async (_ctx, task) => {
        if (installing) task.output = 'waiting for istioctl to put in Istio core';
        await shared.istioCrds;
        if (a.op.type === 'mtls') {
          if (a.op.mode) await apply(runner, [peerAuthentication(a.op.mode)], 'Setting mesh-wide mTLS');
          else await deleteObjects(runner, ['peerauthentication/default'], 'Removing the mesh-wide PeerAuthentication', ISTIO_NAMESPACE);
        } else if (a.op.type === 'telemetry') {
          if (a.change !== 'delete') await apply(runner, [tracingTelemetry(spec.profile.istio.tracingSampling ?? 1)], 'Applying the tracing Telemetry');
          else await deleteObjects(runner, ['telemetry/mesh-default'], 'Removing the tracing Telemetry', ISTIO_NAMESPACE);
        }
      },
    });
  }
  // The record says what the cluster runs now, so it is written once every other mesh step has
  // succeeded; of istioctl, once it has every component in and ready, not after its pruning and
  // exit. When a step fails, nothing is recorded.
  const record = of('record')[0];
  if (record?.op.type === 'record') {
    const applied = record.op.spec;
    const recordAfter = second.map((t) => outcome(t, t === install ? allIn.promise : undefined));
    second.push({
      title: 'Record the applied spec',
      run: async () => {
        const failed = await Promise.all(recordAfter).then(
          () => false,
          () => true,
        );
        if (failed) return { skipped: 'not written: a step above failed' };
        await writeAppliedSpec(runner, applied, input.meshupVersion);
      },
    });
  }

  // A step of the first group that fails stops the install it may have started ahead of it, and
  // waits for it to end: its own error is the one to report, and no istioctl is left running.
  for (const t of first) {
    const run = t.run;
    t.run = async (ctx, task) => {
      try {
        return await run(ctx, task);
      } catch (e) {
        headStart.abort();
        await installRun?.catch(() => undefined);
        throw e;
      }
    };
  }

  const group = (title: string, children: Task[]): Task[] =>
    children.length === 0 ? [] : children.length === 1 ? children : [{ title, run: async () => undefined, children: () => children, concurrent: true }];
  return {
    tasks: [...group('Cluster and Istio release', first), ...group('Mesh', second)],
    shared,
  };
}

/** Applies the missing objects of the control plane from the manifest istioctl rendered for this
 * overlay, CRDs first (then Established, when `crdsIn` is called), and waits for any Deployment
 * among them. */
async function reapplyControlPlane(
  runner: Runner,
  spec: Spec,
  hash: string,
  missing: ObjectRef[],
  progress: (t: string) => void,
  crdsIn: () => void = () => {},
): Promise<void> {
  const text = await readFile(controlPlaneManifestFile(runner.env, spec.istioVersion, hash), 'utf8');
  const want = new Set(missing.map(refKey));
  const objs = objectsOf(text).filter((o) => want.has(refKey(refOf(o, ISTIO_NAMESPACE, isClusterScoped))));
  const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition');
  const rest = objs.filter((o) => o.kind !== 'CustomResourceDefinition');
  if (crds.length) {
    progress(`restoring ${crds.length} CRD(s)`);
    await apply(
      runner,
      crds.map((o) => asIstioctlInstalls(o, spec.istioVersion)),
      'Restoring Istio CRDs',
      ISTIOCTL_FIELD_MANAGER,
    );
    await waitForCrdsEstablished(
      runner,
      crds.map((c) => `crd/${(c.metadata as { name: string }).name}`),
      'Waiting for Istio CRDs to be Established',
    );
  }
  crdsIn();
  if (rest.length) {
    progress(`restoring ${rest.map((o) => `${String(o.kind).toLowerCase()}/${(o.metadata as { name: string }).name}`).join(', ')}`);
    await apply(
      runner,
      rest.map((o) => asIstioctlInstalls(o, spec.istioVersion)),
      'Restoring Istio objects',
      ISTIOCTL_FIELD_MANAGER,
    );
  }
  const deployments = rest.filter((o) => o.kind === 'Deployment').map((o) => `deployment/${(o.metadata as { name: string }).name}`);
  if (deployments.length) {
    progress(`waiting for ${deployments.join(', ')}`);
    await waitForRollout(runner, ISTIO_NAMESPACE, deployments, Math.round(spec.timeoutMs / 1000), {
      step: 'Waiting for the restored Istio workloads',
    }).catch(async (e: unknown) => {
      throw await explainInstallFailure(runner, e);
    });
  }
}

async function explainInstallFailure(runner: Runner, e: unknown): Promise<unknown> {
  if (!(e instanceof CommandFailedError)) return e;
  const pods = await listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE }).catch(() => [] as KubeObject[]);
  const why = diagnosePods(pods);
  return new CommandFailedError(e.message, e.commandLine, e.stderrTail, e.commandExitCode, {
    details: why.length ? ['why:', ...why.map((w) => `  ${w}`)] : [],
    fix: why.length ? 'Fix what is listed under "why", then run meshup up again' : e.fix,
  });
}

/** Polls istio-system's pods every few seconds while istioctl waits in silence, and says what holds it up. */
function watchPods(runner: Runner, report: (line: string) => void, everyMs = 5000): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const pods = await listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE }).catch(() => [] as KubeObject[]);
    const why = diagnosePods(pods);
    if (!stopped && why.length) report(`waiting: ${why[0]}`);
    if (!stopped) timer = setTimeout(() => void tick(), everyMs);
  };
  timer = setTimeout(() => void tick(), everyMs);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Settles with the task's run (which it wraps), or resolves at `sooner` if that comes first. */
function outcome(t: Task, sooner?: Promise<void>): Promise<unknown> {
  const run = t.run;
  let settle: (p: Promise<unknown>) => void = () => {};
  const ran = new Promise<unknown>((r) => (settle = r));
  t.run = (ctx, task) => {
    const p = run(ctx, task);
    settle(p);
    return p;
  };
  const o = sooner ? Promise.race([ran, sooner]) : ran;
  // Read by the record only; a failure is the step's own to report.
  o.catch(() => undefined);
  return o;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
