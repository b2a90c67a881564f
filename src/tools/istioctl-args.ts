// istioctl's argument arrays that the plan shows and tools/istioctl.ts runs. Pure: no I/O.

export function installArgs(overlayFile: string, readinessTimeoutS: number): string[] {
  return ['install', '-f', overlayFile, '-y', '--readiness-timeout', `${readinessTimeoutS}s`];
}
