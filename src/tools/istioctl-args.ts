// istioctl's argument arrays that the plan shows and tools/istioctl.ts runs. Pure: no I/O.

export function installArgs(overlayFile: string, readinessTimeoutS: number): string[] {
  return ['install', '-f', overlayFile, '-y', '--readiness-timeout', `${readinessTimeoutS}s`];
}

/** Removes one revision's control plane; what revisions share (the CRDs) stays. */
export function uninstallRevisionArgs(revision: string): string[] {
  return ['uninstall', '--revision', revision, '-y'];
}

/** Whether the cluster is ready for an install or upgrade of this istioctl's version. */
export function precheckArgs(): string[] {
  return ['x', 'precheck'];
}

/** A Secret (on stdout) that lets another cluster's istiod read this one, at `server` as that
 * cluster reaches it; `name` is this cluster's ID in the mesh. */
export function remoteSecretArgs(name: string, server: string, serviceAccount?: string): string[] {
  return [
    'create-remote-secret',
    '--name',
    name,
    '--server',
    server,
    // Another workload's own account (Kiali's), which its addon made: never one made here.
    ...(serviceAccount ? ['--service-account', serviceAccount, '--create-service-account=false'] : []),
  ];
}
