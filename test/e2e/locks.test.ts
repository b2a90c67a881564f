// One writer per cluster, end to end (issue 24): changing commands started at the same time, each
// a `node bin/meshup` process as a person would run them in two terminals, on simulated clusters
// (real kube-apiservers and the real istioctl, 127.0.0.1 only). None loses a change: the second
// waits for the first (and says so), then plans from what the first left. And a first `up` that
// is interrupted leaves a cluster that `status` and `down` find without flags. Every cluster this
// file makes is deleted, whatever happens.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextLockFile } from '../../src/state/lock.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-locks-');
const [A, B, C] = ['a', 'b', 'c'].map((n) => `lk${n}${process.pid}`) as [string, string, string];
let server: ReleaseServer;

const MESH = ['--profile', 'minimal', '--addons', '', '--no-gateway-api', '--yes'];
const start = (args: string[]) => execa(process.execPath, [MESHUP, ...args], { env, extendEnv: false, reject: false, cwd: dir });
const meshup = async (args: string[]) => await start(args);
const on = (name: string) => ['--provider', 'kwok', '--name', name];
const kubectl = async (name: string, args: string[]) =>
  (await execa('kubectl', ['--context', `kwok-${name}`, ...args], { env, extendEnv: false, reject: false })).stdout;
const record = async (name: string) => {
  const text = await kubectl(name, ['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}']);
  return text ? (JSON.parse(text) as { addons: string[]; namespaces: string[] }) : undefined;
};
/** The phase of istio-system: '' when there is none. */
const istioSystem = (name: string) =>
  kubectl(name, ['get', 'namespaces', '-o', 'jsonpath={range .items[?(@.metadata.name=="istio-system")]}{.status.phase}{end}']);
const clusters = async () => (await execa('kwokctl', ['get', 'clusters'], { env, extendEnv: false, reject: false })).stdout.split('\n').filter(Boolean);
const ok = (r: { exitCode?: number; stdout: string; stderr: string }, what: string) => expect(r.exitCode, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);

/** Resolves once the process's stderr matches (the simple renderer prints each step as it starts). */
function whenStderr(p: ResultPromise, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    p.stderr?.on('data', (d) => {
      text += String(d);
      if (pattern.test(text)) resolve();
    });
    p.then(() => reject(new Error(`ended before its stderr showed ${pattern}:\n${text}`)), reject);
  });
}

beforeAll(async () => {
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
});

