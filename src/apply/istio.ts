// The control plane's two steps: its install (istio/install.ts, two IstioOperators), and a repair
// that applies just the missing objects from the manifest istioctl rendered for this overlay. A
// failure names why istio-system's pods are not ready.
import { readFile } from 'node:fs/promises';
import type { Spec } from '../config/spec.js';
import { CommandFailedError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { diagnosePods } from '../istio/diagnose.js';
import { installIstio } from '../istio/install.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { asIstioctlInstalls, ISTIOCTL_FIELD_MANAGER } from '../istio/ownership.js';
import type { KubeObject } from '../kube/objects.js';
import { isClusterScoped, type ObjectRef, objectsOf, refKey, refOf } from '../kube/refs.js';
import { keepingWebhookUrls } from '../kube/webhooks.js';
import { controlPlaneManifestFile, controlPlaneObjects } from '../observe/refs.js';
import { readinessSeconds } from '../plan/istio.js';
import { apply, getObject, listObjects, waitForCrdsEstablished, waitForDeletion, waitForRollout } from '../tools/kubectl.js';
import { writeFileAtomic } from '../util/fs.js';
import type { StepContext } from './types.js';

/** Installs the control plane (and the gateways), opening its gates as istioctl reports progress.
 * Istio's core gate opens once it is in, or when the install ends either way. */
export async function installControlPlane(x: StepContext, newMesh: boolean, afterNamespaceGone = false): Promise<string> {
  const { runner, spec, plan } = x.input;
  if (afterNamespaceGone) {
    x.progress('waiting for istio-system to be deleted');
    await waitForDeletion(runner, '', [`namespace/${ISTIO_NAMESPACE}`], readinessSeconds(spec), x.signal);
  }
  const release = await x.resources.istioRelease(x.progress);
  const { overlay } = plan;
  await writeFileAtomic(overlay.path, overlay.yaml);
  if (overlay.installGateways) await writeFileAtomic(overlay.gateways.path, overlay.gateways.yaml);
  x.facts.istioChanged = true;
  const watch = watchPods(runner, x.progress);
  try {
    await installIstio(runner, {
      istioctl: release.istioctl,
      controlPlaneFile: overlay.path,
      gatewaysFile: overlay.installGateways ? overlay.gateways.path : undefined,
      newMesh,
      version: spec.istioVersion,
      revision: spec.revision,
      renderedGateways: () => x.resources.renderedGateways(),
      readinessS: readinessSeconds(spec),
      signal: x.signal,
      line: x.progress,
      core: () => {
        x.facts.istioCoreIn = true;
        x.gates.open('istio-core');
        x.gates.open('istio-crds');
      },
      ingress: () => x.gates.open('ingress-in'),
      allIn: () => x.gates.open('all-in'),
    });
  } catch (e) {
    throw await explainInstallFailure(runner, e);
  } finally {
    x.gates.open('istio-core');
    x.gates.open('istio-crds');
    watch.stop();
    await x.resources.controlPlaneListing();
  }
  x.gates.open('istio-done');
  return `overlay in ${overlay.path}`;
}

/** Applies the missing objects of the control plane from the manifest istioctl rendered for this
 * overlay, CRDs first (then Established: the CRD gate opens), and waits for any Deployment among them. */
export async function repairControlPlane(x: StepContext, missing: ObjectRef[]): Promise<string> {
  const { runner, spec, plan } = x.input;
  // What was read of istio-system before (a gateway's nodePort, say) is stale once this applies.
  x.facts.istioChanged = true;
  try {
    await reapply(runner, spec, plan.overlay.hash, missing, x.progress, () => x.gates.open('istio-crds'));
  } finally {
    x.gates.open('istio-crds');
  }
  x.gates.open('istio-done');
  x.gates.open('ingress-in');
  return `${missing.length} restored`;
}

async function reapply(runner: Runner, spec: Spec, hash: string, missing: ObjectRef[], progress: (t: string) => void, crdsIn: () => void): Promise<void> {
  // The objects as parsed when the manifest was rendered (kept as JSON beside it): parsing its
  // megabyte of YAML again cost this repair a quarter of a second and a burst of memory.
  const all =
    (await controlPlaneObjects(runner.env, spec.istioVersion, hash)) ??
    objectsOf(await readFile(controlPlaneManifestFile(runner.env, spec.istioVersion, hash), 'utf8'));
  const want = new Set(missing.map(refKey));
  const objs = all.filter((o) => want.has(refKey(refOf(o, ISTIO_NAMESPACE, isClusterScoped))));
  const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition');
  const rest = objs.filter((o) => o.kind !== 'CustomResourceDefinition');
  const name = (o: Record<string, unknown>) => (o.metadata as { name: string }).name;
  if (crds.length) {
    progress(`restoring ${crds.length} CRD(s)`);
    await apply(
      runner,
      crds.map((o) => asIstioctlInstalls(o, spec.istioVersion, spec.revision)),
      'Restoring Istio CRDs',
      ISTIOCTL_FIELD_MANAGER,
    );
    await waitForCrdsEstablished(
      runner,
      crds.map((c) => `crd/${name(c)}`),
      'Waiting for Istio CRDs to be Established',
    );
  }
  crdsIn();
  if (rest.length) {
    progress(`restoring ${rest.map((o) => `${String(o.kind).toLowerCase()}/${name(o)}`).join(', ')}`);
    // A webhook pointed at a URL keeps it (kube/webhooks.ts): read as it is now, just before.
    const restored = await Promise.all(
      rest.map(async (o) =>
        /WebhookConfiguration$/.test(String(o.kind)) ? keepingWebhookUrls(o, await getObject(runner, String(o.kind).toLowerCase(), name(o))) : o,
      ),
    );
    await apply(
      runner,
      restored.map((o) => asIstioctlInstalls(o, spec.istioVersion, spec.revision)),
      'Restoring Istio objects',
      ISTIOCTL_FIELD_MANAGER,
    );
  }
  const deployments = rest.filter((o) => o.kind === 'Deployment').map((o) => `deployment/${name(o)}`);
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
