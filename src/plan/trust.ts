// A cluster of a multi-cluster mesh trusts the others through one root: its istiod signs with an
// intermediate CA the mesh's root signed, put in istio-system/cacerts before istiod starts (istiod
// reads it only at its start). Pure: what is on disk and in the cluster was read before.
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, conflict, type PlanContext, type Planned } from './types.js';

export function planTrust(ctx: PlanContext): Planned {
  const { spec, observed, adopt, rotateCa } = ctx;
  if (!spec.mesh) return {};
  const trust = observed.trust ?? {};
  const cluster = spec.clusterName;
  const secret = trust.secret;
  const disk = trust.onDisk;
  if (secret && !secret.ours && !adopt) return { blockers: [conflict([`secret ${ISTIO_NAMESPACE}/cacerts`], "the mesh's shared root of trust")] };
  // istiod reads cacerts when it starts: one already running keeps its old CA until restarted.
  const istiodRuns = observed.istio.present;
  const generate = !disk || !!disk.problem || !!rotateCa;
  const matches = !!secret && !generate && secret.rootCert === disk!.rootCert && secret.caCert === disk!.caCert;
  const id = 'trust';
  if (matches && secret.ours) {
    return {
      actions: [
        {
          id,
          change: 'none',
          title: `keep ${cluster}'s intermediate CA (signed by the mesh's root) in ${ISTIO_NAMESPACE}/cacerts`,
          reasons: [],
          commands: [],
          op: { type: 'trust', generate: false, restartIstiod: false },
        },
      ],
    };
  }
  const reasons = [
    ...(rotateCa
      ? ['a new root and intermediates were asked for (--rotate-ca): workloads take certificates of the new CA as they renew theirs, or when restarted']
      : []),
    ...(generate && !rotateCa
      ? [disk?.problem ? `the certificates meshup keeps for ${cluster} are unusable: ${disk.problem}` : `meshup keeps no intermediate CA for ${cluster} yet`]
      : []),
    !secret
      ? `${ISTIO_NAMESPACE}/cacerts is missing`
      : rotateCa
        ? `${ISTIO_NAMESPACE}/cacerts is replaced`
        : matches
          ? `${ISTIO_NAMESPACE}/cacerts is not marked as meshup's (--adopt)`
          : `${ISTIO_NAMESPACE}/cacerts holds another CA than the mesh's`,
    ...(istiodRuns ? ['istiod reads it only when it starts: it is restarted'] : []),
  ];
  const action: Action = {
    id,
    change: secret ? 'update' : 'create',
    title: `${secret ? 'replace' : 'put'} ${cluster}'s intermediate CA, signed by the mesh's root, in ${ISTIO_NAMESPACE}/cacerts${istiodRuns ? ' and restart istiod' : ''}`,
    reasons,
    commands: [
      ...(generate ? [`openssl (root and intermediate CA, RSA 2048, kept in meshup's state directory under trust/)`] : []),
      ctx.kube(applyArgs(), `<secret ${ISTIO_NAMESPACE}/cacerts: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem>`),
      ...(istiodRuns ? [ctx.kube(['rollout', 'restart', 'deployment/istiod', '-n', ISTIO_NAMESPACE])] : []),
    ],
    op: { type: 'trust', generate, restartIstiod: istiodRuns, ...(rotateCa ? { rotate: true } : {}) },
    // New certificates replace ones that work: mTLS between old and new holds only through the restart.
    ...(rotateCa && istiodRuns ? { needsYes: true } : {}),
  };
  return { actions: [action] };
}
