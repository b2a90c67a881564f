// What `up` reads once it has applied (or verified) a cluster: whether the mesh works as it is,
// and where its gateway is reached; for one cluster or each of a mesh's.
import { MeshupError } from '../errors.js';
import { lookupIngress } from '../ingress/lookup.js';
import type { IngressResult } from '../ingress/resolve.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { meshProblems } from '../observe/health.js';
import { listObjects } from '../tools/kubectl.js';
import type { Prepared } from './converge.js';

/** Ends `up` with the mesh's problems, if it has any, instead of saying it is ready. */
export async function refuseUnhealthy(p: Prepared, changed: boolean): Promise<void> {
  if (!changed && !p.observed.istio.present) return;
  const workloads = changed
    ? await listObjects(p.target.runner, 'deployments,daemonsets', { namespace: ISTIO_NAMESPACE })
    : p.observed.istio.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  const problems = meshProblems(p.spec, workloads);
  if (!problems.length) return;
  throw new MeshupError(`The mesh is not ready: ${problems[0]!.message}`, {
    details: problems.slice(1).map((x) => x.message),
    fix: [...new Set(problems.map((x) => x.fix))],
  });
}

/** The gateway's address, from what was read unless the control plane changed since: Istio's
 * classic gateway, or the Gateway API gateway `meshup expose` deploys on meshes without one. */
export async function gateway(p: Prepared, istioChanged: boolean): Promise<IngressResult | undefined> {
  const { runner, provider, context } = p.target;
  const known = istioChanged || !p.observed.reachable ? {} : { nodes: p.observed.nodes, istio: p.observed.istio.objects, hostPorts: p.observed.hostPorts };
  return lookupIngress(runner, p.spec, provider, context, known).catch(() =>
    p.spec.gateway.ingress ? undefined : { how: 'none', reachable: false, message: 'none yet: meshup expose SERVICE routes one through the Gateway API' },
  );
}
