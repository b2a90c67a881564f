// Mesh-wide mTLS: the PeerAuthentication istio-system/default, set to the spec's mode; removed
// when the spec no longer asks for one and meshup made it.
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { peerAuthentication } from '../istio/mtls.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { adopting, conflict, type PlanContext, type Planned } from './types.js';

export function planMtls({ spec, observed, seen, kube, adopt }: PlanContext): Planned {
  const have = seen ? observed.peerAuthentication : undefined;
  const name = 'peerauthentication istio-system/default';
  if (!spec.mtls) {
    if (!have?.managed) return {};
    return {
      actions: [
        {
          id: 'mtls',
          change: 'delete',
          title: 'remove the mesh-wide mTLS setting meshup made',
          reasons: [],
          commands: [kube(['delete', 'peerauthentication/default', '--ignore-not-found', '--wait=false', '-n', ISTIO_NAMESPACE])],
          op: { type: 'mtls' },
        },
      ],
    };
  }
  // The mesh-wide setting is one object: a person's own is not meshup's to change.
  if (have && !have.managed && !adopt) return { blockers: [conflict([name], 'setting mesh-wide mTLS')] };
  if (have?.managed && have.mode === spec.mtls) {
    return {
      actions: [
        { id: 'mtls', change: 'none', title: `mesh-wide mTLS ${spec.mtls} unchanged`, reasons: [], commands: [], op: { type: 'mtls', mode: spec.mtls } },
      ],
    };
  }
  return {
    actions: [
      {
        id: 'mtls',
        change: have ? 'update' : 'create',
        title: `set mesh-wide mTLS to ${spec.mtls}`,
        reasons: have ? [...(have.managed ? [] : [adopting([name])]), `it is ${have.mode ?? 'unset'}`] : [],
        commands: [kube(applyArgs(), JSON.stringify(peerAuthentication(spec.mtls)))],
        op: { type: 'mtls', mode: spec.mtls },
      },
    ],
  };
}
