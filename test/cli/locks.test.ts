// One writer per cluster, an interrupted first `up`, and faults after changes, in the fake world
// (issue 24). Two commands at once are two main() runs in this process: the lock tells them apart
// by its token, as it tells two processes apart by their pids (test/unit/lock.test.ts and
// test/e2e/locks.test.ts cover those).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextLockFile } from '../../src/state/lock.js';
import { releaseServerFor } from '../helpers/release.js';
import { MESHUP, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
});
afterEach(() => w.cleanup());

const KIND = ['--provider', 'kind'];
const lockFile = () => contextLockFile(w.env, 'kind-meshup');
const locks = () => (existsSync(dirname(lockFile())) ? readdirSync(dirname(lockFile())) : []);
const record = () => {
  const cm = w.readState().clusters['kind-meshup'].objects['configmap/kube-public/meshup'];
  return JSON.parse(cm.data.spec) as { addons: string[]; namespaces: string[] };
};
const targetFile = () => join(w.env.XDG_STATE_HOME!, 'meshup', 'target.json');
/** A process that holds the lock of kind-meshup as `meshup up` would, until killed. */
function holdLock() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  mkdirSync(dirname(lockFile()), { recursive: true });
  const startedAt = new Date().toISOString();
  writeFileSync(lockFile(), JSON.stringify({ pid: child.pid, command: 'meshup up --provider kind', startedAt, hostname: hostname(), token: 't' }));
  return { pid: child.pid!, startedAt, stop: () => child.kill() };
}

