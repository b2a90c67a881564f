// Ctrl-C at bin/meshup while a tool's own child keeps the output pipe open and ignores the
// interrupt: the first Ctrl-C says it is stopping, the second ends the wait at once with exit 130,
// and no process of the tool's tree is left. Spawns bin/meshup (signals need a real process).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, until } from '../helpers/process.js';
import { MESHUP, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const pids: number[] = [];
beforeEach(() => {
  w = sealed();
});
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  w.cleanup();
});

describe.skipIf(process.platform === 'win32')('a second Ctrl-C', () => {
  it('ends the wait for a tool whose child holds the pipe and ignores the interrupt, and leaves no process', async () => {
    // A kind that forks a grandchild holding stdout and stderr; both ignore SIGINT and SIGTERM.
    const dir = join(w.dir, 'stuck');
    const pidFile = join(w.dir, 'pids');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'kind'),
      `#!/bin/sh\ntrap '' INT TERM\n/bin/sleep 300 &\necho "$$ $!" > "${pidFile}.tmp"\n/bin/mv "${pidFile}.tmp" "${pidFile}"\n/bin/sleep 300\n`,
      { mode: 0o755 },
    );
    const child = execa(process.execPath, [MESHUP, 'status', '--provider', 'kind'], {
      env: { ...w.env, PATH: `${dir}:${w.env.PATH}` },
      extendEnv: false,
      cwd: join(w.dir, 'work'),
      reject: false,
    });
    expect(await until(() => existsSync(pidFile), 20_000)).toBe(true);
    const [tool, grandchild] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number];
    pids.push(tool, grandchild);

    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1000));
    expect(child.exitCode).toBeNull();
    expect(alive(grandchild)).toBe(true);

    const second = Date.now();
    child.kill('SIGINT');
    const r = await child;
    expect(Date.now() - second).toBeLessThan(2000);
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('Stopping (press Ctrl-C again to stop waiting)...');
    expect(r.stderr).toContain('Interrupted');
    expect(await until(() => !alive(tool) && !alive(grandchild))).toBe(true);
  });
});
