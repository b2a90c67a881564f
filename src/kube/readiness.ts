// The one rule for whether a workload is ready, read by `up` (the plan's repairs, the addons'
// wait), `status` and `addons list`, so they never disagree. Pure: no I/O.
import type { KubeObject } from './objects.js';

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export interface Readiness {
  /** Ready pods: ready replicas, or a DaemonSet's ready nodes. */
  ready: number;
  /** What it asks for: replicas (1 when unset), or the nodes a DaemonSet is scheduled on. */
  wanted: number;
  ok: boolean;
}

/** A DaemonSet whose controller has not reported yet counts as wanting one pod: not ready. */
export function readiness(o: KubeObject): Readiness {
  const spec = (o.spec ?? {}) as { replicas?: number };
  const st = (o.status ?? {}) as { readyReplicas?: number; numberReady?: number; desiredNumberScheduled?: number };
  const daemon = o.kind === 'DaemonSet';
  const wanted = daemon ? (st.desiredNumberScheduled ?? 1) : (spec.replicas ?? 1);
  const ready = (daemon ? st.numberReady : st.readyReplicas) ?? 0;
  return { ready, wanted, ok: ready >= wanted };
}

export const workloadReady = (o: KubeObject): boolean => readiness(o).ok;
