// Kiali across the clusters of one mesh: Kiali's sample reads every kubeconfig in the optional
// secret kiali-multi-cluster-secret (its volume is in the sample; autodetection by the label
// kiali.io/multiCluster=true), one key per other cluster, and shows those clusters in its graph.
// meshup fills it with a kubeconfig per other cluster, each with the token of that cluster's own
// Kiali service account, at the address this cluster reaches it. Kiali reads it at start: a
// change restarts it. Pure.
import { formatCommand } from '../exec/quote.js';
import { remoteSecretArgs } from '../tools/istioctl-args.js';
import { applyArgs } from '../tools/kubectl-args.js';
import type { MemberSeen } from './remote-secrets.js';
import { type Action, type Blocker, conflict, type Planned } from './types.js';

export const KIALI_SECRET = 'kiali-multi-cluster-secret';

export function planKiali(members: readonly MemberSeen[], o: { adopt?: boolean } = {}): Planned {
  const actions: Action[] = [];
  const blockers: Blocker[] = [];
  for (const m of members) {
    const k = m.kiali;
    if (!k) continue;
    const peers = members.filter((p) => p !== m);
    if (k.secret === 'foreign' && !o.adopt) {
      blockers.push(conflict([`secret istio-system/${KIALI_SECRET} in ${m.name}`], `showing the other clusters in ${m.name}'s Kiali`));
      continue;
    }
    const wrong = peers.flatMap((p) => {
      const have = k.clusters?.[p.name];
      if (!have) return [`it has no kubeconfig for ${p.name}`];
      if (p.address !== undefined && have.server !== p.address) return [`its kubeconfig for ${p.name} names ${have.server ?? 'no server'}, not ${p.address}`];
      if (p.ca && have.ca && have.ca !== p.ca) return [`its kubeconfig for ${p.name} is of an earlier cluster of that name`];
      return [];
    });
    const extra = Object.keys(k.clusters ?? {}).filter((c) => !peers.some((p) => p.name === c));
    const base = { id: `kiali:${m.name}`, op: { type: 'kiali' as const, cluster: m.name, peers: peers.map((p) => p.name) } };
    const names = peers.map((p) => p.name).join(', ');
    if (m.secrets && k.secret === 'ours' && !wrong.length && !extra.length) {
      actions.push({ ...base, change: 'none', title: `keep ${m.name}'s Kiali showing ${names}`, reasons: [], commands: [] });
      continue;
    }
    actions.push({
      ...base,
      change: k.secret === 'absent' ? 'create' : 'update',
      title: `let ${m.name}'s Kiali show ${names} (secret istio-system/${KIALI_SECRET}), and restart it`,
      reasons: m.secrets
        ? [
            ...(k.secret === 'absent' ? [`secret istio-system/${KIALI_SECRET} is missing`] : wrong),
            ...extra.map((c) => `it holds a kubeconfig for ${c}, no longer in the mesh`),
          ]
        : [],
      commands: [
        ...peers.map((p) =>
          formatCommand('istioctl', [
            '--context',
            p.context,
            ...remoteSecretArgs(p.name, p.address ?? `<the address of ${p.name}, read once it runs>`, 'kiali'),
          ]),
        ),
        formatCommand('kubectl', ['--context', m.context, ...applyArgs()], `<secret istio-system/${KIALI_SECRET}: a kubeconfig for each of ${names}>`),
        formatCommand('kubectl', ['--context', m.context, 'rollout', 'restart', 'deployment/kiali', '-n', 'istio-system']),
      ],
    });
  }
  return { actions, blockers };
}
