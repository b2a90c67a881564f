// meshup status: the cluster, the mesh and the addons as they are, and where they differ from
// what meshup recorded (each difference is something `meshup up` would repair).

import { ExitCode } from '../errors.js';
import { describeGatewayApi } from '../gatewayapi/observe.js';
import { lookupIngress } from '../ingress/lookup.js';
import { modeOf } from '../istio/injection.js';
import type { KubeObject } from '../kube/objects.js';
import { readiness } from '../kube/readiness.js';
import { meshProblems } from '../observe/health.js';
import { readRemoteSecrets } from '../observe/remote-secrets.js';
import { type MemberSeen, planRemoteSecrets } from '../plan/remote-secrets.js';
import { changes, symbolOf } from '../plan/types.js';
import { noClusterHelp } from '../preflight/checks.js';
import type { App } from '../session/app.js';
import { memberApp } from '../session/cluster-set.js';
import { planFor } from '../session/converge.js';
import { observeTarget, openTarget, type Target } from '../session/target.js';
import { changingNow, describeHolder } from '../state/lock.js';
import { unfinishedUp } from '../state/target.js';
import { kubeconfigCa } from '../tools/kubectl.js';
import { table } from '../ui/table.js';

interface DeploymentStatus {
  name: string;
  ready: string;
  ok: boolean;
}

/** A Deployment's ready replicas, or a DaemonSet's ready nodes (ztunnel, istio-cni). */
export function deploymentStatus(d: KubeObject): DeploymentStatus {
  const r = readiness(d);
  return { name: d.kind === 'DaemonSet' ? `daemonset/${d.metadata.name}` : d.metadata.name, ready: `${r.ready}/${r.wanted}`, ok: r.ok };
}

export async function status(app: App): Promise<number | undefined> {
  const target = await openTarget(app);
  const { runner, provider, context } = target;
  const { spec, observed } = await observeTarget(app, target);
  const { out } = app;
  const state = observed.cluster.state;
  const report: Record<string, unknown> = { provider: spec.provider, cluster: spec.clusterName, context, state };
  out.print(
    `Cluster   ${spec.clusterName} (${spec.provider}, context ${context}): ${state}${observed.cluster.detail ? ` (${observed.cluster.detail.split('\n')[0]})` : ''}`,
  );
  // target.json marks an `up` until it finishes: one that was stopped left the cluster as it was,
  // unless it is still running, as the lock of the context says.
  const [unfinished, writer] = await Promise.all([unfinishedUp(app.io.env, provider.name, spec.clusterName), changingNow(app.io.env, context)]);
  if (writer) {
    report.changingNow = { pid: writer.pid, command: writer.command, since: writer.startedAt };
    out.print(out.c.yellow(`Changing: ${describeHolder(writer)} is changing it now; what follows may be halfway`));
  } else if (unfinished) {
    report.unfinishedUp = { since: unfinished.since };
    const removal = provider.creates ? 'meshup down' : 'meshup down --keep-cluster';
    out.print(out.c.yellow(`Unfinished: meshup's last up on it did not finish (started ${unfinished.since}). Finish it: meshup up (or remove it: ${removal})`));
  }
  if (state === 'absent') {
    // How to make it, and what stands in the way (Docker not answering).
    const help = await noClusterHelp(runner, spec, provider);
    out.print(`No ${provider.name} cluster "${spec.clusterName}" exists${help.problem ? `, and ${help.problem}` : ''}. ${help.fix[0]}`);
    for (const f of help.fix.slice(1)) out.print(`${f[0]!.toUpperCase()}${f.slice(1)}`);
    report.problem = help.problem ?? null;
    report.fix = help.fix;
    out.result(report);
    return;
  }
  if (!observed.reachable) {
    out.print(`Its API server does not answer. ${provider.brokenFix(spec)}`);
    out.result(report);
    return;
  }
  const recorded = observed.recorded;
  const deployments = observed.istio.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  const injected = observed.namespaces.filter((n) => modeOf(n.metadata.labels) === 'sidecar').map((n) => n.metadata.name);
  const ambient = observed.namespaces.filter((n) => modeOf(n.metadata.labels) === 'ambient').map((n) => n.metadata.name);
  const addons = Object.entries(observed.addons).filter(([, a]) => a.present);
  // istio-ingressgateway, or where the mesh has none, the Gateway API gateway meshup expose deployed.
  const gateway = observed.istio.present
    ? await lookupIngress(runner, spec, provider, context, { nodes: observed.nodes, istio: observed.istio.objects, hostPorts: observed.hostPorts }).catch(
        () => undefined,
      )
    : undefined;
  // Drift: what `meshup up` would change to get back to what was recorded.
  const drift = recorded ? planFor(target, spec, observed).actions.filter((a) => changes(a) && a.op.type !== 'record') : [];
  report.nodes = observed.nodes.map((n) => ({ name: n.name, ready: n.ready, version: n.kubeletVersion }));
  report.applied = recorded ?? null;
  report.deployments = deployments.map(deploymentStatus);
  report.injection = injected;
  report.ambient = ambient;
  report.addons = addons.map(([name, a]) => ({ addon: name, ready: a.notReady.length === 0, missing: a.missing.length }));
  report.ingress = gateway ?? null;
  report.gatewayApi = observed.gatewayApi?.crds ?? null;
  report.drift = drift.map((a) => ({ title: a.title, reasons: a.reasons }));
  // Only a mesh meshup installed is judged: another's workloads are not meshup's to name.
  const problems = recorded && observed.istio.present ? meshProblems(spec, deployments) : [];
  report.problems = problems;
  out.print(`Nodes     ${observed.nodes.map((n) => `${n.name} ${n.ready ? 'Ready' : 'NotReady'}`).join(', ')}`);
  out.print(
    recorded
      ? `Mesh      profile ${recorded.profile}, Istio ${recorded.istioVersion ?? '-'}${recorded.istioRevision ? ` (revision ${recorded.istioRevision})` : ''}, ${recorded.dataplane ?? 'sidecar'} dataplane${recorded.mtls ? `, mTLS ${recorded.mtls}` : ''}`
      : 'Mesh      not installed by meshup (run: meshup up)',
  );
  if (recorded?.upgrade) {
    out.print(
      out.c.yellow(
        `Upgrade   upgrade to Istio ${recorded.upgrade.to} under way (revision ${recorded.upgrade.revision}): meshup upgrade resumes it, --finish completes it, --rollback undoes it`,
      ),
    );
  }
  if (injected.length || !ambient.length) out.print(`Injection ${injected.join(', ') || 'none'}`);
  if (ambient.length) out.print(`Ambient   ${ambient.join(', ')}`);
  out.print(`Addons    ${addons.map(([name, a]) => `${name}${a.notReady.length ? ' (not ready)' : ''}`).join(', ') || 'none'}`);
  out.print(`CRDs      ${describeGatewayApi(observed.gatewayApi)}`);
  if (gateway) out.print(`Gateway   ${gateway.reachable ? `${gateway.url} (${gateway.how})` : gateway.message}`);
  if (app.member) {
    const seen = await discovery(app, target, spec.clusterName);
    report.mesh = { meshId: app.member.set.meshId, network: spec.mesh?.network, discovery: seen };
    out.print(`Mesh ID   ${app.member.set.meshId}, network ${spec.mesh?.network ?? '-'}`);
    for (const d of seen)
      out.print(d.sees ? `Sees      ${d.cluster} (remote secret, server ${d.server})` : out.c.yellow(`Misses    ${d.cluster}: ${d.why}; meshup up repairs it`));
  }
  if (drift.length) {
    out.print('');
    out.print(out.c.yellow(`Drift: ${drift.length} difference${drift.length > 1 ? 's' : ''} from what meshup applied; meshup up repairs them:`));
    for (const a of drift) {
      out.print(out.c.yellow(`  ${symbolOf(a)} ${a.title}`));
      for (const r of a.reasons) out.print(`      ${r}`);
    }
  }
  if (problems.length) {
    out.print('');
    out.print(out.c.red(`Problems: ${problems.length}; the mesh does not work as it is:`));
    for (const p of problems) out.print(out.c.red(`  ! ${p.message}\n      fix: ${p.fix}`));
  }
  if (deployments.length) {
    out.print('');
    out.print(
      table(
        ['WORKLOAD (istio-system)', 'READY'],
        deployments.map(deploymentStatus).map((d) => [d.name, d.ok ? out.c.green(d.ready) : out.c.red(d.ready)]),
      ),
    );
  }
  out.result(report);
  // A mesh with problems is not a healthy status: scripts can tell by the exit code.
  return problems.length ? ExitCode.failed : undefined;
}

