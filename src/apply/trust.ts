// A cluster's share of the mesh's trust, put in before istiod starts: the root (made once for
// every cluster) and the cluster's intermediate, from meshup's state directory (made there when
// missing or unusable), into istio-system/cacerts; istio-system carries the cluster's network
// (Istio's multi-network discovery reads it from there).
import { ISTIO_NAMESPACE, MANAGED_BY } from '../istio/labels.js';
import type { Action } from '../plan/types.js';
import { apply, rolloutRestart } from '../tools/kubectl.js';
import { cacertsSecret, clusterCerts, ensureIntermediate, ensureRoot } from '../trust/ca.js';
import type { Note, StepContext } from './types.js';

export async function putTrust(x: StepContext, a: Action): Promise<Note> {
  if (a.op.type !== 'trust') return;
  const { runner, spec } = x.input;
  x.progress("the mesh's root and this cluster's intermediate CA");
  const root = await ensureRoot(runner);
  const intermediate = await ensureIntermediate(runner, spec.clusterName, { rotate: root.made || !!a.op.rotate });
  const certs = await clusterCerts(runner.env, spec.clusterName);
  const namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ISTIO_NAMESPACE, labels: spec.mesh ? { 'topology.istio.io/network': spec.mesh.network } : {} },
  };
  const secret = cacertsSecret(certs);
  (secret.metadata as { labels: Record<string, string> }).labels = { ...MANAGED_BY };
  x.progress(`${ISTIO_NAMESPACE}/cacerts`);
  await apply(runner, [namespace, secret], `Putting ${spec.clusterName}'s intermediate CA in ${ISTIO_NAMESPACE}/cacerts`);
  if (a.op.restartIstiod) await rolloutRestart(runner, ISTIO_NAMESPACE, ['deployment/istiod']);
  return intermediate.made ? `made ${root.made ? "the mesh's root and " : ''}the intermediate CA of ${spec.clusterName}` : undefined;
}
