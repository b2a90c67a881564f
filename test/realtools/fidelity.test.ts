// The fakes of test/fakes (tools/*.mjs, run as bin/<tool>) against the real binaries they stand
// for: for every output meshup parses, both are run in the same situation and meshup's parser
// must read the same thing from each (and the exit codes must match). A fake that drifts from
// the real tool fails here.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseKindClusters } from '../../src/tools/kind.js';
import { parseKubeconfigView } from '../../src/tools/kubectl.js';
import { parseMinikubeStatus, parseProfileList } from '../../src/tools/minikube.js';
import { FAKES } from '../helpers/sealed.js';
import { type Run, type World, world } from './standin.js';

let real: World;
let fake: World;
beforeEach(() => {
  real = world();
  fake = real.withFakes();
});
afterEach(() => real.cleanup());

/** The fakes' own world (test/fakes/lib.mjs keeps it in $FAKE_STATE/state.json). */
const fakeFile = () => join(fake.env.FAKE_STATE!, 'state.json');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fakeRead = (): Record<string, any> => (existsSync(fakeFile()) ? (JSON.parse(readFileSync(fakeFile(), 'utf8')) as Record<string, unknown>) : {});
const fakeWrite = (s: Record<string, unknown>) => writeFileSync(fakeFile(), JSON.stringify(s));

const both = async (file: string, args: string[], input?: string): Promise<[Run, Run]> => [
  await real.tool(file, args, { input }),
  await fake.tool(file, args, { input }),
];
const versionOf = (s: string) => /v(\d+\.\d+\.\d+\S*)/.exec(s)?.[1];

const KIND_CONFIG = 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: rt\nnodes:\n  - role: control-plane\n';