describe('one writer per cluster', () => {
  it('two edits at once both land in the record: the second waits for the first, and says so', async () => {
    expect((await w.run(['up', ...KIND, '--profile', 'demo', '--addons', 'prometheus,grafana', '--yes'])).exitCode).toBe(0);
    const [a, b] = await Promise.all([w.run(['addons', 'disable', 'grafana', ...KIND]), w.run(['injection', 'enable', 'lost1', ...KIND])]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(`${a.stderr}${b.stderr}`).toMatch(
      /waiting for `meshup (addons disable grafana|injection enable lost1) --provider kind` \(pid \d+, since \d\d:\d\d:\d\d\) to finish with context kind-meshup/,
    );
    expect(record().addons).toEqual(['prometheus']);
    expect(record().namespaces).toContain('lost1');
    expect(locks()).toEqual([]);
  });

  it('down --keep-cluster during an up waits for it, then removes the mesh that up recorded', async () => {
    w.state({ istioctl: { slowInstallMs: 400 } });
    const up = w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes']);
    for (let i = 0; i < 100 && !existsSync(lockFile()); i++) await new Promise((r) => setTimeout(r, 20));
    const down = await w.run(['down', '--keep-cluster', ...KIND, '--yes']);
    const u = await up;
    expect(u.exitCode, u.stderr).toBe(0);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/waiting for `meshup up --provider kind` \(pid \d+, since/);
    const objects = Object.keys(w.readState().clusters['kind-meshup'].objects);
    expect(objects).not.toContain('configmap/kube-public/meshup');
    expect(objects.filter((o) => o.includes('istiod'))).toEqual([]);
  });

  it('--no-wait refuses at once (exit 5), naming the holder, and changes nothing', async () => {
    const h = holdLock();
    try {
      const r = await w.run(['up', ...KIND, '--profile', 'minimal', '--yes', '--no-wait']);
      expect(r.exitCode, r.stderr).toBe(5);
      const since = new Date(h.startedAt).toTimeString().slice(0, 8);
      expect(r.stderr).toContain(`Another meshup command is changing context kind-meshup: \`meshup up --provider kind\` (pid ${h.pid}, since ${since})`);
      expect(r.stderr).toContain(`kill ${h.pid}`);
      expect(mutatingCalls(w.calls())).toEqual([]);
      // Nothing was read for a plan either: the lock comes first.
      expect(w.calls().filter((c) => c.tool === 'kubectl')).toEqual([]);
    } finally {
      h.stop();
    }
  });

  it('waits for a live holder with one line on stderr, and goes on once it has ended', async () => {
    const h = holdLock();
    setTimeout(h.stop, 600);
    const r = await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.match(/waiting for `/g)).toHaveLength(1);
    expect(r.stderr).toContain(`waiting for \`meshup up --provider kind\` (pid ${h.pid}, since`);
    expect(r.stderr).toContain('--no-wait refuses instead');
    expect(locks()).toEqual([]);
  });

  it('Ctrl-C while waiting exits 130 and leaves the holder lock alone (bin/meshup, a real SIGINT)', async () => {
    const h = holdLock();
    try {
      const child = spawn(process.execPath, [MESHUP, 'up', ...KIND, '--profile', 'minimal', '--yes'], {
        env: w.env,
        cwd: join(w.dir, 'work'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      for (let i = 0; i < 400 && !stderr.includes('waiting for `'); i++) await new Promise((r) => setTimeout(r, 25));
      child.kill('SIGINT');
      const code = await new Promise((r) => child.on('exit', r));
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('Interrupted');
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(h.pid);
      expect(mutatingCalls(w.calls())).toEqual([]);
    } finally {
      h.stop();
    }
  });

  it('takes over the lock of a meshup that was killed', async () => {
    mkdirSync(dirname(lockFile()), { recursive: true });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(lockFile(), JSON.stringify({ pid: dead.pid, command: 'meshup up', startedAt: new Date().toISOString(), hostname: hostname(), token: 'x' }));
    const r = await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes', '--no-wait']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('waiting for `');
    expect(locks()).toEqual([]);
  });

  it('read-only commands never take the lock nor wait for it', async () => {
    expect((await w.run(['up', ...KIND, '--profile', 'demo', '--addons', 'prometheus', '--yes'])).exitCode).toBe(0);
    const h = holdLock();
    try {
      for (const argv of [
        ['status', ...KIND],
        ['plan', ...KIND],
        ['up', ...KIND, '--dry-run', '--yes'],
        ['down', ...KIND, '--dry-run', '--yes'],
        ['addons', 'list', ...KIND],
        ['injection', 'list', ...KIND],
        ['addons', 'disable', 'prometheus', ...KIND, '--dry-run'],
        ['doctor', ...KIND],
      ]) {
        const r = await w.run([...argv, '--no-wait']);
        expect(r.exitCode, `${argv.join(' ')}: ${r.stderr}`).not.toBe(5);
        expect(r.stderr, argv.join(' ')).not.toContain('waiting for `');
      }
      // status says that another command is changing the cluster right now.
      const s = await w.run(['status', ...KIND]);
      expect(s.stdout).toContain(`Changing: \`meshup up --provider kind\` (pid ${h.pid}`);
      expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(h.pid);
    } finally {
      h.stop();
    }
  });

  it('is let go when the command fails', async () => {
    w.state({ istioctl: { failInstall: true } });
    const r = await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes']);
    expect(r.exitCode).toBe(1);
    expect(locks()).toEqual([]);
  });

  it('is let go on Ctrl-C (bin/meshup, a real SIGINT), which exits 130', async () => {
    w.state({ istioctl: { slowInstallMs: 20_000 } });
    const child = spawn(process.execPath, [MESHUP, 'up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes'], {
      env: w.env,
      cwd: join(w.dir, 'work'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    for (let i = 0; i < 400 && !stderr.includes('Install Istio'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(lockFile())).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code, stderr).toBe(130);
    expect(locks()).toEqual([]);
    // What was done and what was not, before the interrupt's own message.
    expect(stderr).toMatch(/^done: .*Create kind cluster meshup/m);
    expect(stderr).toMatch(/^(failed|not done): .*Install Istio/m);
    expect(stderr).toMatch(/^not done: .*Record the applied spec/m);
    expect(stderr).toContain('Run meshup up again: it keeps what was done and does the rest');
  });
});

describe('an interrupted first up', () => {
  it('is remembered before its first change: status finds it without flags and says so; down removes it', async () => {
    w.state({ istioctl: { failInstall: true } });
    const r = await w.run(['up', ...KIND, '--name', 'first', '--profile', 'minimal', '--addons', '', '--yes']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(readFileSync(targetFile(), 'utf8'))).toMatchObject({ provider: 'kind', clusterName: 'first', incomplete: { since: expect.any(String) } });
    // No flags: minikube (the default provider) is not even asked.
    w.hide('minikube');
    const s = await w.run(['status']);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(s.stdout).toContain('Cluster   first (kind, context kind-first): running');
    expect(s.stdout).toMatch(/Unfinished: meshup's last up on it did not finish \(started .+\)\. Finish it: meshup up \(or remove it: meshup down\)/);
    const sj = await w.run(['status', '--json']);
    expect(JSON.parse(sj.stdout).unfinishedUp).toEqual({ since: expect.any(String) });
    const d = await w.run(['down', '--yes']);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stderr).toContain(`meshup's last up on kind cluster "first" did not finish`);
    expect(d.stdout).toContain('Deleted kind cluster "first"');
    expect(w.readState().kind.clusters).toEqual({});
    expect(existsSync(targetFile())).toBe(false);
  });

  it('a second up finishes it, and the target is marked finished', async () => {
    w.state({ istioctl: { failInstall: true } });
    expect((await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes'])).exitCode).toBe(1);
    w.state({ istioctl: { failInstall: false } });
    const r = await w.run(['up', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(targetFile(), 'utf8'))).toEqual({ provider: 'kind', clusterName: 'meshup', context: 'kind-meshup' });
    expect((await w.run(['status'])).stdout).not.toContain('Unfinished');
  });

  it('a failure after changes names what was done and what was not, and a re-run converges', async () => {
    w.state({ istioctl: { failInstall: true } });
    const r = await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^\s*done: .*Create kind cluster meshup/m);
    expect(r.stderr).toMatch(/^\s*failed: Install Istio 1\.31\.1/m);
    expect(r.stderr).toMatch(/^\s*not done: .*Record the applied spec/m);
    expect(r.stderr).toContain('Run meshup up again: it keeps what was done and does the rest');
    w.state({ istioctl: { failInstall: false } });
    expect((await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes'])).exitCode).toBe(0);
    const before = w.calls().length;
    const again = await w.run(['up', ...KIND, '--profile', 'minimal', '--addons', '', '--yes', '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout).commands).toEqual([]);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });
});

describe('checked before the first change', () => {
  it('a state dir that cannot be written stops up before anything is changed (exit 3)', async () => {
    writeFileSync(join(w.dir, 'state-file'), '');
    const r = await w.run(['up', ...KIND, '--yes'], { env: { XDG_STATE_HOME: join(w.dir, 'state-file') } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`meshup cannot write to ${join(w.dir, 'state-file', 'meshup')} (ENOTDIR)`);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('plan and doctor report it too, and a cache dir that cannot take the download', async () => {
    writeFileSync(join(w.dir, 'file'), '');
    const env = { XDG_STATE_HOME: join(w.dir, 'file', 'state'), XDG_CACHE_HOME: join(w.dir, 'file', 'cache') };
    const p = await w.run(['plan', ...KIND], { env });
    expect(p.exitCode).toBe(3);
    expect(p.stderr).toMatch(/state directory: .*cannot be written \(ENOTDIR\)/);
    expect(p.stderr).toMatch(/cache directory: .*cannot be written \(ENOTDIR\): the Istio 1\.31\.1 release is downloaded there/);
    const d = await w.run(['doctor', ...KIND, '--json'], { env });
    expect(d.exitCode).toBe(3);
    const checks = (JSON.parse(d.stdout) as { findings: { check: string; status: string }[] }).findings.filter((f) => /^(state|cache) /.test(f.check));
    expect(checks.map((f) => `${f.check} ${f.status}`)).toEqual(['state directory error', 'cache directory error']);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});
