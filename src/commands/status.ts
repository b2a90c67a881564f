// meshup status: the cluster, what meshup recorded, and how the mesh's workloads are doing.
import type { App } from '../cli/app.js';
import type { KubeObject } from '../tools/kubectl.js';
import { ofKind, readSnapshot } from '../steps/snapshot.js';
import { workloadMap } from '../addons/apply.js';
import { lookupIngress } from '../ingress/lookup.js';
import { table } from '../ui/table.js';
import { openTarget } from './target.js';

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
  const target = await openTarget(app);
  const { runner, options: o } = target;
  const cluster = await target.provider.status(runner, o);
  const report: Record<string, unknown> = { provider: o.provider, cluster: o.clusterName, context: target.context, state: cluster.state };
  const { out } = app;
  out.print(`Cluster   ${o.clusterName} (${o.provider}, context ${target.context}): ${cluster.state}`);
  if (cluster.state === 'running') {
    const snap = await readSnapshot(runner);
    const { nodes, applied: spec } = snap;
    const deployments = ofKind(snap.istio, 'Deployment');
    const injected = snap.namespaces.filter((n) => n.metadata.labels?.['istio-injection'] === 'enabled' || n.metadata.labels?.['istio.io/rev']).map((n) => n.metadata.name);
    const addons = workloadMap(snap.istio);
    const gateway = ofKind(snap.istio, 'Service').some((x) => x.metadata.name === 'istio-ingressgateway')
      ? await lookupIngress(runner, o, target.context, { nodes, istio: snap.istio }).catch(() => undefined)
      : undefined;
    report.nodes = nodes.map((n) => ({ name: n.name, ready: n.ready, version: n.kubeletVersion }));
    report.applied = spec ?? null;
    report.deployments = deployments.map(deploymentStatus);
    report.injection = injected;
    report.addons = [...addons.values()].map((a) => ({ addon: a.addon, workload: a.object.metadata.name, ready: a.ready }));
    report.ingress = gateway ?? null;
    out.print(`Nodes     ${nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'}`).join(', ')}`);
    if (spec) {
      out.print(`Mesh      profile ${spec.profile}, Istio ${spec.istioVersion ?? '-'}${spec.mtls ? `, mTLS ${spec.mtls}` : ''}`);
    } else {
      out.print('Mesh      not installed by meshup (run: meshup up)');
    }
    out.print(`Injection ${injected.join(', ') || 'none'}`);
    out.print(`Addons    ${[...addons.values()].map((a) => `${a.addon}${a.ready ? '' : ' (not ready)'}`).join(', ') || 'none'}`);
    if (gateway) out.print(`Gateway   ${gateway.reachable ? `${gateway.url} (${gateway.how})` : gateway.message}`);
    if (deployments.length) {
      out.print('');
      out.print(table(['DEPLOYMENT (istio-system)', 'READY'], deployments.map(deploymentStatus).map((d) => [d.name, d.ok ? out.c.green(d.ready) : out.c.red(d.ready)])));
    }
  }
  out.result(report);
}
