// meshup ingress --tunnel on minikube (its `service --url` tunnel, as the docker driver runs it on
// macOS and Windows), with the standalone fake minikube so its URLs arrive while it runs: the URL
// is proven by a request, a tunnel that stops is started again, Ctrl-C stops it and meshup exits
// 130. Where the node is reachable, no tunnel; a provider without one refuses --tunnel at once.
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/process.js';
import { releaseServerFor } from '../helpers/release.js';
import { FAKES, MESHUP, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(async () => {
  w = sealed({ tools: ['docker', 'minikube', 'kubectl', 'kind'] });
  w.env.MESHUP_ISTIO_MIRROR = server().url;
  const up = await w.run(['up', '--provider', 'minikube', '--profile', 'default', '--addons', '', '--yes']);
  expect(up.exitCode, up.stderr).toBe(0);
  // URLs must reach meshup while the tunnel runs: the fake as a process of its own.
  rmSync(join(w.dir, 'bin', 'minikube'));
  symlinkSync(join(FAKES, 'minikube'), join(w.dir, 'bin', 'minikube'));
});
afterEach(() => w.cleanup());

function tunnel() {
  const child = execa(process.execPath, [MESHUP, 'ingress', '--tunnel'], {
    env: w.env,
    extendEnv: false,
    cwd: join(w.dir, 'work'),
    reject: false,
    timeout: 60_000,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  return { child, out: () => out, err: () => err };
}

describe('meshup ingress --tunnel', () => {
  it('runs the tunnel, proves the URL with a request, and stops it on Ctrl-C (exit 130)', async () => {
    w.state({ minikube: { ...w.readState().minikube, tunnel: 'stays' } });
    const t = tunnel();
    await until(() => /through minikube's tunnel/.test(t.out()), 30_000);
    const url = /^(http:\/\/127\.0\.0\.1:\d+)/m.exec(t.out())![1]!;
    expect(t.out()).toContain('answered 404');
    // The URL works for anyone on this machine while meshup runs.
    expect((await fetch(url)).status).toBe(404);
    t.child.kill('SIGINT');
    const r = await t.child;
    expect(r.exitCode, t.err()).toBe(130);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('starts a tunnel that stopped again, and says so', async () => {
    w.state({ minikube: { ...w.readState().minikube, tunnel: 'stays', tunnelExitMs: 1000 } });
    const t = tunnel();
    await until(() => (w.readState().minikube.tunnelStarts ?? 0) >= 2, 30_000);
    expect(t.err()).toContain("minikube's tunnel stopped; starting it again");
    t.child.kill('SIGINT');
    expect((await t.child).exitCode).toBe(130);
  });

  it('where the node is reachable, prints its URL and needs no tunnel', async () => {
    const r = await w.run(['ingress', '--tunnel']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("http://192.168.49.2:30001   (no tunnel needed: minikube's node is reachable from here)");
  });

  it('a kind cluster has nothing to tunnel: refused before anything is asked of it (exit 2)', async () => {
    const before = w.calls().length;
    const r = await w.run(['ingress', '--tunnel', '--provider', 'kind']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--tunnel: a kind cluster's gateway is reached without a tunnel");
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });
});
