// What a cluster of a multi-cluster mesh holds of the mesh's trust, and what meshup keeps for it
// on disk: istio-system/cacerts (whose it is, and which root and intermediate it carries), and the
// root and intermediate in meshup's state directory. Read only for a member of a set.
import type { Spec } from '../config/spec.js';
import type { Runner } from '../exec/runner.js';
import { MANAGED_BY } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { getObject } from '../tools/kubectl.js';
import { chainProblem, clusterCerts } from '../trust/ca.js';

export interface TrustObserved {
  /** istio-system/cacerts; undefined when it is not there. */
  secret?: { rootCert?: string; caCert?: string; ours: boolean };
  /** This cluster's intermediate and the root on disk, when both are there and chain; `problem`
   * when they are there and do not. */
  onDisk?: { rootCert: string; caCert: string; problem?: string };
}

const decoded = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);

export async function readTrust(runner: Runner, spec: Spec, reachable: boolean): Promise<TrustObserved> {
  const [secret, onDisk] = await Promise.all([
    reachable ? getObject<KubeObject & { data?: Record<string, string> }>(runner, 'secret', 'cacerts', 'istio-system') : undefined,
    clusterCerts(runner.env, spec.clusterName).then(
      (c) => ({ rootCert: c.rootCert, caCert: c.caCert, problem: chainProblem(c) }),
      () => undefined,
    ),
  ]);
  return {
    ...(secret
      ? {
          secret: {
            rootCert: decoded(secret.data?.['root-cert.pem']),
            caCert: decoded(secret.data?.['ca-cert.pem']),
            ours: claimOf(secret, { label: 'app.kubernetes.io/managed-by', value: MANAGED_BY['app.kubernetes.io/managed-by'] }) === 'ours',
          },
        }
      : {}),
    ...(onDisk ? { onDisk } : {}),
  };
}
