// Waiting for CRDs to be Established, read from the API server's discovery, which lists a CRD's
// resources only once it is (apiextensions-apiserver DiscoveryController). Through the real
// runner, with a stand-in kubectl that answers from a script of replies.

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

/** kubectl that gives the replies in order (stdout, stderr, exit code), one per call, and logs its args. */
function kubectl(replies: [string, string, number][]): { runner: Runner; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-crd-wait-'));
  dirs.push(dir);
  for (const [i, [out, err, code]] of replies.entries()) {
    writeFileSync(join(dir, `out-${i}`), out);
    writeFileSync(join(dir, `err-${i}`), err);
    writeFileSync(join(dir, `code-${i}`), String(code));
  }
  writeFileSync(
    join(dir, 'kubectl'),
    `#!/bin/sh
n=$(cat '${dir}/count' 2>/dev/null || echo 0)
echo $((n + 1)) > '${dir}/count'
echo "$*" >> '${dir}/calls'
cat '${dir}/out-'$n
cat '${dir}/err-'$n >&2
exit $(cat '${dir}/code-'$n)
`,
  );
  chmodSync(join(dir, 'kubectl'), 0o755);
  const runner = new Runner({ env: { PATH: `${dir}:/usr/bin:/bin` }, log: () => {} }).forContext('kind-meshup');
  return { runner, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') };
}

const BUILTIN = 'pods\nservices\ndeployments.apps\ncustomresourcedefinitions.apiextensions.k8s.io\n';
const VS = 'virtualservices.networking.istio.io';

describe('waiting for CRDs to be Established', () => {
  it('asks discovery until every CRD is served', async () => {
    const { runner, calls } = kubectl([
      [BUILTIN, '', 0],
      [`${BUILTIN}gateways.networking.istio.io\n`, '', 0],
      [`${BUILTIN}gateways.networking.istio.io\n${VS}\n`, '', 0],
    ]);
    await waitForCrdsEstablished(runner, [`crd/${VS}`, 'crd/gateways.networking.istio.io'], 'Waiting for Istio CRDs to be Established');
    expect(calls()).toEqual(Array(3).fill('--context kind-meshup api-resources -o name'));
  });

  it('reads what discovery listed when another API group does not answer', async () => {
    const { runner, calls } = kubectl([
      [
        `${BUILTIN}${VS}\n`,
        'error: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request',
        1,
      ],
    ]);
    await waitForCrdsEstablished(runner, [`crd/${VS}`], 'Waiting');
    expect(calls()).toHaveLength(1);
  });

  it('fails at once when kubectl reads nothing, and names what is not served when the time is up', async () => {
    const down = kubectl([['', 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?', 1]]);
    await expect(waitForCrdsEstablished(down.runner, [`crd/${VS}`], 'Waiting')).rejects.toThrow('Waiting: kubectl api-resources failed');
    expect(down.calls()).toHaveLength(1);
    const late = kubectl([[BUILTIN, '', 0]]);
    await expect(waitForCrdsEstablished(late.runner, [`crd/${VS}`], 'Waiting', 0)).rejects.toThrow(`Waiting: ${VS} not served after 0s`);
    expect(late.calls()).toHaveLength(1);
  });
});
