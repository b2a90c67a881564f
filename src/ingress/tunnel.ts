// `meshup ingress --tunnel`: where the cluster's node address is hidden from this machine
// (minikube's docker driver on macOS and Windows), the provider's own tunnel serves the gateway's
// Service on 127.0.0.1. meshup runs it, proves the URL with one request, and keeps it up: a tunnel
// that stops is started again (a few times), Ctrl-C stops it.

import type { Spec } from '../config/spec.js';
import { InterruptedError, MeshupError, UsageError } from '../errors.js';
import { formatCommand } from '../exec/quote.js';
import type { Runner } from '../exec/runner.js';
import type { Provider } from '../providers/types.js';
import type { Output } from '../ui/output.js';
import { probeUrl } from './probe.js';

const RESTARTS = 3;

export interface TunnelTarget {
  namespace: string;
  name: string;
  /** Which of the Service's ports is http: the tunnel prints a URL per port, in their order. */
  httpIndex: number;
}

/** Refused before anything runs: a provider whose gateway is reached without one. */
export function assertTunnels(provider: Provider): void {
  if (!provider.tunnel) {
    throw new UsageError(`--tunnel: a ${provider.name} cluster's gateway is reached without a tunnel`, {
      fix: 'Drop --tunnel: meshup ingress prints the address that reaches it',
    });
  }
}

export async function runTunnel(
  runner: Runner,
  spec: Spec,
  provider: Provider,
  target: TunnelTarget,
  out: Output,
  signal: AbortSignal,
): Promise<{ url?: string; direct?: string }> {
  const { tool, args } = provider.tunnel!(spec, target);
  const command = formatCommand(tool, args);
  let shown: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const child = runner.start({ readOnly: true, tool, args });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const urls = await new Promise<string[]>((resolve) => {
      // Whole lines only: a chunk may end inside a URL.
      const found = () =>
        stdout
          .split('\n')
          .slice(0, -1)
          .filter((l) => /^https?:\/\//.test(l.trim()));
      child.stdout?.on('data', (b: Buffer) => {
        stdout += b.toString();
        if (found().length > target.httpIndex) resolve(found().map((u) => u.trim()));
      });
      void child.then(() =>
        resolve(
          `${stdout}\n`
            .split('\n')
            .filter((l) => /^https?:\/\//.test(l.trim()))
            .map((u) => u.trim()),
        ),
      );
    });
    const url = urls[target.httpIndex] ?? urls[0];
    // The node's own address (the tool then exits): it is reachable here, no tunnel needed.
    if (url && !/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) {
      await runner.stopAll();
      return { direct: url };
    }
    if (!url) {
      await runner.stopAll();
      if (signal.aborted) throw new InterruptedError();
      throw new MeshupError(`${tool}'s tunnel printed no URL for ${target.namespace}/${target.name}`, {
        details: stderr.trim().split('\n').slice(-5),
        fix: `Try it yourself: ${command}`,
      });
    }
    const proof = await probeUrl(url, 3000, signal);
    // A tunnel started again may serve on another port: the URL is said whenever it changes.
    if (url !== shown) {
      shown = url;
      out.result({ url, tunnel: command, answered: proof.answered, ...(proof.answered ? { status: proof.status } : {}) });
      out.print(`${url}   (through ${tool}'s tunnel; ${proof.answered ? `answered ${proof.status}` : `no answer yet: ${proof.detail}`}; Ctrl-C stops it)`);
    }
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(), { once: true });
      void child.then(() => resolve());
    });
    if (signal.aborted) {
      await runner.stopAll();
      throw new InterruptedError();
    }
    if (attempt >= RESTARTS) {
      throw new MeshupError(`${tool}'s tunnel stopped ${RESTARTS + 1} times`, {
        details: stderr.trim().split('\n').slice(-5),
        fix: `Check the cluster (meshup status), then run meshup ingress --tunnel again`,
      });
    }
    out.warn(`${tool}'s tunnel stopped; starting it again`);
  }
}
