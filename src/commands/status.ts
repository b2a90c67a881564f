// meshup status: the cluster, what meshup recorded, and how the mesh's workloads are doing.
import type { App } from '../cli/app.js';
import { providerFor } from '../providers/index.js';
import { readAppliedSpec } from '../state/record.js';
import { getNodes, listObjects, type KubeObject } from '../tools/kubectl.js';
import { table } from '../ui/table.js';
import { ISTIO_NAMESPACE } from '../istio/labels.js';
import { defaultProvider, loadOptions, resolveTarget } from './target.js';

interface DeploymentStatus {
  name: string;
  ready: string;
  ok: boolean;
}

export function deploymentStatus(d: KubeObject): DeploymentStatus {
  const spec = (d.spec ?? {}) as { replicas?: number };
  const st = (d.status ?? {}) as { readyReplicas?: number };
  const want = spec.replicas ?? 1;
  const have = st.readyReplicas ?? 0;
  return { name: d.metadata.name, ready: `${have}/${want}`, ok: have >= want };
}

export async function status(app: App): Promise<void> {
  const o = await loadOptions(app);
  o.provider ??= defaultProvider(o, app.io.env);
  const runner = app.runner();
  const target = await resolveTarget(runner, o);
  const cluster = await providerFor(o.provider).status(runner, o);
  const report: Record<string, unknown> = { provider: o.provider, cluster: o.clusterName, context: target.context, state: cluster.state };
  const { out } = app;
  out.print(`Cluster   ${o.clusterName} (${o.provider}, context ${target.context}): ${cluster.state}`);
  if (cluster.state === 'running') {
    const [nodes, spec, deployments] = await Promise.all([
      getNodes(runner),
      readAppliedSpec(runner),
      listObjects(runner, 'deployments', { namespace: ISTIO_NAMESPACE }),
    ]);
    report.nodes = nodes.map((n) => ({ name: n.name, ready: n.ready, version: n.kubeletVersion }));
    report.applied = spec ?? null;
    report.deployments = deployments.map(deploymentStatus);
    out.print(`Nodes     ${nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'}`).join(', ')}`);
    if (spec) {
      out.print(`Mesh      profile ${spec.profile}, Istio ${spec.istioVersion ?? '-'}; injection: ${spec.namespaces?.join(', ') || 'none'}; addons: ${spec.addons?.join(', ') || 'none'}`);
    } else {
      out.print('Mesh      not installed by meshup (run: meshup up)');
    }
    if (deployments.length) {
      out.print('');
      out.print(table(['DEPLOYMENT (istio-system)', 'READY'], deployments.map(deploymentStatus).map((d) => [d.name, d.ok ? out.c.green(d.ready) : out.c.red(d.ready)])));
    }
  }
  out.result(report);
}
