// meshup with the real minikube v1.36.0 against the Docker stand-in. minikube gets as far as
// creating its node container, then waits for SSH on it (no stand-in serves one): the profile
// exists from then on, and what minikube reports about it is real.

import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type World, world } from './standin.js';

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => w.cleanup());

/** A profile whose start died after its node container was created. */
async function profile(name: string) {
  const child = execa(join(w.env.PATH!, 'minikube'), ['start', '-p', name, '--cpus', '2', '--memory', '2048mb', '--driver', 'docker', '--force'], {
    env: w.env,
    extendEnv: false,
    reject: false,
    cwd: join(w.dir, 'work'),
  });
  const deadline = Date.now() + 90_000;
  while (w.containers()[name]?.state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  child.kill('SIGKILL');
  await child;
  expect(w.containers()[name]?.state).toBe('running');
}

describe('meshup and the real minikube', () => {
  it('a profile whose node container is gone (minikube prints null, exit 0) is broken, not running', async () => {
    await profile('rt');
    await w.tool('docker', ['rm', '-f', 'rt']);
    const raw = await w.tool('minikube', ['status', '-p', 'rt', '-o', 'json']);
    expect([raw.exitCode, raw.stdout.trim()]).toEqual([0, 'null']);
    const r = await w.meshup(['status', '--provider', 'minikube', '--name', 'rt', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'minikube', cluster: 'rt', state: 'broken' });
    // up repairs it with minikube start (the profile is kept), as the plan says.
    const plan = await w.meshup(['plan', '--provider', 'minikube', '--name', 'rt', '--addons', '']);
    expect(plan.stdout).toContain('~ repair minikube cluster rt (it is broken)');
    expect(plan.stdout).toContain('$ minikube start -p rt');
  });

  it('a stopped profile (exit 7) is stopped', async () => {
    await profile('rt');
    await w.tool('docker', ['stop', 'rt']);
    const r = await w.meshup(['status', '--provider', 'minikube', '--name', 'rt', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'stopped' });
  });

  it('no profile (exit 85) is absent, and down has nothing to delete', async () => {
    const s = await w.meshup(['status', '--provider', 'minikube', '--name', 'rt', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ state: 'absent' });
    const d = await w.meshup(['down', '--provider', 'minikube', '--name', 'rt', '--yes']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout).toContain('No minikube cluster "rt"; nothing to delete.');
  });
});
