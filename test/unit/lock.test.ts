// The lock between meshup processes (util/lockfile.ts) and the one writer per cluster built on it
// (state/lock.ts): a stale lock is taken over, a live holder is waited for and named, --no-wait
// refuses naming it, readers take nothing, and every way a writer ends lets go.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusyError, ExitCode, InterruptedError, PreflightError } from '../../src/errors.js';
import { asWriter, changingNow, contextLockFile, lockContext, type WriterOptions } from '../../src/state/lock.js';
import { acquireLock, type LockHolder, withLockIfPossible } from '../../src/util/lockfile.js';
import { ROOT } from '../helpers/sealed.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshup-lock-'));
  env = { HOME: dir, XDG_STATE_HOME: join(dir, 'state') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
const holder = (pid: number, extra: Partial<LockHolder> = {}): LockHolder => ({
  pid,
  command: 'meshup up --provider kind',
  startedAt: '2030-01-02T03:04:05.000Z',
  hostname: hostname(),
  token: 'theirs',
  ...extra,
});
const plant = (file: string, h: LockHolder | string) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof h === 'string' ? h : JSON.stringify(h));
};
/** The pid of a process that has ended. */
const deadPid = () => {
  const child = spawn(process.execPath, ['-e', '0']);
  return new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
};
/** A process that runs until killed. */
const liveProcess = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });

function writer(o: Partial<WriterOptions> = {}): WriterOptions & { lines: string[] } {
  const lines: string[] = [];
  return { env, wait: true, command: 'meshup addons disable grafana', log: (l) => lines.push(l), pollMs: 20, lines, ...o };
}

