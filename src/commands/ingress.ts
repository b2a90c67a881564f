// meshup ingress: the gateway's host and port, as text, shell exports (--env) or JSON. Without
// --gateway: istio-ingressgateway, or where there is none, the Gateway API gateway meshup expose
// deploys (istio-ingress/meshup-ingress).

import { MeshupError } from '../errors.js';
import { SHARED_GATEWAY } from '../expose/objects.js';
import { lookupIngress } from '../ingress/lookup.js';
import { proofLine, proveIngress } from '../ingress/probe.js';
import { envLines } from '../ingress/resolve.js';
import { clusterNotRunning } from '../preflight/checks.js';
import type { App } from '../session/app.js';
import { openTarget } from '../session/target.js';

export async function ingress(app: App): Promise<void> {
  const { runner, spec: o, context, provider } = await openTarget(app);
  const down = provider.creates ? await clusterNotRunning(runner, o, provider, 'so there is no gateway to reach') : undefined;
  if (down) throw down;
  const flags = app.flags as { gateway?: string; namespace?: string };
  // meshup's own Gateway API gateway is found by its name alone.
  const namespace = flags.namespace ?? (flags.gateway === SHARED_GATEWAY.name ? SHARED_GATEWAY.namespace : 'default');
  const r = await lookupIngress(runner, o, provider, context, {}, flags.gateway ? { name: flags.gateway, namespace } : undefined);
  const proof = await proveIngress(r, { reach: provider.ingress, providerName: provider.name, clusterName: o.clusterName, context }, app.signal);
  app.out.result(proof ? { ...r, probe: proof } : r);
  if (proof && !proof.answered) app.out.warn(`${proofLine(proof)}${proof.fix ? ` (fix: ${proof.fix})` : ''}`);
  if ((app.flags as { env?: boolean }).env) {
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
