// istioctl: install, uninstall and kube-inject. Its binary is chosen by istio/acquire.ts.
import { stripVTControlCharacters } from 'node:util';
import type { Runner } from '../exec/runner.js';

export async function istioctlClientVersion(runner: Runner): Promise<string> {
  const r = await runner.run({ readOnly: true, tool: 'istioctl', args: ['version', '--remote=false', '-o', 'json'], noContext: true, timeoutMs: 20_000 });
  return (JSON.parse(r.stdout) as { clientVersion?: { version?: string } }).clientVersion?.version ?? '';
}

export function installArgs(overlayFile: string, readinessTimeoutS: number): string[] {
  return ['install', '-f', overlayFile, '-y', '--readiness-timeout', `${readinessTimeoutS}s`];
}

/** What install reports as it goes: each progress line, and the moment its first component,
 * "Istio core" (the CRDs and cluster-wide objects), is in. istioctl prints "✔ Istio core
 * installed" then (operator/pkg/util/progress in Istio 1.31). */
export interface InstallProgress {
  line?: (text: string) => void;
  coreInstalled?: () => void;
}

export async function istioctlInstall(runner: Runner, overlayFile: string, readinessTimeoutS: number, progress: InstallProgress = {}): Promise<void> {
  await runner.run({
    tool: 'istioctl',
    args: installArgs(overlayFile, readinessTimeoutS),
    step: 'Installing Istio',
    timeoutMs: (readinessTimeoutS + 120) * 1000,
    onLine: (l) => {
      // Colour codes and the progress bar's spinner are dropped; what is left is the message.
      const text = stripVTControlCharacters(l).replace(/^[-\s]+/, '');
      // Its banner (the Istio logo drawn in slashes and bars) says nothing; words do.
      if (/[A-Za-z]{3}/.test(text)) progress.line?.(text);
      if (/Istio core installed/.test(text)) progress.coreInstalled?.();
    },
  });
}