describe('the lock file', () => {
  it('is made whole with pid, command, start time and host, and removed on release', async () => {
    const file = join(dir, 'a.lock');
    const release = await acquireLock(file, 'meshup up', { wait: true });
    expect(read(file)).toMatchObject({ pid: process.pid, command: 'meshup up', hostname: hostname() });
    expect(Date.parse(read(file).startedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Nothing else is left beside it: the copy it was linked from is gone.
    expect(readdirSync(dir)).toEqual(['a.lock']);
    await release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a stale lock: its pid has ended on this host', async () => {
    const file = join(dir, 'a.lock');
    plant(file, holder(await deadPid()));
    const release = await acquireLock(file, 'meshup down', { wait: false });
    expect(read(file)).toMatchObject({ pid: process.pid, command: 'meshup down' });
    await release();
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid a newer process has (its start time differs)', async () => {
    const file = join(dir, 'a.lock');
    const child = liveProcess();
    try {
      plant(file, holder(child.pid!, { procStart: '1' }));
      const release = await acquireLock(file, 'meshup up', { wait: false });
      expect(read(file).pid).toBe(process.pid);
      await release();
    } finally {
      child.kill();
    }
  });

  it('takes over a lock left by an earlier process with this pid, but not one this process holds', async () => {
    const file = join(dir, 'a.lock');
    plant(file, holder(process.pid));
    const release = await acquireLock(file, 'first', { wait: false });
    await expect(acquireLock(file, 'second', { wait: false })).rejects.toThrow(/is locked/);
    await release();
  });

  it('waits for a live holder, reports it once, and goes on when it ends', async () => {
    const file = join(dir, 'a.lock');
    const child = liveProcess();
    plant(file, holder(child.pid!));
    const seen: (LockHolder | undefined)[] = [];
    let got = false;
    const taking = acquireLock(file, 'meshup injection enable lost1', { wait: true, pollMs: 20, onWait: (h) => seen.push(h) }).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBe(false);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ pid: child.pid, command: 'meshup up --provider kind' });
    child.kill();
    const release = await taking;
    expect(read(file).command).toBe('meshup injection enable lost1');
    await release();
  });

  it('counts a holder on another host as alive (it cannot be asked)', async () => {
    const file = join(dir, 'a.lock');
    plant(file, holder(await deadPid(), { hostname: `not-${hostname()}` }));
    await expect(acquireLock(file, 'x', { wait: false })).rejects.toThrow(/is locked/);
  });

  it('waits for a lock that does not say who holds it, until it is old enough to be stale', async () => {
    const file = join(dir, 'a.lock');
    plant(file, '');
    await expect(acquireLock(file, 'x', { wait: false })).rejects.toThrow(/is locked/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const release = await acquireLock(file, 'x', { wait: false });
    expect(read(file).command).toBe('x');
    await release();
  });

  it('lets Ctrl-C end a wait', async () => {
    const file = join(dir, 'a.lock');
    const release = await acquireLock(file, 'first', { wait: true });
    const ctl = new AbortController();
    const waiting = acquireLock(file, 'second', { wait: true, pollMs: 20, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    expect(read(file).command).toBe('first');
    await release();
  });

  it('a release removes only its own lock', async () => {
    const file = join(dir, 'a.lock');
    const release = await acquireLock(file, 'mine', { wait: true });
    // Taken over meanwhile (as if this process had been thought dead): not removed by the release.
    writeFileSync(file, JSON.stringify(holder(1, { token: 'other' })));
    await release();
    expect(read(file).token).toBe('other');
  });

  it('one holder at a time among many callers in one process', async () => {
    const file = join(dir, 'a.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        for (let round = 0; round < 4; round++) {
          const release = await acquireLock(file, `caller ${i}`, { wait: true, pollMs: 1 });
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
          await release();
        }
      }),
    );
    expect(most).toBe(1);
    expect(existsSync(file)).toBe(false);
  });

  it('one holder at a time among processes', async () => {
    const module = join(ROOT, 'dist', 'util', 'lockfile.js');
    expect(existsSync(module), 'npm run build first').toBe(true);
    const file = join(dir, 'a.lock');
    const log = join(dir, 'log');
    const script = `
      import { appendFileSync } from 'node:fs';
      const { acquireLock } = await import(${JSON.stringify(module)});
      for (let i = 0; i < 5; i++) {
        const release = await acquireLock(${JSON.stringify(file)}, 'p', { wait: true, pollMs: 5 });
        appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 10));
        appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
        await release();
      }`;
    await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<void>((resolve, reject) => {
            const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
            p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
          }),
      ),
    );
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]!.startsWith('in ')).toBe(true);
      expect(lines[i + 1]).toBe(`out ${lines[i]!.slice(3)}`);
    }
  });

  it.runIf(process.platform === 'linux')("a directory that cannot be made under /proc fails at once (Node's recursive mkdir would spin)", async () => {
    await expect(acquireLock('/proc/1/.local/state/meshup/locks/x.lock', 'x', { wait: false })).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('a lock that cannot be made at all (the directory is a file) lets the work run without it', async () => {
    writeFileSync(join(dir, 'file'), '');
    let ran = false;
    await withLockIfPossible(join(dir, 'file', 'kubeconfig.meshup-lock'), 'kind create cluster', { wait: true }, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});

describe('one writer per context', () => {
  const context = 'kind-meshup';

  it('is keyed by the context, one file per context however it is spelt', () => {
    const a = contextLockFile(env, 'kind-a');
    expect(a.startsWith(join(dir, 'state', 'meshup', 'locks'))).toBe(true);
    expect(contextLockFile(env, 'a/b')).not.toBe(contextLockFile(env, 'a_b'));
    expect(contextLockFile(env, 'x'.repeat(500)).length).toBeLessThan(a.length + 200);
  });

  it('a reader takes no lock and never waits', async () => {
    const o = writer();
    const release = await acquireLock(contextLockFile(env, context), 'meshup up', { wait: true });
    const reader = {};
    await lockContext(reader, context);
    expect(o.lines).toEqual([]);
    await release();
    await lockContext(reader, context);
    expect(existsSync(contextLockFile(env, context))).toBe(false);
  });

  it('a writer holds it while it works and lets go when done; a second open takes it once', async () => {
    const app = {};
    const o = writer();
    await asWriter(app, o, async () => {
      await lockContext(app, context);
      await lockContext(app, context);
      expect(read(contextLockFile(env, context))).toMatchObject({ pid: process.pid, command: 'meshup addons disable grafana' });
      expect(await changingNow(env, context)).toMatchObject({ command: 'meshup addons disable grafana' });
    });
    expect(existsSync(contextLockFile(env, context))).toBe(false);
    expect(await changingNow(env, context)).toBeUndefined();
  });

  it('lets go when the work fails', async () => {
    const app = {};
    await expect(
      asWriter(app, writer(), async () => {
        await lockContext(app, context);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(contextLockFile(env, context))).toBe(false);
  });

  it('lets go on Ctrl-C, while working and while waiting', async () => {
    const ctl = new AbortController();
    const app = {};
    await expect(
      asWriter(app, writer({ signal: ctl.signal }), async () => {
        await lockContext(app, context);
        ctl.abort();
        throw new InterruptedError();
      }),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(existsSync(contextLockFile(env, context))).toBe(false);

    const held = await acquireLock(contextLockFile(env, context), 'meshup up', { wait: true });
    const ctl2 = new AbortController();
    const second = {};
    const o = writer({ signal: ctl2.signal });
    const waiting = asWriter(second, o, () => lockContext(second, context));
    setTimeout(() => ctl2.abort(), 60);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    expect(read(contextLockFile(env, context)).command).toBe('meshup up');
    await held();
  });

  it('a second writer waits with one line naming the first, then goes on', async () => {
    const first = {};
    const second = {};
    const o2 = writer({ command: 'meshup injection enable lost1' });
    const order: string[] = [];
    let letGo = () => {};
    const gate = new Promise<void>((r) => (letGo = r));
    const one = asWriter(first, writer(), async () => {
      await lockContext(first, context);
      order.push('first in');
      await gate;
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 20));
    const two = asWriter(second, o2, async () => {
      await lockContext(second, context);
      order.push('second in');
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(o2.lines).toHaveLength(1);
    expect(o2.lines[0]).toMatch(
      new RegExp(
        `^waiting for \`meshup addons disable grafana\` \\(pid ${process.pid}, since \\d\\d:\\d\\d:\\d\\d\\) to finish with context kind-meshup; --no-wait refuses instead$`,
      ),
    );
    letGo();
    await Promise.all([one, two]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('--no-wait refuses, naming the holder: pid, command and start time (exit 5)', async () => {
    const child = liveProcess();
    try {
      plant(contextLockFile(env, context), holder(child.pid!));
      const app = {};
      const e = await asWriter(app, writer({ wait: false }), () => lockContext(app, context)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BusyError);
      const err = e as BusyError;
      expect(err.exitCode).toBe(ExitCode.busy);
      expect(err.exitCode).toBe(5);
      const since = new Date('2030-01-02T03:04:05.000Z').toTimeString().slice(0, 8);
      expect(err.message).toBe(`Another meshup command is changing context kind-meshup: \`meshup up --provider kind\` (pid ${child.pid}, since ${since})`);
      expect(err.details.join('\n')).toContain('started 2030-01-02T03:04:05.000Z');
      expect(err.fix.join('\n')).toContain(`kill ${child.pid}`);
      // The holder's lock is left as it was.
      expect(read(contextLockFile(env, context)).pid).toBe(child.pid);
    } finally {
      child.kill();
    }
  });

  it('a state dir that cannot be written is a preflight error naming it, before anything else', async () => {
    writeFileSync(join(dir, 'state'), 'a file where the directory belongs');
    const app = {};
    const e = await asWriter(app, writer(), () => lockContext(app, context)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreflightError);
    expect((e as PreflightError).message).toContain(`meshup cannot write to ${join(dir, 'state', 'meshup')} (ENOTDIR)`);
    expect((e as PreflightError).fix.join('\n')).toContain('XDG_STATE_HOME');
  });
});
