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

/** What install reports as it goes (operator/pkg/util/progress in Istio 1.31): each progress line;
 * each component once it is in ("✔ Istio core installed", the CRDs and cluster-wide objects,
 * comes first; then "✔ Istiod installed", "✔ Ingress gateways installed"…); and the moment all
 * are in and ready: it then prunes what an earlier install left ("Pruning removed resources", set
 * by operator/pkg/install only once every component succeeded) and exits. */
export interface InstallProgress {
  line?: (text: string) => void;
  installed?: (component: string) => void;
  allInstalled?: () => void;
}

export async function istioctlInstall(
  runner: Runner,
  overlayFile: string,
  readinessTimeoutS: number,
  progress: InstallProgress = {},
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  await runner.run({
    tool: 'istioctl',
    args: installArgs(overlayFile, readinessTimeoutS),
    step: 'Installing Istio',
    signal,
    timeoutMs: (readinessTimeoutS + 120) * 1000,
    onLine: (l) => {
      // Colour codes and the progress bar's spinner are dropped; what is left is the message.
      const text = stripVTControlCharacters(l).replace(/^[-\s]+/, '');
      // Its banner (the Istio logo drawn in slashes and bars) says nothing; words do.
      if (/[A-Za-z]{3}/.test(text)) progress.line?.(text);
      const component = /^✔ (.+?) installed\b/.exec(text)?.[1];
      if (component && !seen.has(component)) {
        seen.add(component);
        progress.installed?.(component);
      }
      if (/^Pruning removed resources/.test(text)) progress.allInstalled?.();
    },
  });
}

/** Components as istioctl's progress names them: the first it installs, and the ingress gateway. */
export const CORE = 'Istio core';
export const INGRESS_GATEWAYS = 'Ingress gateways';
