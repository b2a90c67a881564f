// Carrying out an upgrade's plan (plan/upgrade.ts), one step per planned step. Each istioctl is the
// one of the version it acts for: the new revision is installed by the new release's istioctl, the
// old gateways restored by the old one's. What the plan marked as already so is not done again.
import { dirname, join } from 'node:path';
import type { Spec } from '../config/spec.js';
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { type AcquireOptions, acquireIstio, type IstioRelease } from '../istio/acquire.js';
import { REVISION_LABEL, SIDECAR_LABEL } from '../istio/injection.js';
import { installIstio } from '../istio/install.js';
import { ISTIO_NAMESPACE, istiodName } from '../istio/labels.js';
import { overlayFiles, overlayHash } from '../istio/overlay.js';
import type { KubeObject } from '../kube/objects.js';
import { readinessSeconds } from '../plan/istio.js';
import type { Revision, UpgradePlan, UpgradeStep } from '../plan/upgrade.js';
import type { Provider } from '../providers/types.js';
import type { AppliedSpec } from '../state/applied-spec.js';
import { writeAppliedSpec } from '../state/record.js';
import { istioctlPrecheck, istioctlUninstallRevision } from '../tools/istioctl.js';
import { label, listObjects, rolloutRestart, waitForDeletion, waitForRollout } from '../tools/kubectl.js';
import type { StepTask } from '../ui/tasks.js';
import { writeFileAtomic } from '../util/fs.js';

export interface UpgradeInput {
  runner: Runner;
  provider: Provider;
  /** The mesh as it runs (the old version). */
  spec: Spec;
  recorded: AppliedSpec;
  plan: UpgradePlan;
  /** Where meshup keeps this cluster's overlays. */
  overlayPath: string;
  meshupVersion: string;
  signal: AbortSignal;
  /** The rest of a finish: up's own plan on the new version. */
  converge: () => Promise<void>;
}

interface Ctx {
  releases: Map<string, Promise<IstioRelease>>;
}

/** The spec of one revision: the mesh's, at that version and revision. */
const specAt = (spec: Spec, r: Revision): Spec => ({ ...spec, istioVersion: r.version, revision: r.revision });

const WORKLOADS = 'deployments,statefulsets,daemonsets';

