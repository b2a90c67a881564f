// istioctl: install, uninstall and kube-inject. Which binary runs is the caller's handle
// (istio/acquire.ts finds one per version), never a setting of the runner: two versions can then
// be driven in one process.
import { stripVTControlCharacters } from 'node:util';
import type { Runner } from '../exec/runner.js';
import { installArgs, precheckArgs, remoteSecretArgs, uninstallRevisionArgs } from './istioctl-args.js';
import { toolVersion } from './version.js';

/** An istioctl binary and the Istio version it was found to be. */
export interface Istioctl {
  bin: string;
  version: string;
}

/** The version a binary reports of itself (no cluster is asked). */
export const istioctlClientVersion = (runner: Runner, bin: string): Promise<string> => toolVersion(runner, 'istioctl', bin);

/** What install reports as it goes (operator/pkg/util/progress in Istio 1.31): each progress line;
 * each component once it is in ("✔ Istio core installed", the CRDs and cluster-wide objects,
 * comes first; then "✔ Istiod installed", "✔ Ingress gateways installed"…); and the moment all
 * are in and ready: it then prunes what an earlier install left ("Pruning removed resources", set
 * by operator/pkg/install only once every component succeeded) and exits. */
export interface InstallProgress {
  line?: (text: string) => void;
  installed?: (component: string) => void;
  allInstalled?: () => void;
  /** An object its pruning deleted. The delete is in the foreground (operator/pkg/uninstall
   * DeleteResource), so the object may exist a while longer, with its dependents. */
  removed?: (object: PrunedObject) => void;
}

export interface PrunedObject {
  kind: string;
  /** The API group, '' for the core group. */
  group: string;
  name: string;
  /** '' for a cluster-scoped object. */
  namespace: string;
}

/** "Removed apps/v1, Kind=Deployment/istio-ingressgateway.istio-system." (GVK, name, namespace). */
const REMOVED = /^Removed (\S*?)\/?[^/\s]+, Kind=(\w+)\/([^\s]+)\.([^.\s]*)\.$/;

export function parseRemoved(text: string): PrunedObject | undefined {
  const m = REMOVED.exec(text);
  return m ? { group: m[1]!.replace(/\/.*$/, ''), kind: m[2]!, name: m[3]!, namespace: m[4]! } : undefined;
}

export async function istioctlInstall(
  runner: Runner,
  istioctl: Istioctl,
  overlayFile: string,
  readinessTimeoutS: number,
  progress: InstallProgress = {},
  signal?: AbortSignal,
): Promise<void> {
  const seen = new Set<string>();
  await runner.run({
    tool: 'istioctl',
    bin: istioctl.bin,
    args: installArgs(overlayFile, readinessTimeoutS),
    step: 'Installing Istio',
    signal,
    timeoutMs: (readinessTimeoutS + 120) * 1000,
    onLine: (l) => {
      // Colour codes and the progress bar's spinner are dropped; what is left is the message.
      const text = stripVTControlCharacters(l).replace(/^[-\s]+/, '');
      // Its banner (the Istio logo drawn in slashes and bars) says nothing; words do. Log lines
      // (a timestamp first, e.g. a failed port-forward to istiod while it compares versions) are
      // not progress: they stay in the output an error reports.
      if (/[A-Za-z]{3}/.test(text) && !/^\d{4}-\d\d-\d\dT\S+\s/.test(text)) progress.line?.(text);
      const component = /^✔ (.+?) installed\b/.exec(text)?.[1];
      if (component && !seen.has(component)) {
        seen.add(component);
        progress.installed?.(component);
      }
      if (/^Pruning removed resources/.test(text)) progress.allInstalled?.();
      const pruned = parseRemoved(text);
      if (pruned) progress.removed?.(pruned);
    },
  });
}

/** Components as istioctl's progress names them: the first it installs, istiod, and the ingress
 * gateway. */
export const CORE = 'Istio core';
export const ISTIOD = 'Istiod';
export const INGRESS_GATEWAYS = 'Ingress gateways';
/** istiod's objects are applied and istioctl waits for its rollout (its first check failed). */
export const ISTIOD_WAITING = /Waiting for Deployment\/istio-system\/istiod\b/;

/** `istioctl x precheck`: read-only; a cluster it finds not ready fails with its own words. */
export async function istioctlPrecheck(runner: Runner, istioctl: Istioctl): Promise<string> {
  const r = await runner.run({
    readOnly: true,
    tool: 'istioctl',
    bin: istioctl.bin,
    args: precheckArgs(),
    step: `Checking the cluster for Istio ${istioctl.version}`,
    timeoutMs: 120_000,
  });
  return r.stdout;
}

/** `istioctl uninstall --revision REV -y`: that revision's control plane goes; shared objects stay. */
export async function istioctlUninstallRevision(runner: Runner, istioctl: Istioctl, revision: string, timeoutS: number): Promise<void> {
  await runner.run({
    tool: 'istioctl',
    bin: istioctl.bin,
    args: uninstallRevisionArgs(revision),
    step: `Uninstalling Istio revision ${revision}`,
    timeoutMs: timeoutS * 1000,
  });
}

/** The remote secret for the runner's cluster (istioctl makes its reader service account and
 * token there when missing): the YAML it prints. */
export async function createRemoteSecret(runner: Runner, istioctl: Istioctl, name: string, server: string, serviceAccount?: string): Promise<string> {
  const r = await runner.run({
    tool: 'istioctl',
    bin: istioctl.bin,
    args: remoteSecretArgs(name, server, serviceAccount),
    step: `Making the remote secret of ${name}`,
    timeoutMs: 120_000,
  });
  return r.stdout;
}
