// A plan as a person reads it (a diff, then the exact commands) and as a script reads it (JSON).
import type { ChalkInstance } from 'chalk';
import type { Plan } from './types.js';
import { blockerText, changes, symbolOf } from './types.js';

export function renderPlan(p: Plan, header: string, c: ChalkInstance, opts: { commands: boolean }): string {
  const colour = { '+': c.green, '~': c.yellow, '-': c.red, '=': c.dim } as const;
  const lines = [header];
  for (const a of p.actions) {
    lines.push(colour[symbolOf(a)](`  ${symbolOf(a)} ${a.title}${a.needsYes ? ' (needs --yes)' : ''}`));
    for (const r of a.reasons) lines.push(c.dim(`      ${r}`));
  }
  for (const b of p.blockers) lines.push(c.red(`  ! ${blockerText(b)}`));
  for (const n of p.notes) lines.push(c.yellow(`  note: ${n}`));
  const changing = p.actions.filter((a) => changes(a));
  const same = p.actions.length - changing.length;
  lines.push('', changing.length ? `${changing.length} to change, ${same} unchanged.` : `Nothing to change (${same} checked).`);
  if (opts.commands && changing.length) {
    lines.push('', "Commands, in order (an addon's objects are named, not listed):");
    const istio = changing.find((a) => a.op.type === 'istio');
    if (istio?.commands.some((cmd) => cmd.includes(p.overlay.path))) {
      const files = [p.overlay, ...(p.overlay.installGateways ? [p.overlay.gateways] : [])];
      for (const f of files) {
        lines.push(
          c.dim(`  # ${f.path}, written by meshup before the install:`),
          ...f.yaml
            .trimEnd()
            .split('\n')
            .map((l) => c.dim(`  #   ${l}`)),
        );
      }
      if (files.length > 1)
        lines.push(
          c.dim(
            istio.op.type === 'istio' && istio.op.newMesh
              ? '  # the gateways go in once istiod is up, applied as istioctl would apply them'
              : "  # the gateways' install starts once the control plane's has ended",
          ),
        );
    }
    for (const a of changing) for (const cmd of a.commands) lines.push(...cmd.split('\n').map((l, i) => (i === 0 ? `  $ ${l}` : `    ${l}`)));
    // What --verbose shows then differs from these lines: say so here, where they are read.
    if (changing.some((a) => a.commands.some((cmd) => / apply --server-side /.test(cmd))))
      lines.push(c.dim('  # each kubectl apply goes as the same server-side apply, a PATCH per object, straight to the API server when the kubeconfig allows'));
  }
  return lines.join('\n');
}

export function planJson(p: Plan) {
  return {
    changes: p.actions.some((a) => changes(a)),
    ...(p.unread ? { unread: p.unread } : {}),
    blockers: p.blockers.map(blockerText),
    notes: p.notes,
    actions: p.actions.map((a) => ({
      id: a.id,
      symbol: symbolOf(a),
      title: a.title,
      reasons: a.reasons,
      changes: changes(a),
      needsYes: !!a.needsYes,
      commands: a.commands,
    })),
    overlay: { path: p.overlay.path, gateways: p.overlay.installGateways ? p.overlay.gateways.path : undefined, hash: p.overlay.hash },
  };
}
