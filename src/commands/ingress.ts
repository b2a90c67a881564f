// meshup ingress: the gateway's host and port, as text, shell exports (--env) or JSON. Without
// --gateway: istio-ingressgateway, or where there is none, the Gateway API gateway meshup expose
// deploys (istio-ingress/meshup-ingress).

import { MeshupError, UsageError } from '../errors.js';
import { SHARED_GATEWAY } from '../expose/objects.js';
import { lookupIngress } from '../ingress/lookup.js';
import { proofLine, proveIngress } from '../ingress/probe.js';
import { envLines } from '../ingress/resolve.js';
import { assertTunnels, runTunnel } from '../ingress/tunnel.js';
import { clusterNotRunning } from '../preflight/checks.js';
import type { App } from '../session/app.js';
import { openTarget } from '../session/target.js';
import { listObjects } from '../tools/kubectl.js';

export async function ingress(app: App): Promise<void> {
  const flags = app.flags as { gateway?: string; namespace?: string; tunnel?: boolean; env?: boolean };
  const { runner, spec: o, context, provider } = await openTarget(app);
  if (flags.tunnel) {
    assertTunnels(provider);
    if (flags.env) throw new UsageError('--tunnel and --env do not go together: the tunnel lives only while meshup runs', { fix: 'Use one of them' });
    if (app.switches.dryRun)
      throw new UsageError('--tunnel and --dry-run do not go together: the tunnel is a process meshup starts', { fix: 'Drop --dry-run' });
  }
  const down = provider.creates ? await clusterNotRunning(runner, o, provider, 'so there is no gateway to reach') : undefined;
  if (down) throw down;
  // meshup's own Gateway API gateway is found by its name alone.
  const namespace = flags.namespace ?? (flags.gateway === SHARED_GATEWAY.name ? SHARED_GATEWAY.namespace : 'default');
  const r = await lookupIngress(runner, o, provider, context, {}, flags.gateway ? { name: flags.gateway, namespace } : undefined);
  if (flags.tunnel) {
    if (!r.service) throw new MeshupError(`No gateway Service to tunnel to: ${r.message ?? 'none found'}`, { fix: r.hint });
    const [ns, name] = r.service.split('/') as [string, string];
    const svc = (await listObjects(runner, 'services', { namespace: ns })).find((s) => s.metadata.name === name);
    const ports = ((svc?.spec ?? {}) as { ports?: { name?: string; port: number; nodePort?: number }[] }).ports ?? [];
    // r.port is what this machine uses: the Service port, or its nodePort where nodes are reached.
    const httpIndex = Math.max(
      0,
      ports.findIndex((p) => p.port === r.port || p.nodePort === r.port || p.name === 'http2' || p.name === 'http'),
    );
    const t = await runTunnel(runner, o, provider, { namespace: ns, name, httpIndex }, app.out, app.signal);
    if (t.direct) app.out.print(`${t.direct}   (no tunnel needed: ${provider.name}'s node is reachable from here)`);
    return;
  }
  const proof = await proveIngress(r, { reach: provider.ingress, providerName: provider.name, clusterName: o.clusterName, context }, app.signal);
  app.out.result(proof ? { ...r, probe: proof } : r);
  if (proof && !proof.answered) app.out.warn(`${proofLine(proof)}${proof.fix ? ` (fix: ${proof.fix})` : ''}`);
  if (flags.env) {
    if (!r.reachable) throw new MeshupError(`The gateway is not reachable from here: ${r.message}`, { fix: r.hint });
    if (!app.switches.json) app.io.stdout.write(`${envLines(r).join('\n')}\n`);
    return;
  }
  if (!r.reachable) {
    if (app.switches.json) return;
    throw new MeshupError(`The gateway is not reachable from here: ${r.message}`, { fix: r.hint });
  }
  app.out.print(`${r.url}   (${r.how}${r.securePort ? `; https port ${r.securePort}` : ''}${proof?.answered ? `; ${proofLine(proof)}` : ''})`);
}
