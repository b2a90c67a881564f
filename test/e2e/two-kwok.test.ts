// `meshup up --clusters 2` with a provider that makes its clusters (kwok: real API servers on
// 127.0.0.1, simulated nodes, the real istioctl): both clusters made side by side, one missing
// cluster made again alone and joined back, status on each, down deleting both.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simEnv } from '../helpers/sim-env.mjs';

const { dir, bin, env } = simEnv('meshup-two-kwok-');
const base = `pair${process.pid}`;
const names = [`${base}-1`, `${base}-2`];
let server: ReleaseServer;

const meshup = async (args: string[]) => {
  const r = await execa(process.execPath, [MESHUP, ...args], { env, extendEnv: false, reject: false, cwd: dir, input: '', timeout: 300_000 });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1, all: `${r.stdout}\n${r.stderr}` };
};
const clusters = async () => (await execa('kwokctl', ['get', 'clusters'], { env, extendEnv: false })).stdout.split('\n').filter((n) => n.startsWith(base));
const upArgs = ['up', '--provider', 'kwok', '--name', base, '--clusters', '2', '--profile', 'minimal', '--addons', 'kiali', '--no-gateway-api', '--yes'];

beforeAll(async () => {
  const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });
  server = await serveReleases({ '1.31.1': release });
  env.MESHUP_ISTIO_MIRROR = server.url;
}, 120_000);

afterAll(async () => {
  for (const n of names) await execa('kwokctl', ['delete', 'cluster', '--name', n], { env, extendEnv: false, reject: false });
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('up --clusters 2 on kwok', () => {
  it('makes both clusters side by side, puts the CA in before istiod, and joins them', async () => {
    const plan = await meshup(['plan', ...upArgs.slice(1).filter((a) => a !== '--yes')]);
    expect(plan.exitCode, plan.all).toBe(10);
    expect(plan.stdout).toContain(`+ create kwok cluster ${names[1]}`);
    const r = await meshup(upArgs);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`Mesh ${base} ready on 2 clusters (multi-primary, one network)`);
    expect(await clusters()).toEqual(names);
    // Created side by side: both creations started before either ended.
    const at = (line: string) => r.stderr.indexOf(line);
    expect(at(`❯ Create kwok cluster ${names[1]}`)).toBeLessThan(at(`✔ Create kwok cluster ${names[0]}`));
    for (const [i, n] of names.entries()) {
      const other = names[1 - i]!;
      const secret = await execa('kubectl', ['--context', `kwok-${n}`, 'get', 'secret', `istio-remote-secret-${other}`, '-n', 'istio-system', '-o', 'name'], {
        env,
        extendEnv: false,
      });
      expect(secret.stdout).toBe(`secret/istio-remote-secret-${other}`);
      const id = await execa(
        'kubectl',
        [
          '--context',
          `kwok-${n}`,
          'get',
          'deploy',
          'istiod',
          '-n',
          'istio-system',
          '-o',
          'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="CLUSTER_ID")].value}',
        ],
        {
          env,
          extendEnv: false,
        },
      );
      expect(id.stdout).toBe(n);
      // Its Kiali reads the other cluster through a kubeconfig of that cluster's own Kiali account,
      // in a secret istiod does not take for a remote secret.
      const kiali = JSON.parse(
        (
          await execa('kubectl', ['--context', `kwok-${n}`, 'get', 'secret', 'kiali-multi-cluster-secret', '-n', 'istio-system', '-o', 'json'], {
            env,
            extendEnv: false,
          })
        ).stdout,
      ) as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
      expect(Object.keys(kiali.data)).toEqual([other]);
      expect(kiali.metadata.labels).toMatchObject({ 'kiali.io/multiCluster': 'true' });
      expect(kiali.metadata.labels['istio/multiCluster']).toBeUndefined();
      const kubeconfig = Buffer.from(kiali.data[other]!, 'base64').toString('utf8');
      expect(kubeconfig).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
      const tokenOf = (
        await execa(
          'kubectl',
          [
            '--context',
            `kwok-${other}`,
            'get',
            'secrets',
            '-n',
            'istio-system',
            '-o',
            'jsonpath={.items[*].metadata.annotations.kubernetes\\.io/service-account\\.name}',
          ],
          { env, extendEnv: false },
        )
      ).stdout;
      expect(tokenOf.split(' ')).toContain('kiali');
    }
  }, 300_000);

  it('a warm re-run changes nothing and is told so; status shows each cluster and what it sees', async () => {
    const r = await meshup(['up', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    // Two remote secrets and each cluster's Kiali.
    expect(r.stderr).toContain('Verified 2 clusters and 4 parts that join them: nothing to change.');
    const s = await meshup(['status']);
    expect(s.exitCode, s.all).toBe(0);
    expect(s.stdout).toContain(`== cluster ${names[0]} of mesh ${base} ==`);
    expect(s.stdout).toMatch(new RegExp(`Sees +${names[1]} \\(remote secret, server https://127\\.0\\.0\\.1:\\d+\\)`));
    expect(s.stdout).toMatch(new RegExp(`Sees +${names[0]} \\(remote secret, server https://127\\.0\\.0\\.1:\\d+\\)`));
  }, 120_000);

  it('a missing cluster is the only one made again, as the mesh recorded it, and joined back', async () => {
    await execa('kwokctl', ['delete', 'cluster', '--name', names[1]!], { env, extendEnv: false });
    const plan = await meshup(['plan']);
    expect(plan.exitCode, plan.all).toBe(10);
    expect(plan.stdout).toContain(`= reuse kwok cluster ${names[0]}`);
    expect(plan.stdout).toContain(`+ create kwok cluster ${names[1]}`);
    // Made like the other: the recorded profile (minimal), not the default one.
    expect(plan.stdout).toContain('+ install Istio 1.31.1 (minimal profile)');
    expect(plan.stdout).not.toContain('Gateway API');
    const r = await meshup(['up', '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).not.toContain(`Create kwok cluster ${names[0]}`);
    expect(r.stderr).toContain(`Create kwok cluster ${names[1]}`);
    // Its old secret in the first cluster holds the deleted cluster's credentials: made again.
    expect(r.stderr).toMatch(new RegExp(`✔ (Make ${names[0]}'s remote secret for ${names[1]} again|Point ${names[0]}'s remote secret for ${names[1]} at )`));
    expect((await meshup(['plan'])).exitCode).toBe(0);
  }, 300_000);

  it('down --cluster deletes one; down deletes the rest and forgets the mesh', async () => {
    const one = await meshup(['down', '--cluster', names[1]!, '--yes']);
    expect(one.exitCode, one.all).toBe(0);
    expect(await clusters()).toEqual([names[0]]);
    const all = await meshup(['down', '--yes']);
    expect(all.exitCode, all.all).toBe(0);
    expect(all.stdout).toContain(`No kwok cluster "${names[1]}"; nothing to delete.`);
    expect(await clusters()).toEqual([]);
    const after = await meshup(['status']);
    expect(after.stdout).not.toContain('of mesh');
  }, 180_000);
});
