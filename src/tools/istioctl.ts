// istioctl: install, uninstall and kube-inject. Its binary is chosen by istio/acquire.ts.
import type { Runner } from '../exec/runner.js';

export async function istioctlClientVersion(runner: Runner): Promise<string> {
  const r = await runner.run({ readOnly: true, tool: 'istioctl', args: ['version', '--remote=false', '-o', 'json'], noContext: true, timeoutMs: 20_000 });
  return (JSON.parse(r.stdout) as { clientVersion?: { version?: string } }).clientVersion?.version ?? '';
}

export function installArgs(overlayFile: string, readinessTimeoutS: number): string[] {
  return ['install', '-f', overlayFile, '-y', '--readiness-timeout', `${readinessTimeoutS}s`];
}

export async function istioctlInstall(runner: Runner, overlayFile: string, readinessTimeoutS: number): Promise<void> {
  await runner.run({
    tool: 'istioctl',
    args: installArgs(overlayFile, readinessTimeoutS),
    step: 'Installing Istio',
    timeoutMs: (readinessTimeoutS + 120) * 1000,
  });
}
