// A multi-network mesh: each cluster's services are exposed to the other networks through its
// east-west gateway (installed with the gateways, labelled with its network), at an address the
// other clusters reach: the Gateway object and the Service's external IP, verified on every run.
// Pure.
import { formatCommand } from '../exec/quote.js';
import { applyArgs } from '../tools/kubectl-args.js';
import type { MemberSeen } from './remote-secrets.js';
import { type Action, type Blocker, conflict, type Planned } from './types.js';

export function planEastWest(members: readonly MemberSeen[], o: { adopt?: boolean } = {}): Planned {
  const actions: Action[] = [];
  const blockers: Blocker[] = [];
  const notes: string[] = [];
  for (const m of members) {
    const ew = m.eastWest;
    if (!ew) continue;
    if (ew.gateway === 'foreign' && !o.adopt) {
      blockers.push(conflict([`gateway istio-system/cross-network-gateway in ${m.name}`], `exposing ${m.name}'s services to the other networks`));
      continue;
    }
    if (m.secrets && !ew.reachable)
      notes.push(`${m.name}'s east-west gateway has no address the other networks reach (${ew.why}): traffic from them to ${m.name} cannot flow`);
    const address = ew.reachable;
    const where = address ?? (m.secrets ? undefined : `<the node address of ${m.name}, read once it runs>`);
    const gatewayRight = ew.gateway === 'ours' && ew.gatewayCurrent;
    const addressRight = !address || (ew.externalIPs?.length === 1 && ew.externalIPs[0] === address);
    const base = {
      id: `east-west:${m.name}`,
      op: { type: 'east-west' as const, cluster: m.name, ...(address ? { address } : {}) },
      commands: [
        formatCommand(
          'kubectl',
          ['--context', m.context, ...applyArgs()],
          `<gateway istio-system/cross-network-gateway${where ? `, service istio-system/istio-eastwestgateway externalIPs [${where}]` : ''}>`,
        ),
      ],
    };
    if (m.secrets && gatewayRight && addressRight) {
      actions.push({
        ...base,
        change: 'none',
        title: `keep ${m.name}'s services exposed to the other networks${address ? ` at ${address}` : ''}`,
        reasons: [],
        commands: [],
      });
      continue;
    }
    const reasons = m.secrets
      ? [
          ...(ew.gateway === 'absent'
            ? ['gateway istio-system/cross-network-gateway is missing']
            : gatewayRight
              ? []
              : ['gateway istio-system/cross-network-gateway was changed']),
          ...(addressRight ? [] : [`service istio-system/istio-eastwestgateway has external IPs [${(ew.externalIPs ?? []).join(', ')}], not [${address}]`]),
        ]
      : [];
    actions.push({
      ...base,
      change: m.secrets && ew.gateway !== 'absent' ? 'update' : 'create',
      title: `expose ${m.name}'s services to the other networks through its east-west gateway${where ? ` at ${where}` : ''}`,
      reasons,
    });
  }
  return { actions, blockers, notes };
}
