// Two simulated clusters driven side by side by one process: two `meshup up` runs of main()
// interleaved in this process, each with a runner bound to its own context (nothing re-points a
// shared runner). Each cluster gets its own control plane and its own record, and every kube
// call of each run names its own context. Real kube-apiservers and the real istioctl, on
// 127.0.0.1 only; both clusters are always deleted.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { IO } from '../../src/ui/io.js';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-two-');
const names = [`a${process.pid}`, `b${process.pid}`];
let server: ReleaseServer;

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

async function run(args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: IO = { stdout, stderr, stdin: new PassThrough(), env: { ...env }, cwd: dir };
  const exitCode = await main(args, io);
  return { exitCode, stdout: stdout.text, stderr: stderr.text };
}

beforeAll(async () => {
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
});

afterAll(async () => {
  for (const n of names) await execa('kwokctl', ['delete', 'cluster', '--name', n], { env, extendEnv: false, reject: false });
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two targets in one process', () => {
  it('two ups at once: each cluster gets its own mesh, and each run speaks only to its own context', async () => {
    const up = (n: string) => run(['up', '--provider', 'kwok', '--name', n, '--profile', 'minimal', '--addons', '', '--no-gateway-api', '--yes', '--json']);
    const results = await Promise.all(names.map(up));
    for (const [i, r] of results.entries()) {
      expect(r.exitCode, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { cluster: string; context: string; commands: { command: string }[] };
      expect(doc.cluster).toBe(names[i]);
      // Every changing kube call of this run named its own context, never the other's.
      const kube = doc.commands.map((c) => c.command).filter((c) => /^(kubectl|\S*istioctl) /.test(c) || c.startsWith('PATCH '));
      expect(kube.length).toBeGreaterThan(1);
      // Calls made straight to an API server went to this cluster's own.
      const server = (
        await execa('kubectl', ['config', 'view', '-o', `jsonpath={.clusters[?(@.name=="kwok-${names[i]}")].cluster.server}`], { env, extendEnv: false })
      ).stdout;
      expect(server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      for (const c of kube) {
        if (c.startsWith('PATCH ')) expect(c.slice('PATCH '.length).startsWith(`${server}/`), c).toBe(true);
        else {
          expect(c).toContain(`--context kwok-${names[i]}`);
          expect(c).not.toContain(`kwok-${names[1 - i]}`);
        }
      }
      expect(kube.some((c) => c.startsWith('PATCH '))).toBe(true);
    }
    // Each cluster holds its own control plane and the record of its own spec.
    for (const n of names) {
      const kubectl = (args: string[]) => execa('kubectl', ['--context', `kwok-${n}`, ...args], { env, extendEnv: false });
      expect((await kubectl(['get', 'deployment', 'istiod', '-n', 'istio-system', '-o', 'name'])).stdout).toBe('deployment.apps/istiod');
      const record = JSON.parse((await kubectl(['get', 'configmap', 'meshup', '-n', 'kube-public', '-o', 'jsonpath={.data.spec}'])).stdout);
      expect(record).toMatchObject({ provider: 'kwok', clusterName: n, profile: 'minimal' });
    }
  });

  it('reads both at once: two plans interleaved, each converged, each reading its own cluster', async () => {
    const plans = await Promise.all(
      names.map((n) => run(['plan', '--provider', 'kwok', '--name', n, '--profile', 'minimal', '--addons', '', '--no-gateway-api', '--json'])),
    );
    for (const [i, r] of plans.entries()) {
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ cluster: names[i], context: `kwok-${names[i]}`, changes: false });
    }
  });
});
