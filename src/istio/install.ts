// Installing Istio as two IstioOperators (istio/overlay.ts): the control plane's, then the
// gateways'. On a new mesh the gateways go in once istiod has rolled out, which is what one
// istioctl install waits for before its own gateways (operator/pkg/install
// componentDependencies), seen through kubectl's watch as it happens rather than at istioctl's
// next two-second poll. There they are applied from the manifest istioctl rendered for their
// overlay, as its install applies them (istio/ownership.ts), and waited for with a watch too: a
// second istioctl would spend its start, a version check against istiod and another poll on
// what is a plain apply, with nothing of its own to prune. On an installed mesh the gateways'
// istioctl install runs after the control plane's has ended: an upgrade's istiod comes first,
// never newer gateways before it; gateways that install pruned (an older meshup's, made with
// the control plane) are gone before they are made again; and it prunes what is no longer wanted.

import type { Runner } from '../exec/runner.js';
import { CORE, INGRESS_GATEWAYS, ISTIOD, ISTIOD_WAITING, type Istioctl, istioctlInstall, type PrunedObject } from '../tools/istioctl.js';
import { apply, waitForDeletion, waitForRollout } from '../tools/kubectl.js';
import { deferred } from '../util/deferred.js';
import { ISTIO_NAMESPACE, istiodName } from './labels.js';
import { GATEWAY_NAMES } from './overlay.js';
import { asIstioctlInstalls, ISTIOCTL_FIELD_MANAGER } from './ownership.js';

export interface IstioInstall {
  istioctl: Istioctl;
  /** The control plane's overlay file, and the gateways' when their install runs. */
  controlPlaneFile: string;
  gatewaysFile?: string;
  /** No istiod exists yet: the gateways may go in as soon as the new one is up. */
  newMesh: boolean;
  /** Istio's version, as istioctl labels what it installs. */
  version: string;
  /** The revision it installs as; undefined for the default one. */
  revision?: string;
  /** The gateways' objects as istioctl renders them; on a new mesh they are applied from these,
   * and without them (the rendering failed) by istioctl install. */
  renderedGateways?: () => Promise<Record<string, unknown>[] | undefined>;
  readinessS: number;
  /** Stops both installs (a failed cluster step, say). */
  signal: AbortSignal;
  /** Each progress line of either. */
  line: (text: string) => void;
  /** Istio's core (its CRDs and cluster-wide objects) is in. */
  core?: () => void;
  /** The ingress gateway is in: its Service can be read. */
  ingress?: () => void;
  /** Every component of both is in and ready; they prune, then exit. */
  allIn?: () => void;
}

export async function installIstio(runner: Runner, o: IstioInstall): Promise<void> {
  const stopGateways = new AbortController();
  const gatewaySignal = AbortSignal.any([o.signal, stopGateways.signal]);
  let pruning = o.gatewaysFile ? 2 : 1;
  const pruned = () => {
    if (--pruning === 0) o.allIn?.();
  };
  const istiodUp = deferred();
  let rollout: Promise<unknown> | undefined;
  // istioctl deletes what it prunes in the foreground (operator/pkg/uninstall DeleteResource): a
  // gateway made again before the old one is gone would go with it.
  const prunedGateways: PrunedObject[] = [];
  const controlPlane = istioctlInstall(
    runner,
    o.istioctl,
    o.controlPlaneFile,
    o.readinessS,
    {
      line: (t) => {
        o.line(t);
        if (o.newMesh && !rollout && ISTIOD_WAITING.test(t)) {
          rollout = waitForRollout(runner, ISTIO_NAMESPACE, [`deployment/${istiodName(o.revision)}`], o.readinessS, { signal: gatewaySignal }).then(
            istiodUp.resolve,
            () => undefined,
          );
        }
      },
      installed: (c) => {
        if (c === CORE) o.core?.();
        else if (c === ISTIOD) istiodUp.resolve();
      },
      allInstalled: pruned,
      removed: (p) => {
        if (p.namespace && GATEWAY_NAMES.some((g) => p.name.startsWith(g))) prunedGateways.push(p);
      },
    },
    o.signal,
  );
  const controlPlaneOk = controlPlane.then(
    () => true,
    () => false,
  );
  // A failed control plane stops the gateways: its error is the one to report.
  void controlPlaneOk.then((ok) => ok || stopGateways.abort());
  const go = o.newMesh
    ? Promise.race([istiodUp.promise.then(() => true), controlPlaneOk])
    : controlPlaneOk.then(async (ok) => {
        if (!ok) return false;
        for (const ns of new Set(prunedGateways.map((p) => p.namespace))) {
          const refs = prunedGateways.filter((p) => p.namespace === ns).map((p) => `${p.kind.toLowerCase()}${p.group ? `.${p.group}` : ''}/${p.name}`);
          await waitForDeletion(runner, ns, refs, o.readinessS, gatewaySignal);
        }
        return true;
      });
  const file = o.gatewaysFile;
  const gateways = file
    ? go.then(async (ok) => {
        if (!ok) return;
        const rendered = o.newMesh ? await o.renderedGateways?.() : undefined;
        if (rendered?.length) return applyGateways(runner, rendered, o, gatewaySignal, pruned);
        return istioctlInstall(
          runner,
          o.istioctl,
          file,
          o.readinessS,
          { line: o.line, installed: (c) => c === INGRESS_GATEWAYS && o.ingress?.(), allInstalled: pruned },
          gatewaySignal,
        );
      })
    : undefined;
  try {
    const [cp, gw] = await Promise.allSettled([controlPlane, gateways]);
    if (cp.status === 'rejected') throw cp.reason;
    if (gw.status === 'rejected') throw gw.reason;
  } finally {
    stopGateways.abort();
    await rollout;
  }
}

async function applyGateways(runner: Runner, objs: Record<string, unknown>[], o: IstioInstall, signal: AbortSignal, done: () => void): Promise<void> {
  const nameOf = (x: Record<string, unknown>) => (x.metadata as { name: string }).name;
  const names = [...new Set(objs.filter((x) => x.kind === 'Deployment').map(nameOf))];
  o.line(`Applying the gateways as istioctl renders them: ${names.join(', ')}`);
  signal.throwIfAborted();
  await apply(
    runner,
    objs.map((x) => asIstioctlInstalls(x, o.version, o.revision)),
    "Applying Istio's gateways",
    ISTIOCTL_FIELD_MANAGER,
  );
  if (objs.some((x) => x.kind === 'Service' && nameOf(x) === GATEWAY_NAMES[0])) o.ingress?.();
  o.line(`Waiting for ${names.join(', ')} to roll out`);
  if (names.length)
    await waitForRollout(
      runner,
      ISTIO_NAMESPACE,
      names.map((n) => `deployment/${n}`),
      o.readinessS,
      { step: "Waiting for Istio's gateways", signal },
    );
  done();
}
