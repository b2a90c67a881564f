// Installing Istio as two IstioOperators (istio/overlay.ts): the control plane's, then the
// gateways'. On a new mesh the gateways' install starts once istiod has rolled out, which is what
// one istioctl install waits for before its own gateways (operator/pkg/install
// componentDependencies), seen through kubectl's watch as it happens rather than at istioctl's
// next two-second poll. On an installed mesh it starts after the control plane's install has
// ended: an upgrade's istiod comes first, never newer gateways before it, and gateways that
// install pruned (an older meshup's, made with the control plane) are gone before they are made
// again.
import type { Runner } from '../exec/runner.js';
import { CORE, INGRESS_GATEWAYS, ISTIOD, ISTIOD_WAITING, istioctlInstall, type PrunedObject } from '../tools/istioctl.js';
import { waitForDeletion, waitForRollout } from '../tools/kubectl.js';
import { deferred } from '../util/deferred.js';
import { ISTIO_NAMESPACE } from './labels.js';
import { GATEWAY_NAMES } from './overlay.js';

export interface IstioInstall {
  /** The control plane's overlay file, and the gateways' when their install runs. */
  controlPlaneFile: string;
  gatewaysFile?: string;
  /** No istiod exists yet: the gateways may go in as soon as the new one is up. */
  newMesh: boolean;
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
    o.controlPlaneFile,
    o.readinessS,
    {
      line: (t) => {
        o.line(t);
        if (o.newMesh && !rollout && ISTIOD_WAITING.test(t)) {
          rollout = waitForRollout(runner, ISTIO_NAMESPACE, ['deployment/istiod'], o.readinessS, { signal: gatewaySignal }).then(
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
    ? go.then((ok) =>
        ok
          ? istioctlInstall(
              runner,
              file,
              o.readinessS,
              { line: o.line, installed: (c) => c === INGRESS_GATEWAYS && o.ingress?.(), allInstalled: pruned },
              gatewaySignal,
            )
          : undefined,
      )
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
