// The Istio steps of `up`: the control plane, mesh-wide mTLS and sidecar injection. Each reads
// what is there first and changes only what differs, so a converged cluster costs a few reads.
import { join } from 'node:path';
import { CommandFailedError, MeshupError } from '../errors.js';
import { acquireIstio } from '../istio/acquire.js';
import { diagnosePods } from '../istio/diagnose.js';
import { disableInjection, enableInjection, listNamespaces, planInjection } from '../istio/injection.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { overlayHash, overlayYaml } from '../istio/overlay.js';
import { stateDir } from '../state/paths.js';
import { istioctlInstall } from '../tools/istioctl.js';
import { apply, deleteObjects, listObjects, type KubeObject } from '../tools/kubectl.js';
import type { StepTask } from '../ui/tasks.js';
import { writeFileAtomic } from '../util/fs.js';
import { imaginary, type UpContext } from './up-steps.js';
import { deploymentStatus } from '../commands/status.js';
import { ofKind } from './snapshot.js';

export function overlayPath(env: NodeJS.ProcessEnv, provider: string, cluster: string): string {
  return join(stateDir(env), provider, cluster, 'istio-overlay.yaml');
}

export function istioStep(): StepTask<UpContext> {
  return {
    title: 'Istio control plane',
    run: async (ctx, task) => {
      const { runner, options: o } = ctx;
      const yaml = overlayYaml(o);
      const hash = overlayHash(yaml);
      ctx.desired = { ...ctx.desired, provider: o.provider!, clusterName: o.clusterName, profile: o.profile.name, istioVersion: o.istioVersion, overlayHash: hash };
      if (!imaginary(ctx)) {
        const deployments = ofKind(ctx.snapshot?.istio ?? (await listObjects(runner, 'deployments', { namespace: ISTIO_NAMESPACE })), 'Deployment');
        const istiod = deployments.find((d) => d.metadata.name === 'istiod');
        const installed = ctx.applied?.istioVersion;
        if (istiod && deploymentStatus(istiod).ok && installed === o.istioVersion && ctx.applied?.overlayHash === hash) {
          return `Istio ${o.istioVersion} unchanged`;
        }
        if (istiod && installed && installed !== o.istioVersion && !o.yes) {
          throw new MeshupError(`Istio ${installed} is installed; this run asks for ${o.istioVersion}`, {
            fix: [`Upgrade in place: meshup up --istio-version ${o.istioVersion} --yes`, `or keep it: meshup up --istio-version ${installed}`],
          });
        }
      }
      ctx.istioChanged = true;
      await acquireIstio(runner, { version: o.istioVersion, istioDir: o.istioDir, mirror: o.istioMirror, progress: (t) => (task.output = t) });
      const file = overlayPath(runner.env, o.provider!, o.clusterName);
      if (!runner.dryRun) await writeFileAtomic(file, yaml);
      else ctx.app.out.log(`[dry-run] would write ${file}:\n${yaml}`);
      // While istioctl waits in silence, say what is holding it up.
      const watch = runner.dryRun ? undefined : watchPods(ctx, (line) => (task.output = line));
      try {
        await istioctlInstall(runner, file, Math.max(60, Math.round(o.timeoutMs / 1000)), yaml);
      } catch (e) {
        if (!(e instanceof CommandFailedError)) throw e;
        const pods = await listObjects(runner, 'pods', { namespace: ISTIO_NAMESPACE }).catch(() => [] as KubeObject[]);
        const why = diagnosePods(pods);
        throw new CommandFailedError(e.message, e.commandLine, e.stderrTail, e.commandExitCode, {
          details: why.length ? ['why:', ...why.map((w) => `  ${w}`)] : [],
          fix: why.length ? 'Fix what is listed under "why", then run meshup up again' : e.fix,
        });
      } finally {
        watch?.stop();
      }
      return `${runner.dryRun ? 'would install' : 'installed'} Istio ${o.istioVersion} (${o.profile.istio.profile} profile); overlay in ${file}`;
    },
  };
}

export function mtlsStep(): StepTask<UpContext> {
  return {
    title: 'Mesh-wide mTLS',
    skip: (ctx) => (!ctx.options.mtls && !ctx.applied?.mtls ? 'not configured' : false),
    run: async (ctx) => {
      const { runner, options: o } = ctx;
      const unchanged = ctx.applied?.mtls === o.mtls && ctx.applied?.overlayHash === ctx.desired?.overlayHash;
      if (unchanged && !imaginary(ctx)) return `${o.mtls} (unchanged)`;
      if (!o.mtls) {
        await deleteObjects(runner, ['peerauthentication/default'], 'Removing the mesh-wide PeerAuthentication', ISTIO_NAMESPACE);
        return 'removed';
      }
      const pa = {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: ISTIO_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
        spec: { mtls: { mode: o.mtls.toUpperCase() } },
      };
      await apply(runner, JSON.stringify(pa), 'Setting mesh-wide mTLS');
      return o.mtls;
    },
  };
}

export function injectionStep(): StepTask<UpContext> {
  return {
    title: 'Sidecar injection',
    run: async (ctx) => {
      const { runner, options: o } = ctx;
      const namespaces = imaginary(ctx) ? [] : (ctx.snapshot?.namespaces ?? (await listNamespaces(runner)));
      const plan = planInjection(namespaces, o.namespaces, ctx.applied?.istioRevision);
      await enableInjection(runner, plan.enable, ctx.applied?.istioRevision);
      await disableInjection(runner, plan.disable);
      ctx.injected = o.namespaces;
      const parts = [
        plan.enable.length ? `enabled in ${plan.enable.join(', ')}` : '',
        plan.unchanged.length ? `already on in ${plan.unchanged.join(', ')}` : '',
        plan.disable.length ? `removed from ${plan.disable.join(', ')}` : '',
      ].filter(Boolean);
      return parts.join('; ') || 'no namespaces';
    },
  };
}

/** Polls istio-system's pods every few seconds and reports the first problem it finds. */
export function watchPods(ctx: UpContext, report: (line: string) => void, everyMs = 5000): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const pods = await listObjects(ctx.runner, 'pods', { namespace: ISTIO_NAMESPACE }).catch(() => [] as KubeObject[]);
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
