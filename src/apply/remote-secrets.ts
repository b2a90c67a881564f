// Discovery across the clusters of one mesh, applied: istioctl makes the remote secret from the
// cluster it lets others read (its reader service account and token are made there when missing),
// with the address the other cluster reaches it at; meshup marks it as its own and applies it in
// the other cluster.
import { parseAllDocuments } from 'yaml';
import type { Runner } from '../exec/runner.js';
import { crossNetworkGateway, eastWestAddress } from '../istio/eastwest.js';
import { ISTIO_NAMESPACE, MANAGED_BY } from '../istio/labels.js';
import { KIALI_SECRET } from '../plan/kiali.js';
import type { Action } from '../plan/types.js';
import { createRemoteSecret, type Istioctl } from '../tools/istioctl.js';
import { apply, deleteObjects, rolloutRestart } from '../tools/kubectl.js';

export interface SecretEnds {
  /** The runner of the cluster the secret goes into. */
  into: Runner;
  /** The runner of the cluster it lets that one read, and that cluster's name and address. */
  of: { runner: Runner; name: string; address: string };
  istioctl: Istioctl;
}

export async function applyRemoteSecret(a: Action, ends: SecretEnds): Promise<void> {
  if (a.op.type !== 'remote-secret') return;
  if (a.op.remove) {
    await deleteObjects(ends.into, [`secret/${a.op.remove}`], `Removing the remote secret for ${a.op.of}`, 'istio-system');
    return;
  }
  const yaml = await createRemoteSecret(ends.of.runner, ends.istioctl, ends.of.name, ends.of.address);
  const secret = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .find((o) => o?.kind === 'Secret');
  if (!secret) throw new Error(`istioctl create-remote-secret printed no Secret for ${ends.of.name}`);
  const metadata = (secret.metadata ?? {}) as { labels?: Record<string, string> };
  secret.metadata = { ...metadata, labels: { ...metadata.labels, ...MANAGED_BY } };
  await apply(ends.into, [secret], `Applying the remote secret of ${ends.of.name}`);
}

/** A cluster's services exposed to the other networks: the Gateway, and the gateway's address. */
export async function applyEastWest(a: Action, runner: Runner): Promise<void> {
  if (a.op.type !== 'east-west') return;
  await apply(
    runner,
    [crossNetworkGateway(), ...(a.op.address ? [eastWestAddress(a.op.address)] : [])],
    `Exposing ${a.op.cluster}'s services to the other networks`,
  );
}

/** A cluster's Kiali given a kubeconfig for each other cluster, each with the token of that
 * cluster's own Kiali service account; Kiali reads them when it starts. */
export async function applyKiali(a: Action, into: Runner, peers: SecretEnds['of'][], istioctl: Istioctl): Promise<void> {
  if (a.op.type !== 'kiali') return;
  const kubeconfigs = await Promise.all(
    peers.map(async (p) => {
      const yaml = await createRemoteSecret(p.runner, istioctl, p.name, p.address, 'kiali');
      const secret = parseAllDocuments(yaml)
        .map((d) => d.toJS() as { kind?: string; stringData?: Record<string, string>; data?: Record<string, string> } | null)
        .find((o) => o?.kind === 'Secret');
      const text = secret?.stringData?.[p.name] ?? (secret?.data?.[p.name] ? Buffer.from(secret.data[p.name]!, 'base64').toString('utf8') : undefined);
      if (!text) throw new Error(`istioctl create-remote-secret printed no kubeconfig of Kiali's account in ${p.name}`);
      return [p.name, text] as const;
    }),
  );
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    // Kiali's own label, never istio/multiCluster: istiod would take it for a remote secret.
    metadata: { name: KIALI_SECRET, namespace: ISTIO_NAMESPACE, labels: { ...MANAGED_BY, 'kiali.io/multiCluster': 'true' } },
    stringData: Object.fromEntries(kubeconfigs),
  };
  await apply(into, [secret], `Giving ${a.op.cluster}'s Kiali the other clusters`);
  await rolloutRestart(into, ISTIO_NAMESPACE, ['deployment/kiali']);
}