export function upgradeTasks(input: UpgradeInput): StepTask<Ctx>[] {
  const { runner, spec, plan } = input;
  const release = (ctx: Ctx, version: string, progress: (t: string) => void) => {
    let p = ctx.releases.get(version);
    if (!p) {
      const o: AcquireOptions = { version, mirror: spec.istioMirror, needRelease: true, progress };
      p = acquireIstio(runner, version === spec.istioVersion && spec.istioDir ? { ...o, istioDir: spec.istioDir } : o);
      ctx.releases.set(version, p);
    }
    return p;
  };
  const files = (r: Revision) => {
    const f = overlayFiles(specAt(spec, r), input.provider);
    const dir = dirname(input.overlayPath);
    return {
      ...f,
      controlPlanePath: join(dir, r.revision ? `istio-overlay-${r.revision}.yaml` : 'istio-overlay.yaml'),
      gatewaysPath: join(dir, 'istio-gateways.yaml'),
    };
  };
  const timeoutS = readinessSeconds(spec);
  const run = (s: UpgradeStep): StepTask<Ctx>['run'] => {
    const op = s.op;
    return async (ctx, task) => {
      const progress = (t: string) => {
        task.output = t;
      };
      switch (op.type) {
        case 'precheck': {
          const r = await release(ctx, plan.to.version, progress);
          await istioctlPrecheck(runner, r.istioctl);
          return;
        }
        case 'mark': {
          const next: AppliedSpec = op.upgrade ? { ...input.recorded, upgrade: op.upgrade } : finished(input);
          await writeAppliedSpec(runner, next, input.meshupVersion);
          return;
        }
        case 'install-revision':
        case 'reinstall': {
          const to = op.type === 'reinstall' ? op.to : plan.to;
          const r = await release(ctx, to.version, progress);
          const f = files(to);
          await writeFileAtomic(f.controlPlanePath, f.controlPlane);
          if (f.anyGateway) await writeFileAtomic(f.gatewaysPath, f.gateways);
          await installIstio(runner, {
            istioctl: r.istioctl,
            controlPlaneFile: f.controlPlanePath,
            gatewaysFile: f.anyGateway ? f.gatewaysPath : undefined,
            newMesh: false,
            version: to.version,
            revision: to.revision,
            readinessS: timeoutS,
            signal: input.signal,
            line: progress,
          });
          return;
        }
        case 'move':
          for (const ns of op.namespaces) {
            await label(
              runner,
              'namespace',
              ns,
              op.to.revision ? { [REVISION_LABEL]: op.to.revision, [SIDECAR_LABEL]: null } : { [SIDECAR_LABEL]: 'enabled', [REVISION_LABEL]: null },
            );
          }
          return;
        case 'restart':
          return restart(runner, op.namespaces, timeoutS, input.signal);
        case 'verify':
          return verify(runner, op.namespaces, plan.to.revision!);
        case 'uninstall-revision': {
          // The istioctl of the version that stays: it knows both revisions' objects by their labels.
          const stays = op.revision === plan.to.revision ? plan.from.version : plan.to.version;
          const r = await release(ctx, stays, progress);
          await istioctlUninstallRevision(runner, r.istioctl, op.revision, timeoutS + 60);
          // istioctl returns once it has asked for the deletes: done is when istiod is gone.
          const istiod = istiodName(op.revision === 'default' ? undefined : op.revision);
          await waitForDeletion(runner, ISTIO_NAMESPACE, [`deployment/${istiod}`], timeoutS, input.signal);
          return;
        }
        case 'converge':
          await input.converge();
          return;
      }
    };
  };
  return plan.steps.map((s) => ({
    title: capital(s.title),
    run: run(s),
    ...(s.kept ? { skip: () => 'already done' } : {}),
  }));
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The record once finished (the new version and revision are the mesh's) or rolled back. */
function finished(input: UpgradeInput): AppliedSpec {
  const { recorded, plan, spec } = input;
  const { upgrade: _, ...rest } = recorded;
  if (plan.steps.some((s) => s.op.type === 'converge')) {
    const next = specAt(spec, plan.to);
    return { ...rest, istioVersion: plan.to.version, istioRevision: plan.to.revision, overlayHash: overlayHash(overlayFiles(next, input.provider)) };
  }
  return rest;
}

/** Restarts every workload of the namespaces and waits for their rollouts. */
async function restart(runner: Runner, namespaces: string[], timeoutS: number, signal: AbortSignal): Promise<string> {
  let count = 0;
  for (const ns of namespaces) {
    const workloads = await listObjects(runner, WORKLOADS, { namespace: ns });
    const refs = workloads.map((w) => `${(w.kind ?? '').toLowerCase()}/${w.metadata.name}`);
    if (!refs.length) continue;
    await rolloutRestart(runner, ns, refs);
    await waitForRollout(runner, ns, refs, timeoutS, { step: `Waiting for the workloads of ${ns}`, signal });
    count += refs.length;
  }
  return count ? `${count} restarted` : 'no workload to restart';
}

/** Every injected pod of the namespaces runs the revision: the injector labels each pod with it. */
async function verify(runner: Runner, namespaces: string[], revision: string): Promise<string> {
  const pods = (await Promise.all(namespaces.map((ns) => listObjects<KubeObject>(runner, 'pods', { namespace: ns })))).flat();
  const injected = pods.filter((p) => p.metadata.annotations?.['sidecar.istio.io/status'] && !p.metadata.deletionTimestamp);
  const stale = injected.filter((p) => p.metadata.labels?.[REVISION_LABEL] !== revision);
  if (stale.length) {
    throw new MeshupError(`${stale.length} injected pod${stale.length > 1 ? 's' : ''} still run another revision than ${revision}`, {
      details: stale.map((p) => `${p.metadata.namespace}/${p.metadata.name}: ${p.metadata.labels?.[REVISION_LABEL] ?? 'no revision label'}`),
      fix: 'Restart them (kubectl rollout restart), then run meshup upgrade again',
    });
  }
  return injected.length ? `${injected.length} injected pods on ${revision}` : 'no injected pod to check';
}
