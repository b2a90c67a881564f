// The record: what this plan converges to, written to the cluster last, so later commands and
// `status` can compare. A partial plan (`addons enable`) records only what it changes, over what
// the cluster recorded.
import type { Spec } from '../config/spec.js';
import { type AppliedSpec, appliedSpecManifest } from '../state/applied-spec.js';
import { applyArgs } from '../tools/kubectl-args.js';
import type { PlanContext, Planned } from './types.js';

function appliedSpecOf(spec: Spec, overlayHash: string): AppliedSpec {
  return {
    provider: spec.provider,
    clusterName: spec.clusterName,
    profile: spec.profile.name,
    profileRef: spec.profileRef,
    istioVersion: spec.istioVersion,
    ...(spec.revision ? { istioRevision: spec.revision } : {}),
    overlayHash,
    addons: [...spec.addons],
    namespaces: [...spec.namespaces],
    dataplane: spec.dataplane,
    ...(spec.mtls ? { mtls: spec.mtls } : {}),
    ...(spec.gatewayApi ? {} : { gatewayApi: false }),
  };
}

export function planRecord({ spec, observed, overlay, only, kube, provider }: PlanContext, want: (t: 'addon' | 'injection') => boolean): Planned {
  const recorded = observed.recorded;
  const next = appliedSpecOf(spec, overlay.hash);
  // Reached by context (--provider existing), a cluster meshup made stays recorded as what it is.
  if (recorded && !provider.creates) Object.assign(next, { provider: recorded.provider, clusterName: recorded.clusterName });
  if (only) {
    Object.assign(next, {
      ...recorded,
      ...(want('addon') ? { addons: [...spec.addons] } : {}),
      ...(want('injection') ? { namespaces: [...spec.namespaces] } : {}),
    });
  }
  if (sameRecord(recorded, next) || (only && !recorded)) return {};
  return {
    actions: [
      {
        id: 'record',
        change: 'update',
        title: 'record the applied spec in kube-public/meshup',
        reasons: [],
        commands: [kube(applyArgs(), appliedSpecManifest(next, '<meshup version>'))],
        op: { type: 'record', spec: next },
      },
    ],
  };
}

function sameRecord(a: AppliedSpec | undefined, b: AppliedSpec): boolean {
  if (!a) return false;
  const norm = (s: AppliedSpec) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(s)
          .filter(([, v]) => v !== undefined)
          .sort(([x], [y]) => x.localeCompare(y)),
      ),
    );
  return norm(a) === norm(b);
}