/** Whether this cluster's istiod can read each other cluster of its mesh: a remote secret for it
 * that names the address it reaches that cluster at. */
async function discovery(app: App, self: Target, name: string): Promise<{ cluster: string; sees: boolean; server?: string; why?: string }[]> {
  const m = app.member!;
  const secrets = await readRemoteSecrets(self.runner);
  const peers = await Promise.all(
    m.set.members
      .filter((x) => x.name !== name)
      .map(async (x): Promise<MemberSeen> => {
        const t = await openTarget(memberApp(m.of, m.set, x));
        const state = (await t.provider.status(t.runner, t.spec)).state;
        if (state !== 'running') return { name: x.name, context: t.context, addressError: `it is ${state}` };
        const [address, ca] = await Promise.all([
          (t.provider.peerApiServer?.(t.runner, t.spec) ?? Promise.reject(new Error(`${t.provider.name} cannot say where it is reached`))).then(
            (a) => ({ address: a }),
            (e: unknown) => ({ addressError: e instanceof Error ? e.message : String(e) }),
          ),
          kubeconfigCa(t.runner).catch(() => undefined),
        ]);
        return { name: x.name, context: t.context, ...address, ...(ca ? { ca } : {}) };
      }),
  );
  const p = planRemoteSecrets([{ name, context: self.context, secrets }, ...peers]);
  return peers.map((peer) => {
    if (peer.addressError) return { cluster: peer.name, sees: false, why: `its address is not known (${peer.addressError})` };
    const a = (p.actions ?? []).find((x) => x.op.type === 'remote-secret' && x.op.into === name && x.op.of === peer.name);
    if (a?.change === 'none') return { cluster: peer.name, sees: true, server: peer.address };
    const blocker = (p.blockers ?? []).find((b) => b.message.includes(`for ${peer.name}`));
    return { cluster: peer.name, sees: false, why: a?.reasons.join('; ') || blocker?.message || 'no remote secret for it' };
  });
}
