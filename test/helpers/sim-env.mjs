// The environment meshup, kubectl and kwokctl get when they drive a simulated cluster in tests
// and benchmarks: the built binaries first on PATH, and a temporary HOME, KUBECONFIG, kwok work
// dir and XDG dirs, so nothing touches the user's own clusters or caches.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** Where test/cluster/build keeps the binaries. */
export function simBinDir() {
  return execFileSync('bash', [join(ROOT, 'test', 'cluster', 'build'), '--print-bin'], { encoding: 'utf8' }).trim();
}

/** @param {string} prefix @returns {{ dir: string, bin: string, env: Record<string, string> }} */
export function simEnv(prefix) {
  const bin = simBinDir();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    bin,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: dir,
      KUBECONFIG: join(dir, 'kubeconfig'),
      KWOK_WORKDIR: join(dir, 'kwok'),
      MESHUP_KWOK_BIN_DIR: bin,
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_STATE_HOME: join(dir, 'state'),
      CI: 'true',
      NO_COLOR: '1',
      // Nothing is downloaded from beyond loopback: a test serves the Gateway API bundle
      // (helpers/gateway-api.mjs serveRealGatewayApi) and points this at it.
      MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9',
    },
  };
}