afterAll(async () => {
  for (const n of [A, B, C]) await execa('kwokctl', ['delete', 'cluster', '--name', n], { env, extendEnv: false, reject: false });
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('changing commands at the same time', () => {
  it('two first ups of two clusters: both clusters, both contexts, both meshes (the kubeconfig is written one at a time)', async () => {
    const [a, b] = await Promise.all([meshup(['up', ...on(A), ...MESH]), meshup(['up', ...on(B), ...MESH])]);
    ok(a, 'up a');
    ok(b, 'up b');
    const contexts = (await execa('kubectl', ['config', 'get-contexts', '-o', 'name'], { env, extendEnv: false })).stdout.split('\n');
    expect(contexts).toEqual(expect.arrayContaining([`kwok-${A}`, `kwok-${B}`]));
    for (const n of [A, B]) {
      expect(await kubectl(n, ['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'name'])).toBe('deployment.apps/istiod');
      expect(await record(n)).toMatchObject({ addons: [] });
    }
  });

  it('addons enable and injection enable at once on one cluster: the record keeps both', async () => {
    const [addons, injection] = await Promise.all([meshup(['addons', 'enable', 'prometheus', ...on(A)]), meshup(['injection', 'enable', 'lost1', ...on(A)])]);
    ok(addons, 'addons enable');
    ok(injection, 'injection enable');
    // One of them went second, and said for whom it waited.
    expect(`${addons.stderr}\n${injection.stderr}`).toMatch(
      new RegExp(
        `waiting for \`meshup (addons enable prometheus|injection enable lost1) --provider kwok --name ${A}\` \\(pid \\d+, since \\d\\d:\\d\\d:\\d\\d\\) to finish with context kwok-${A}`,
      ),
    );
    const r = await record(A);
    expect(r?.addons).toEqual(['prometheus']);
    expect(r?.namespaces).toContain('lost1');
    expect(await kubectl(A, ['get', 'namespace', 'lost1', '-o', 'jsonpath={.metadata.labels.istio-injection}'])).toBe('enabled');
    expect(await kubectl(A, ['get', 'deployment', 'prometheus', '-n', 'istio-system', '-o', 'name'])).toBe('deployment.apps/prometheus');
  });

  it('down --keep-cluster during an up waits for it, and then removes the mesh that up installed and recorded', async () => {
    ok(await meshup(['down', '--keep-cluster', ...on(B), '--yes']), 'down --keep-cluster (before)');
    expect(await record(B)).toBeUndefined();
    // down deletes istio-system without waiting; the namespace controller empties it.
    for (let i = 0; i < 120 && (await istioSystem(B)) !== ''; i++) await new Promise((r) => setTimeout(r, 500));
    const up = start(['up', ...on(B), ...MESH]);
    await whenStderr(up, /Install Istio/);
    const down = await meshup(['down', '--keep-cluster', ...on(B), '--yes']);
    const u = await up;
    ok(u, 'up');
    ok(down, 'down --keep-cluster');
    expect(u.stdout).toContain(`Mesh ready on kwok cluster "${B}"`);
    expect(down.stderr).toMatch(new RegExp(`waiting for \`meshup up --provider kwok --name ${B}\` \\(pid ${up.pid}, since`));
    expect(down.stdout).toContain(`Removed the mesh from kwok-${B}`);
    // Neither change is lost: up's mesh went in whole, then down took it out whole, record included.
    expect(await record(B)).toBeUndefined();
    expect(['', 'Terminating']).toContain(await istioSystem(B));
    expect(u.stderr).not.toContain('panic');
  });

  it('a second writer with --no-wait refuses at once, naming the first; a reader neither waits nor refuses', async () => {
    const up = start(['up', ...on(B), ...MESH]);
    await whenStderr(up, /Install Istio/);
    const [refused, status] = await Promise.all([meshup(['injection', 'enable', 'shop', ...on(B), '--no-wait']), meshup(['status', ...on(B)])]);
    ok(await up, 'up');
    expect(refused.exitCode, refused.stderr).toBe(5);
    expect(refused.stderr).toContain(`Another meshup command is changing context kwok-${B}: \`meshup up --provider kwok --name ${B}\` (pid ${up.pid}`);
    ok(status, 'status');
    expect(status.stdout).toContain(`Changing: \`meshup up --provider kwok --name ${B}\` (pid ${up.pid}`);
    // Let go once up ended: the next writer goes straight in.
    const after = await meshup(['injection', 'enable', 'shop', ...on(B), '--no-wait']);
    ok(after, 'injection enable after');
    ok(await meshup(['down', ...on(B), '--yes']), 'down b');
    expect(await clusters()).not.toContain(B);
  });
});

describe('an interrupted first up', () => {
  it('is found by status without flags, which says it did not finish, and removed by down', async () => {
    const up = start(['up', ...on(C), ...MESH]);
    await whenStderr(up, /Install Istio/);
    up.kill('SIGINT');
    const u = await up;
    expect(u.exitCode, u.stderr).toBe(130);
    expect(u.stderr).toMatch(/^done: .*Create kwok cluster/m);
    expect(await clusters()).toContain(C);

    // No flags: the target was remembered before the first change.
    const status = await meshup(['status']);
    ok(status, 'status');
    expect(status.stdout).toContain(`Cluster   ${C} (kwok, context kwok-${C}): running`);
    expect(status.stdout).toMatch(/Unfinished: meshup's last up on it did not finish \(started .+\)\. Finish it: meshup up \(or remove it: meshup down\)/);
    // Nothing is left holding the cluster: the interrupted up let go of its lock.
    expect(existsSync(contextLockFile(env, `kwok-${C}`))).toBe(false);

    const down = await meshup(['down', '--yes']);
    ok(down, 'down');
    expect(down.stderr).toContain(`meshup's last up on kwok cluster "${C}" did not finish`);
    expect(down.stdout).toContain(`Deleted kwok cluster "${C}"`);
    expect(await clusters()).not.toContain(C);
    ok(await meshup(['down', ...on(A), '--yes']), 'down a');
    expect(await clusters()).not.toContain(A);
  });
});
