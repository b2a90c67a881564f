// Regression tests, on the real kind v0.33.0 and the Docker stand-in, for what kind really does
// that meshup once got wrong: an interrupted or timed-out create, a node whose API server never
// answers, and advice that cannot work. Nothing answers at the node's API port in this world.

import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESHUP } from '../helpers/sealed.js';
import { type World, world } from './standin.js';

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => w.cleanup());

// The registry containers stay through every failure by design; these tests watch kind's node.
const args = (extra: string[] = []) => ['up', '--provider', 'kind', '--name', 'rt', '--addons', '', '--yes', '--no-cache', '--no-local-registry', ...extra];

describe('kind, as it really behaves', () => {
  it('Ctrl-C during kind create leaves no node container behind, and exits 130', async () => {
    w.faults({ slowKubeadmMs: 60_000 });
    const child = execa(process.execPath, [MESHUP, ...args(['--timeout', '5m'])], { env: w.env, extendEnv: false, cwd: join(w.dir, 'work'), reject: false });
    for (let i = 0; i < 400 && !Object.keys(w.containers()).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(Object.keys(w.containers())).toEqual(['rt-control-plane']);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(w.containers()).toEqual({});
    // Nothing of it is left for down either.
    const down = await w.meshup(['down', '--provider', 'kind', '--name', 'rt', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain('nothing to delete');
  });

  it('the create limit follows --timeout, and a create killed by it is cleaned up', async () => {
    w.faults({ slowKubeadmMs: 120_000 });
    const r = await w.meshup(args(['--timeout', '5s']));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('kind did not finish within 5s');
    expect(r.ms).toBeLessThan(60_000);
    expect(w.containers()).toEqual({});
  });

  it('a node whose API server never answers is broken: status says so, up stops at once with advice that fits', async () => {
    const first = await w.meshup(args(['--timeout', '15s']));
    expect(first.exitCode).toBe(1);
    // The API never answered: describing nodes cannot work, so it is not the advice.
    expect(first.stderr).toContain('Its API server never answered');
    expect(first.stderr).not.toContain('describe nodes');
    const status = await w.meshup(['status', '--provider', 'kind', '--name', 'rt']);
    expect(status.stdout).toContain('rt (kind, context kind-rt): broken');
    const again = await w.meshup(args(['--timeout', '5m']));
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toContain('exists but its API server does not answer');
    expect(again.stderr).toContain('kind delete cluster --name rt');
    expect(again.ms).toBeLessThan(30_000);
    // down may delete it: meshup created it.
    const down = await w.meshup(['down', '--provider', 'kind', '--name', 'rt', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(w.containers()).toEqual({});
  });

  it('a stopped node container is started again, not recreated', async () => {
    await w.meshup(args(['--timeout', '15s']));
    await w.tool('docker', ['stop', 'rt-control-plane']);
    const status = await w.meshup(['status', '--provider', 'kind', '--name', 'rt']);
    expect(status.stdout).toContain('rt (kind, context kind-rt): stopped');
    const plan = await w.meshup(['plan', '--provider', 'kind', '--name', 'rt', '--addons', '']);
    expect(plan.stdout).toContain('~ start kind cluster rt (it is stopped)');
    expect(plan.stdout).toContain('$ docker start rt-control-plane');
  });
});
