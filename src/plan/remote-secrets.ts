// Discovery across the clusters of one mesh: each cluster holds a remote secret for every other
// one, a kubeconfig its istiod reads that other cluster's Services and endpoints with. Its API
// server address must be one that cluster reaches (on kind the node's address on kind's network,
// never the kubeconfig's 127.0.0.1): a secret naming another address is drift, repaired like any
// other. Pure: the addresses and secrets were read before.
import { formatCommand } from '../exec/quote.js';
import type { RemoteSecretSeen } from '../observe/remote-secrets.js';
import { remoteSecretArgs } from '../tools/istioctl-args.js';
import { applyArgs } from '../tools/kubectl-args.js';
import { type Action, type Blocker, conflict, type Planned } from './types.js';

export interface MemberSeen {
  name: string;
  context: string;
  /** Its API server as the other clusters reach it; undefined while the cluster does not run. */
  address?: string;
  /** Why the address could not be read, when the cluster runs. */
  addressError?: string;
  /** The CA its API server is trusted with (from this machine's kubeconfig): a remote secret that
   * holds another was made for an earlier cluster of the same name. */
  ca?: string;
  /** Its remote secrets; undefined when it could not be read (not made yet). */
  secrets?: readonly RemoteSecretSeen[];
  /** On a multi-network mesh: its east-west gateway as read (when it runs). */
  eastWest?: EastWestSeen;
  /** Where Kiali is one of the addons: what its multi-cluster secret holds (when it runs). */
  kiali?: KialiSeen;
}

export interface KialiSeen {
  secret: 'absent' | 'ours' | 'foreign';
  /** By cluster: the server and CA of the kubeconfig it holds for it. */
  clusters?: Record<string, { server?: string; ca?: string }>;
}

export interface EastWestSeen {
  /** The address the other networks reach its gateway at; `why` when there is none. */
  reachable?: string;
  why?: string;
  /** The gateway Service's external IPs; undefined when the Service is not there. */
  externalIPs?: string[];
  gateway: 'absent' | 'ours' | 'foreign';
  /** The Gateway object holds what meshup puts there. */
  gatewayCurrent?: boolean;
}

const remoteSecretName = (cluster: string) => `istio-remote-secret-${cluster}`;

export function planRemoteSecrets(members: readonly MemberSeen[], o: { adopt?: boolean } = {}): Planned {
  const actions: Action[] = [];
  const blockers: Blocker[] = [];
  const names = new Set(members.map((m) => m.name));
  for (const into of members) {
    for (const of of members) {
      if (of === into) continue;
      if (of.addressError) {
        blockers.push({
          message: `The API server address of ${of.name}, as ${into.name} would reach it, could not be read: ${of.addressError}`,
          fix: `Check that ${of.name} runs (meshup status), then run meshup again`,
        });
        continue;
      }
      const server = of.address ?? `<the address of ${of.name}, read once it runs>`;
      const seen = into.secrets?.find((s) => s.cluster === of.name);
      const commands = [
        formatCommand('istioctl', ['--context', of.context, ...remoteSecretArgs(of.name, server)]),
        formatCommand('kubectl', ['--context', into.context, ...applyArgs()], `<the remote secret of ${of.name}>`),
      ];
      const base = { id: `remote-secret:${into.name}:${of.name}`, commands, op: { type: 'remote-secret' as const, into: into.name, of: of.name } };
      const what = `${into.name}'s istiod discover ${of.name}`;
      if (!seen) {
        actions.push({
          ...base,
          change: 'create',
          title: `let ${what} (secret ${remoteSecretName(of.name)} in ${into.name}, server ${server})`,
          reasons: into.secrets ? [`${into.name} holds no remote secret for ${of.name}`] : [],
        });
        continue;
      }
      const sameCluster = !of.ca || !seen.ca || seen.ca === of.ca;
      const right = of.address !== undefined && seen.server === of.address && sameCluster;
      if (right) {
        actions.push({ ...base, change: 'none', title: `keep ${into.name}'s remote secret for ${of.name} (server ${of.address})`, reasons: [], commands: [] });
        continue;
      }
      if (!seen.ours && !o.adopt) {
        blockers.push(conflict([`secret istio-system/${seen.secret} in ${into.name}`], `the remote secret for ${of.name}`));
        continue;
      }
      actions.push({
        ...base,
        change: 'update',
        title:
          seen.server === of.address
            ? `make ${into.name}'s remote secret for ${of.name} again`
            : `point ${into.name}'s remote secret for ${of.name} at ${server}`,
        reasons: [
          seen.server === of.address
            ? `it holds the credentials of an earlier cluster named ${of.name} (another CA than its API server's now)`
            : `it names ${seen.server ?? 'no server meshup can read'}, where ${into.name} does not reach ${of.name}'s API server`,
        ],
      });
    }
    // A cluster that left the set: meshup's secret for it goes (another's is left alone).
    for (const s of into.secrets ?? []) {
      if (names.has(s.cluster) || !s.ours) continue;
      actions.push({
        id: `remote-secret:${into.name}:${s.cluster}`,
        change: 'delete',
        title: `remove ${into.name}'s remote secret for ${s.cluster}, no longer in the mesh`,
        reasons: [`${s.cluster} is not one of ${[...names].join(', ')}`],
        commands: [formatCommand('kubectl', ['--context', into.context, 'delete', 'secret', s.secret, '-n', 'istio-system', '--ignore-not-found'])],
        op: { type: 'remote-secret', into: into.name, of: s.cluster, remove: s.secret },
      });
    }
  }
  return { actions, blockers };
}
