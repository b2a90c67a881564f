// The steps of `meshup up`, as data. Each factory returns a task that converges one part and
// says what it did ("created", "reused", "unchanged"); the same list drives the task renderer,
// --dry-run (changing commands printed, not run) and --json (a result per step).
import type { App } from '../cli/app.js';
import { MeshupError } from '../errors.js';
import type { Options } from '../config/resolve.js';
import type { Addon } from '../config/schema.js';
import type { Runner } from '../exec/runner.js';
import type { Finding } from '../preflight/checks.js';
import type { ClusterState } from '../providers/types.js';
import { waitForReadyNodes } from '../providers/wait.js';
import { rememberCreated, writeAppliedSpec, type AppliedSpec } from '../state/record.js';
import { readSnapshot, type Snapshot } from './snapshot.js';
import type { StepTask } from '../ui/tasks.js';
import type { Target } from '../commands/target.js';
import { injectionStep, istioStep, mtlsStep } from './istio-steps.js';
import { addonsStep } from './addon-steps.js';
import { lookupIngress } from '../ingress/lookup.js';
import type { IngressResult } from '../ingress/resolve.js';

export type IngressSummary = IngressResult;

export interface UpContext {
  app: App;
  runner: Runner;
  options: Options;
  target: Target;
  catalog: Map<string, Addon>;
  notes: string[];
  findings?: Finding[];
  clusterState?: ClusterState;
  /** The cluster is new in this run (under --dry-run: would be), so there is nothing to read. */
  fresh?: boolean;
  /** What an earlier run recorded in the cluster. */
  applied?: AppliedSpec;
  /** The spec this run converges to; recorded at the end. */
  desired?: AppliedSpec;
  injected?: string[];
  nodes?: import('../tools/kubectl.js').NodeInfo[];
  /** What the cluster held before this run changed anything. */
  snapshot?: Snapshot;
  /** The control plane was (re)installed in this run, so the snapshot's istio-system is stale. */
  istioChanged?: boolean;
  ingress?: IngressSummary;
  done?: boolean;
}

/** Reads are pointless (and would fail) on a cluster that a dry run only pretends to create. */
export const imaginary = (ctx: UpContext) => ctx.runner.dryRun && !!ctx.fresh;

export function clusterStep(): StepTask<UpContext> {
  return {
    title: 'Cluster',
    run: async (ctx) => {
      const { runner, options: o, target } = ctx;
      const p = target.provider;
      let note: string;
      switch (ctx.clusterState) {
        case 'absent':
          if (!p.creates) throw new MeshupError(`Context "${target.context}" has no reachable cluster`, { fix: 'Start that cluster, or pick a provider that creates one' });
          await p.create(runner, o);
          if (!runner.dryRun) await rememberCreated(runner.env, p.name, o.clusterName);
          ctx.fresh = true;
          note = `created ${p.name} cluster ${o.clusterName}`;
          break;
        case 'stopped':
        case 'paused':
          await p.start(runner, o);
          note = `started ${p.name} cluster ${o.clusterName}`;
          break;
        case 'broken':
          if (p.name === 'minikube') {
            // minikube start repairs a half-running profile without losing it.
            await p.start(runner, o);
            note = `repaired minikube profile ${o.clusterName}`;
            break;
          }
          throw new MeshupError(`The ${p.name} cluster "${o.clusterName}" exists but does not answer`, {
            fix: p.name === 'kind' ? `Restart Docker, or recreate it: kind delete cluster --name ${o.clusterName} && meshup up` : 'Start it, then run meshup up again',
          });
        default:
          note = `reusing ${p.name} cluster ${o.clusterName}`;
      }
      runner.pinContext(target.context);
      if (!imaginary(ctx)) {
        // The snapshot's reads go out with the readiness check; a cluster that was not ready yet
        // is read again once it is.
        let snap = await readSnapshot(runner).catch(() => undefined);
        if (!snap || !snap.nodes.length || !snap.nodes.every((n) => n.ready)) {
          await waitForReadyNodes(runner, o.timeoutMs);
          snap = await readSnapshot(runner);
        }
        ctx.snapshot = snap;
        ctx.nodes = snap.nodes;
        ctx.applied = snap.applied;
      }
      return note;
    },
  };
}

export function recordStep(): StepTask<UpContext> {
  return {
    title: 'Recording the applied spec',
    run: async (ctx) => {
      const o = ctx.options;
      const desired: AppliedSpec = {
        provider: o.provider!,
        clusterName: o.clusterName,
        profile: o.profile.name,
        ...ctx.desired,
        addons: o.addons,
        namespaces: o.namespaces,
        mtls: o.mtls,
      };
      if (ctx.applied && JSON.stringify(normalise(ctx.applied)) === JSON.stringify(normalise(desired))) {
        ctx.done = true;
        return 'unchanged';
      }
      await writeAppliedSpec(ctx.runner, desired, ctx.app.version);
      ctx.done = true;
      return undefined;
    },
  };
}

export function ingressStep(): StepTask<UpContext> {
  return {
    title: 'Ingress gateway',
    skip: (ctx) => (!ctx.options.gateway.ingress ? 'the profile has no ingress gateway' : imaginary(ctx) ? 'the cluster does not exist yet' : false),
    run: async (ctx) => {
      const known = ctx.snapshot && !ctx.istioChanged ? { nodes: ctx.nodes, istio: ctx.snapshot.istio } : { nodes: ctx.nodes };
      const r = await lookupIngress(ctx.runner, ctx.options, ctx.target.context, known);
      ctx.ingress = r;
      return r.reachable ? r.url : 'not reachable from here';
    },
  };
}

function normalise(s: AppliedSpec): AppliedSpec {
  return JSON.parse(JSON.stringify(s, Object.keys(s).sort())) as AppliedSpec;
}

export function buildUpSteps(_ctx: UpContext): StepTask<UpContext>[] {
  return [clusterStep(), istioStep(), mtlsStep(), injectionStep(), addonsStep(), recordStep(), ingressStep()];
}
