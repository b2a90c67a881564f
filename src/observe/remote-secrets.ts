// The remote secrets a cluster of a multi-cluster mesh holds: istio-system Secrets labelled
// istio/multiCluster=true, each a kubeconfig per cluster it lets istiod read (its key is that
// cluster's ID), and the API server address that kubeconfig names.
import { parseAllDocuments } from 'yaml';
import type { Runner } from '../exec/runner.js';
import { MANAGED_BY } from '../istio/labels.js';
import type { KubeObject } from '../kube/objects.js';
import { claimOf } from '../kube/ownership.js';
import { listObjects } from '../tools/kubectl.js';

const MULTICLUSTER_LABEL = 'istio/multiCluster';

export interface RemoteSecretSeen {
  secret: string;
  /** The cluster ID it is for (its data key). */
  cluster: string;
  /** The server its kubeconfig names; undefined when that does not parse. */
  server?: string;
  /** The CA its kubeconfig trusts that server with (base64). */
  ca?: string;
  ours: boolean;
}

/** The first cluster's server of a kubeconfig, and the CA it trusts it with. */
export function kubeconfigServer(text: string): { server?: string; ca?: string } {
  try {
    const doc = parseAllDocuments(text)[0]?.toJS() as { clusters?: { cluster?: { server?: unknown; 'certificate-authority-data'?: unknown } }[] } | undefined;
    const c = doc?.clusters?.[0]?.cluster;
    return {
      ...(typeof c?.server === 'string' ? { server: c.server } : {}),
      ...(typeof c?.['certificate-authority-data'] === 'string' ? { ca: c['certificate-authority-data'] } : {}),
    };
  } catch {
    return {};
  }
}

export function remoteSecretsOf(secrets: readonly (KubeObject & { data?: Record<string, string> })[]): RemoteSecretSeen[] {
  return secrets.flatMap((s) => {
    const ours = claimOf(s, { label: 'app.kubernetes.io/managed-by', value: MANAGED_BY['app.kubernetes.io/managed-by'] }) === 'ours';
    return Object.entries(s.data ?? {}).map(([cluster, b64]) => ({
      secret: s.metadata.name,
      cluster,
      ...kubeconfigServer(Buffer.from(b64, 'base64').toString('utf8')),
      ours,
    }));
  });
}

export async function readRemoteSecrets(runner: Runner): Promise<RemoteSecretSeen[]> {
  const secrets = await listObjects<KubeObject & { data?: Record<string, string> }>(runner, 'secrets', {
    namespace: 'istio-system',
    selector: `${MULTICLUSTER_LABEL}=true`,
  });
  return remoteSecretsOf(secrets);
}