describe('fake kind reproduces kind v0.33.0', () => {
  it('names the version it reproduces, and reports the same one', async () => {
    expect(readFileSync(join(FAKES, '..', 'tools', 'kind.mjs'), 'utf8')).toMatch(/reproduces kind v0\.33\.0/);
    const [r, f] = await both('kind', ['version']);
    expect(versionOf(r.stdout)).toBe('0.33.0');
    expect(versionOf(f.stdout)).toBe(versionOf(r.stdout));
  });

  it('get clusters: none, then one', async () => {
    let [r, f] = await both('kind', ['get', 'clusters']);
    expect([r.exitCode, parseKindClusters(r.stdout), r.stderr.trim()]).toEqual([0, [], 'No kind clusters found.']);
    expect([f.exitCode, parseKindClusters(f.stdout), f.stderr.trim()]).toEqual([r.exitCode, parseKindClusters(r.stdout), r.stderr.trim()]);
    [r, f] = await both('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], KIND_CONFIG);
    expect([r.exitCode, f.exitCode]).toEqual([0, 0]);
    [r, f] = await both('kind', ['get', 'clusters']);
    expect(parseKindClusters(r.stdout)).toEqual(['rt']);
    expect(parseKindClusters(f.stdout)).toEqual(parseKindClusters(r.stdout));
  });

  it('create on an existing name fails the same way', async () => {
    await both('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], KIND_CONFIG);
    const [r, f] = await both('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], KIND_CONFIG);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('node(s) already exist for a cluster with the name "rt"');
    expect(f.exitCode).toBe(r.exitCode);
    expect(f.stderr).toContain('node(s) already exist for a cluster with the name "rt"');
  });

  it('delete of a missing cluster succeeds', async () => {
    const [r, f] = await both('kind', ['delete', 'cluster', '--name', 'nope']);
    expect([r.exitCode, f.exitCode]).toEqual([0, 0]);
  });

  it('export kubeconfig restores a deleted context, and fails for a missing cluster', async () => {
    await both('kind', ['create', 'cluster', '--name', 'rt', '--config', '-'], KIND_CONFIG);
    await real.tool('kubectl', ['config', 'delete-context', 'kind-rt']);
    const fs = fakeRead();
    fs.kubeconfig.contexts = fs.kubeconfig.contexts.filter((c: { name: string }) => c.name !== 'kind-rt');
    fs.kubeconfig.current = '';
    fakeWrite(fs);
    const view = async (w: World) => parseKubeconfigView((await w.tool('kubectl', ['config', 'view', '-o', 'json'])).stdout);
    expect((await view(real)).contexts.map((c) => c.name)).toEqual([]);
    let [r, f] = await both('kind', ['export', 'kubeconfig', '--name', 'rt']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('Set kubectl context to "kind-rt"');
    expect([f.exitCode, f.stderr]).toEqual([r.exitCode, r.stderr]);
    const [rv, fv] = [await view(real), await view(fake)];
    expect([rv.current, rv.contexts.map((c) => c.name)]).toEqual(['kind-rt', ['kind-rt']]);
    expect([fv.current, fv.contexts.map((c) => c.name)]).toEqual([rv.current, rv.contexts.map((c) => c.name)]);
    [r, f] = await both('kind', ['export', 'kubeconfig', '--name', 'nope']);
    expect(r.exitCode).toBe(1);
    expect(f.exitCode).toBe(1);
    expect(f.stderr.trim()).toBe(r.stderr.trim());
  });

  it('get clusters with Docker down exits 1', async () => {
    real.faults({ daemonDown: true });
    fakeWrite({ ...fakeRead(), docker: { running: false } });
    const [r, f] = await both('kind', ['get', 'clusters']);
    expect(r.exitCode).toBe(1);
    expect(f.exitCode).toBe(1);
    expect(r.stderr).toContain('failed to list clusters');
    expect(f.stderr).toContain('failed to list clusters');
  });
});

describe('fake minikube reproduces minikube v1.36.0', () => {
  /**
   * The real `minikube start` gets as far as creating the node container, then waits for SSH on
   * it, which no stand-in serves: stop it there. The profile is saved by then, as it would be
   * after a start that died. The fake starts its profile the ordinary way.
   */
  async function startBoth(profile: string) {
    const args = ['start', '-p', profile, '--cpus', '2', '--memory', '2048mb', '--driver', 'docker', '--force'];
    const child = execa(join(real.env.PATH!, 'minikube'), args, { env: real.env, extendEnv: false, reject: false, cwd: join(real.dir, 'work') });
    const deadline = Date.now() + 90_000;
    while (real.containers()[profile]?.state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGKILL');
    await child;
    expect(real.containers()[profile]?.state).toBe('running');
    expect((await fake.tool('minikube', args)).exitCode).toBe(0);
  }
  const status = async (w: World, profile: string) => {
    const r = await w.tool('minikube', ['status', '-p', profile, '-o', 'json']);
    return { exitCode: r.exitCode, state: parseMinikubeStatus(r.stdout, r.exitCode) };
  };
  const setFakeProfile = (profile: string, status: string) => {
    const s = fakeRead();
    s.minikube.profiles[profile].status = status;
    fakeWrite(s);
  };

  it('names the version it reproduces, and reports the same one', async () => {
    expect(readFileSync(join(FAKES, '..', 'tools', 'minikube.mjs'), 'utf8')).toMatch(/reproduces minikube v1\.36\.0/);
    for (const args of [['version', '--short'], ['version']]) {
      const [r, f] = await both('minikube', args);
      expect(versionOf(r.stdout)).toBe('1.36.0');
      expect(versionOf(f.stdout)).toBe(versionOf(r.stdout));
    }
  });

  it('status and profile list with no profile', async () => {
    let [r, f] = await both('minikube', ['status', '-p', 'rt', '-o', 'json']);
    expect(r.exitCode).toBe(85);
    expect([f.exitCode, parseMinikubeStatus(f.stdout, f.exitCode)]).toEqual([r.exitCode, parseMinikubeStatus(r.stdout, r.exitCode)]);
    expect(parseMinikubeStatus(r.stdout, r.exitCode)).toBe('absent');
    [r, f] = await both('minikube', ['profile', 'list', '-o', 'json', '-l']);
    expect([r.exitCode, parseProfileList(r.stdout)]).toEqual([0, []]);
    expect([f.exitCode, parseProfileList(f.stdout)]).toEqual([0, []]);
    [r, f] = await both('minikube', ['delete', '-p', 'rt']);
    expect([r.exitCode, f.exitCode]).toEqual([0, 0]);
  });

  it('a profile: listed alike, stopped (exit 7), then its container gone (null, exit 0), then deleted', async () => {
    await startBoth('rt');
    const [rl, fl] = await both('minikube', ['profile', 'list', '-o', 'json', '-l']);
    expect(parseProfileList(rl.stdout)).toEqual([{ name: 'rt', status: 'Skipped', cpus: 2, memoryMiB: 2048, driver: 'docker', kubernetesVersion: 'v1.33.1' }]);
    expect([fl.exitCode, parseProfileList(fl.stdout)]).toEqual([rl.exitCode, parseProfileList(rl.stdout)]);

    await real.tool('docker', ['stop', 'rt']);
    setFakeProfile('rt', 'Stopped');
    expect(await status(real, 'rt')).toEqual({ exitCode: 7, state: 'stopped' });
    expect(await status(fake, 'rt')).toEqual(await status(real, 'rt'));

    await real.tool('docker', ['rm', '-f', 'rt']);
    setFakeProfile('rt', 'Gone');
    const r = await real.tool('minikube', ['status', '-p', 'rt', '-o', 'json']);
    expect([r.exitCode, r.stdout.trim()]).toEqual([0, 'null']);
    expect(await status(real, 'rt')).toEqual({ exitCode: 0, state: 'broken' });
    expect(await status(fake, 'rt')).toEqual(await status(real, 'rt'));

    const [rd, fd] = await both('minikube', ['delete', '-p', 'rt']);
    expect([rd.exitCode, fd.exitCode]).toEqual([0, 0]);
    expect(await status(real, 'rt')).toEqual({ exitCode: 85, state: 'absent' });
    expect(await status(fake, 'rt')).toEqual(await status(real, 'rt'));
  });

  it('Docker down: status of an existing profile is null with exit 0', async () => {
    await startBoth('rt');
    real.faults({ daemonDown: true });
    fakeWrite({ ...fakeRead(), docker: { running: false } });
    const r = await real.tool('minikube', ['status', '-p', 'rt', '-o', 'json']);
    expect([r.exitCode, r.stdout.trim()]).toEqual([0, 'null']);
    expect(await status(fake, 'rt')).toEqual({ exitCode: 0, state: 'broken' });
  });
});
