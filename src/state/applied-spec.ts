// The spec meshup last applied, as it is recorded in the cluster (ConfigMap kube-public/meshup):
// its shape and its manifest. Pure: state/record.ts reads and writes it.

export const RECORD_NAMESPACE = 'kube-public';
export const RECORD_NAME = 'meshup';

/** The parts of the desired state whose change means work. */
export interface AppliedSpec {
  provider: string;
  clusterName: string;
  profile: string;
  /** The profile as it was given: a bundled name or a file's absolute path. */
  profileRef?: string;
  istioVersion?: string;
  istioRevision?: string;
  overlayHash?: string;
  addons?: string[];
  namespaces?: string[];
  /** Missing in records from before ambient mode: those meshes are sidecar meshes. */
  dataplane?: 'sidecar' | 'ambient';
  mtls?: string;
  /** false: meshup leaves the Gateway API CRDs alone (--no-gateway-api); missing means it manages them. */
  gatewayApi?: boolean;
  /** A canary upgrade under way: the version and revision installed beside istioVersion's, until
   * `meshup upgrade --finish` makes them the mesh's or `--rollback` removes them. */
  upgrade?: { to: string; revision: string };
}

export function appliedSpecManifest(spec: AppliedSpec, meshupVersion: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: RECORD_NAME, namespace: RECORD_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'meshup' } },
    data: { spec: JSON.stringify(spec), meshupVersion },
  });
}
