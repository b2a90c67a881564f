// Ctrl-C against a tool whose own child keeps the output pipe open (a daemon it forked, a helper
// it left behind): the first interrupt reaches the whole tree, as a terminal's Ctrl-C reaches its
// foreground group; when the tree ignores it, the second one (killAll) ends the wait for good and
// leaves no process behind.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { Runner } from '../../src/exec/runner.js';
import { alive, until } from '../helpers/process.js';

let dir: string;
const pids: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meshup-interrupt-'));
});
afterEach(() => {
  // Whatever a failed test left, by its own pid.
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A "kind" that forks a grandchild holding stdout and stderr, writes both pids down, and waits.
 * A shell's background job ignores SIGINT already; `ignore` makes both ignore SIGTERM too (a
 * stuck tree), `setsid` starts the grandchild in a session of its own (a daemon it leaves). */
function fakeTool(o: { ignore?: boolean; setsid?: boolean } = {}): string {
  const file = join(dir, 'kind');
  const trap = o.ignore ? "trap '' INT TERM\n" : '';
  // The grandchild says it is there only once it is what it should be (in its own session when
  // `setsid`), so that the interrupt never reaches it half-started: on a loaded machine the exec of
  // setsid can come after the forced kill of the group, which then ends the call the test expects
  // to keep waiting.
  const ready = join(dir, 'ready');
  const body = `/bin/touch ${ready}; exec /bin/sleep 300`;
  const fork = o.setsid ? `/usr/bin/setsid /bin/sh -c '${body}' &` : `/bin/sh -c '${body}' &`;
  writeFileSync(
    file,
    `#!/bin/sh\n${trap}${fork}\nwhile [ ! -e ${ready} ]; do /bin/sleep 0.05; done\necho "$$ $!" > "${dir}/pids.tmp"\n/bin/mv "${dir}/pids.tmp" "${dir}/pids"\necho started\n/bin/sleep 300\n`,
    { mode: 0o755 },
  );
  return file;
}

async function started(): Promise<[number, number]> {
  expect(await until(() => existsSync(join(dir, 'pids')))).toBe(true);
  const [child, grandchild] = readFileSync(join(dir, 'pids'), 'utf8').trim().split(' ').map(Number) as [number, number];
  pids.push(child, grandchild);
  return [child, grandchild];
}

const runnerWith = (tool: string, signal: AbortSignal) => new Runner({ env: { PATH: dir }, log: () => {}, signal, binaries: { kind: tool } });
const listing = (r: Runner) => {
  let settled = false;
  const call = r.run({ readOnly: true, tool: 'kind', args: ['get', 'clusters'] }).finally(() => (settled = true));
  call.catch(() => {});
  return { call, settled: () => settled };
};

describe.skipIf(process.platform === 'win32')('Ctrl-C and a grandchild holding the pipe', () => {
  it('the first Ctrl-C reaches the grandchild too: what ignores it is killed as the child is, and the call ends', async () => {
    const ctrl = new AbortController();
    const { call } = listing(runnerWith(fakeTool(), ctrl.signal));
    const [child, grandchild] = await started();
    const first = Date.now();
    ctrl.abort();
    await expect(call).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - first).toBeLessThan(6000);
    expect(await until(() => !alive(child) && !alive(grandchild))).toBe(true);
  }, 20_000);

  it('the second Ctrl-C ends the wait at once and kills the whole tree', async () => {
    const ctrl = new AbortController();
    const runner = runnerWith(fakeTool({ ignore: true }), ctrl.signal);
    const { call, settled } = listing(runner);
    const [child, grandchild] = await started();
    ctrl.abort();
    await new Promise((r) => setTimeout(r, 500));
    expect(settled()).toBe(false);
    expect(alive(child) && alive(grandchild)).toBe(true);
    const second = Date.now();
    runner.killAll();
    await expect(call).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - second).toBeLessThan(1000);
    expect(await until(() => !alive(child) && !alive(grandchild))).toBe(true);
    // Nothing else waits on it either.
    await runner.stopAll();
  }, 20_000);

  it.skipIf(!existsSync('/usr/bin/setsid'))(
    'a process outside the tree that holds the pipe keeps the first Ctrl-C waiting, not the second',
    async () => {
      const ctrl = new AbortController();
      const runner = runnerWith(fakeTool({ setsid: true }), ctrl.signal);
      const { call, settled } = listing(runner);
      const [child] = await started();
      ctrl.abort();
      expect(await until(() => !alive(child))).toBe(true);
      // Past the forced kill: the child is gone, the pipe is still held.
      await new Promise((r) => setTimeout(r, 3500));
      expect(settled()).toBe(false);
      const second = Date.now();
      runner.killAll();
      await expect(call).rejects.toBeInstanceOf(InterruptedError);
      expect(Date.now() - second).toBeLessThan(1000);
    },
    20_000,
  );

  it('a clean-up runner is left alone by the first Ctrl-C and killed by the second', async () => {
    const ctrl = new AbortController();
    const runner = runnerWith(fakeTool(), ctrl.signal);
    const { call } = listing(runner.forCleanup());
    const [child, grandchild] = await started();
    ctrl.abort();
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(child) && alive(grandchild)).toBe(true);
    runner.killAll();
    await expect(call).rejects.toThrow();
    expect(await until(() => !alive(child) && !alive(grandchild))).toBe(true);
  });
});
