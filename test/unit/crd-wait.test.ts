// Waiting for CRDs to be Established. kubectl wait fails at once, rather than waiting, when it reads
// a CRD that has no conditions yet (right after an apply, seen in a benchmark run); meshup asks
// again. Through the real runner, with a stand-in kubectl that answers from a script of replies.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Runner } from '../../src/exec/runner.js';
import { waitForCrdsEstablished } from '../../src/tools/kubectl.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** kubectl that gives the replies in order (stderr text, exit code), one per call, and logs its args. */
function kubectl(replies: [string, number][]): { runner: Runner; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-crd-wait-'));
  dirs.push(dir);
  for (const [i, [text, code]] of replies.entries()) writeFileSync(join(dir, `reply-${i}`), `${code}\n${text}`);
  writeFileSync(
    join(dir, 'kubectl'),
    `#!/bin/sh
n=$(cat '${dir}/count' 2>/dev/null || echo 0)
echo $((n + 1)) > '${dir}/count'
echo "$*" >> '${dir}/calls'
code=$(head -n 1 '${dir}/reply-'$n)
tail -n +2 '${dir}/reply-'$n >&2
exit $code
`,
  );
  chmodSync(join(dir, 'kubectl'), 0o755);
  const runner = new Runner({ env: { PATH: `${dir}:/usr/bin:/bin` }, log: () => {} });
  runner.pinContext('kind-meshup');
  return { runner, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') };
}

const NO_CONDITIONS = 'error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}';

describe('waiting for CRDs to be Established', () => {
  it('asks again when kubectl read a CRD before it had any condition', async () => {
    const { runner, calls } = kubectl([
      [NO_CONDITIONS, 1],
      ['', 0],
    ]);
    await waitForCrdsEstablished(runner, ['crd/virtualservices.networking.istio.io'], 'Waiting for Istio CRDs to be Established');
    expect(calls()).toHaveLength(2);
    expect(calls()[0]).toMatch(/^--context kind-meshup wait --for=condition=Established crd\/virtualservices\.networking\.istio\.io --timeout=\d+s$/);
  });

  it('fails at once on any other error, and when the time is up', async () => {
    const other = kubectl([['Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io "x" not found', 1]]);
    await expect(waitForCrdsEstablished(other.runner, ['crd/x'], 'Waiting')).rejects.toThrow('Waiting: kubectl exited with code 1');
    expect(other.calls()).toHaveLength(1);
    const late = kubectl([[NO_CONDITIONS, 1]]);
    await expect(waitForCrdsEstablished(late.runner, ['crd/x'], 'Waiting', 0)).rejects.toThrow('Waiting: kubectl exited with code 1');
    expect(late.calls()).toHaveLength(1);
  });
});
