// End to end with Istio's real release content: a release assembled at run time from the pinned
// Istio module (its samples/addons, the test istioctl built from it), downloaded by meshup from a
// 127.0.0.1 mirror paced to 20 MB/s. Checks that up installs the four real addons and that the
// objects the drift tests and the benchmark delete exist on a converged cluster.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIFT_OBJECTS, driftRef, REAL_ADDONS, realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-e2e-real-');
const name = `real${process.pid}`;
const context = `kwok-${name}`;
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl'), rateBytesPerSec: 20e6 });

const meshup = (args: string[]) =>
  execa(process.execPath, [MESHUP, ...args, '--provider', 'kwok', '--name', name], { env, extendEnv: false, reject: false, cwd: dir });
const kubectl = async (args: string[]) => (await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false })).stdout;

afterAll(async () => {
  await execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false });
  rmSync(dir, { recursive: true, force: true });
});

describe("meshup with Istio's real release content", () => {
  it('up downloads the release from the mirror and installs the four real addons, Ready', async () => {
    const { server } = served();
    env.MESHUP_ISTIO_MIRROR = server.url;
    const r = await meshup(['up', '--profile', 'demo', '--addons', REAL_ADDONS.join(','), '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(server.requests.filter((u) => u.endsWith('.tar.gz'))).toHaveLength(1);
    const deps = JSON.parse(await kubectl(['get', 'deployments', '-n', 'istio-system', '-l', 'meshup.dev/addon', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { readyReplicas?: number } }[];
    };
    expect(Object.fromEntries(deps.items.map((d) => [d.metadata.name, d.status.readyReplicas ?? 0]))).toEqual({
      prometheus: 1,
      grafana: 1,
      kiali: 1,
      jaeger: 1,
    });
    // The real addons hold no CRD (the tests' small manifests do).
    expect(await kubectl(['get', 'crds', '-l', 'meshup.dev/addon', '-o', 'name'])).toBe('');
  });

  it('a converged cluster holds each object the drift scenario deletes', async () => {
    for (const o of DRIFT_OBJECTS) expect(await kubectl(['get', ...driftRef(o), '-o', 'name', '--ignore-not-found']), o.what).not.toBe('');
  });
});
