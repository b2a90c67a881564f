// The control plane's install starts ahead of the new cluster's node check where the provider says
// its nodes are on the way (kwok). When that cluster step then fails, the install it let start is
// stopped and waited for: the cluster's own error is the one reported, and no istioctl is left.
// In-process, with a stub provider and a stand-in istioctl that only records itself and waits.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { applyTasks } from '../../src/apply/apply.js';
import { loadAddonCatalog } from '../../src/config/catalog.js';
import { MeshupError } from '../../src/errors.js';
import { Runner } from '../../src/exec/runner.js';
import { emptyObserved } from '../../src/observe/evaluate.js';
import { plan } from '../../src/plan/plan.js';
import { changes } from '../../src/plan/types.js';
import { providerFor } from '../../src/providers/index.js';
import type { Provider } from '../../src/providers/types.js';
import type { IO } from '../../src/ui/io.js';
import { runSteps } from '../../src/ui/tasks.js';
import { sleep } from '../../src/util/time.js';
import { alive } from '../helpers/process.js';
import { specFor } from '../helpers/spec.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An extracted release whose istioctl answers `version`, fails `manifest` (the listing is
 * optional) and, for `install`, writes its pid and waits a minute. */
function release(root: string): { dir: string; pidFile: string } {
  const dir = join(root, 'istio-1.31.1');
  const pidFile = join(root, 'istioctl-install.pid');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const bin = join(dir, 'bin', 'istioctl');
  writeFileSync(
    bin,
    `#!/bin/sh
for a in "$@"; do
  case "$a" in
    version) echo '{"clientVersion":{"version":"1.31.1"}}'; exit 0 ;;
    manifest) exit 1 ;;
    install) echo $$ > '${pidFile}'; echo '- Processing resources for Istio core.'; exec sleep 60 ;;
  esac
done
exit 1
`,
  );
  chmodSync(bin, 0o755);
  return { dir, pidFile };
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('the install started ahead of the node check', () => {
  it('is stopped when the cluster step then fails, which is the error reported', { timeout: 30_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'meshup-head-start-'));
    dirs.push(root);
    const { dir, pidFile } = release(root);
    const env = { PATH: '/usr/bin:/bin', HOME: root, XDG_STATE_HOME: join(root, 'state'), XDG_CACHE_HOME: join(root, 'cache') };
    const runner = new Runner({ env, log: () => {}, binaries: { kwokctl: '/bin/true' } }).forContext('kwok-meshup');
    const spec = await specFor({ provider: 'kwok', profile: 'minimal', addons: '', istioDir: dir, gatewayApi: false, namespaces: '' });
    const kwok = providerFor('kwok');
    // A kwok cluster whose API answers, but whose node cannot be added.
    const provider: Provider = {
      ...kwok,
      async create(r, _spec, answering) {
        // The cluster's creation, under way: what waits for it (getting the release) goes on.
        await r.run({ tool: 'kwokctl', args: ['create', 'cluster'] });
        answering?.();
        await until('istioctl install to start', () => existsSync(pidFile));
        throw new MeshupError('Adding a simulated node: the API server refused it');
      },
      status: async () => ({ state: 'absent' }),
    };
    const catalog = await loadAddonCatalog();
    const observed = emptyObserved({ state: 'absent' });
    const p = plan({
      spec,
      observed,
      provider,
      catalog,
      context: 'kwok-meshup',
      overlayPath: join(root, 'overlay.yaml'),
      gatewayApiBundle: join(root, 'bundle.yaml'),
    });
    expect(p.actions.filter((a) => changes(a)).map((a) => a.op.type)).toEqual(expect.arrayContaining(['cluster', 'istio']));
    const { tasks } = applyTasks({ runner, spec, provider, context: 'kwok-meshup', plan: p, observed, catalog, meshupVersion: '0.0.0-test' });

    const io: IO = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: { CI: 'true' }, cwd: root };
    const started = Date.now();
    await expect(runSteps(io, true, tasks, {})).rejects.toThrow('Adding a simulated node: the API server refused it');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Stopped, not left to its minute of waiting, and gone by the time up would report the error.
    expect(alive(pid)).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
    const install = runner.history.find((c) => c.command.includes(' install -f '));
    expect(install?.command).toContain('--context kwok-meshup');
  });
});
