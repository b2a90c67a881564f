// A mesh of two clusters: meshup up --clusters 2 against the steps of Istio's multi-primary guide
// scripted plainly (bench/plain-multicluster.sh), on simulated clusters, from the same unpacked
// release (assembled at run time from the real Istio module) and the same profile; then meshup's
// warm re-run of the pair, which verifies both clusters, the CA in each and both remote secrets.
// Pairs alternate which side goes first; each side's clusters are deleted before the other runs.
// Env: BENCH_PAIR_RUNS (default 3), BENCH_WARM_RUNS (default 5). Every address is 127.0.0.1.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveRealRelease } from '../test/helpers/real-release.mjs';
import { simEnv } from '../test/helpers/sim-env.mjs';
import { fmt, median, run } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { kwokctlConfigYaml, kwokNodeYaml } = await import(join(root, 'dist', 'tools', 'kwokctl.js'));
const { kwokBinaries } = await import(join(root, 'dist', 'providers', 'kwok.js'));

const VERSION = '1.31.1';
const PAIRS = Number(process.env.BENCH_PAIR_RUNS ?? 3);
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 5);
const PROFILE = 'default';
const LIMIT = 5 * 60_000;

const { dir, bin, env } = simEnv('meshup-bench-two-');
const alive = new Set();
let mirror;

async function deleteClusters(prefix) {
  for (const n of [`${prefix}-1`, `${prefix}-2`]) {
    await run('kwokctl', ['delete', 'cluster', '--name', n], { env, allowFail: true, timeoutMs: 120_000 });
    alive.delete(n);
  }
}
async function cleanup() {
  for (const n of alive) await run('kwokctl', ['delete', 'cluster', '--name', n], { env, allowFail: true, timeoutMs: 120_000 });
  await mirror?.close();
  rmSync(dir, { recursive: true, force: true });
}
const ok = (what, r) => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.out + r.err).slice(-3000)}`);
  return r;
};

try {
  const served = await serveRealRelease(join(dir, 'release'), { version: VERSION, istioctl: join(bin, 'istioctl') });
  mirror = served.mirror;
  const release = served.release.dir;
  const config = join(dir, 'kwokctl.yaml');
  writeFileSync(config, kwokctlConfigYaml(kwokBinaries(env)));
  const nodes = join(dir, 'nodes');
  mkdirSync(nodes, { recursive: true });
  for (const n of ['plain-1', 'plain-2']) writeFileSync(join(nodes, `${n}.yaml`), kwokNodeYaml(`${n}-node-0`, 16, 65536));

  const meshup = (state, command = 'up') => {
    for (const n of ['duo-1', 'duo-2']) alive.add(n);
    const args = [
      join(root, 'bin', 'meshup'),
      command,
      '--provider',
      'kwok',
      '--name',
      'duo',
      '--clusters',
      '2',
      '--profile',
      PROFILE,
      '--addons',
      '',
      '--no-gateway-api',
    ];
    return run(process.execPath, [...args, '--yes', '--istio-dir', release], {
      env: { ...env, XDG_STATE_HOME: state },
      memory: true,
      allowFail: true,
      timeoutMs: LIMIT,
    });
  };
  const plain = (work) => {
    for (const n of ['plain-1', 'plain-2']) alive.add(n);
    return run('bash', [join(root, 'bench', 'plain-multicluster.sh'), 'plain', release, work, config, PROFILE, nodes], {
      env,
      allowFail: true,
      timeoutMs: LIMIT,
    });
  };

  console.log(`two clusters, one mesh (profile ${PROFILE}, release on disk; ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)})`);
  const m = [];
  const p = [];
  const rss = [];
  for (let i = 0; i < PAIRS; i++) {
    const meshupSide = async () => {
      const state = join(dir, `state-${i}`);
      const r = ok('meshup up --clusters 2', await meshup(state));
      m.push(r.ms);
      rss.push(r.peakMiB);
      await deleteClusters('duo');
    };
    const plainSide = async () => {
      const r = ok('plain multi-primary steps', await plain(join(dir, `plain-${i}`)));
      p.push(r.ms);
      await deleteClusters('plain');
    };
    if (i % 2) {
      await plainSide();
      await meshupSide();
    } else {
      await meshupSide();
      await plainSide();
    }
    console.log(`  pair ${i + 1}: meshup ${fmt(m.at(-1))}, plain ${fmt(p.at(-1))}`);
  }
  const ratio = median(m) / median(p);
  console.log(`  cold, median of ${PAIRS}: meshup ${fmt(median(m))} vs plain ${fmt(median(p))}: ratio ${ratio.toFixed(2)} (target <= 0.7)`);

  // Warm: the converged pair, verified again (cluster state, CA, remote secrets both ways).
  const state = join(dir, 'state-warm');
  ok('meshup up --clusters 2 (to converge)', await meshup(state));
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    const r = ok('meshup warm re-run', await meshup(state));
    if (!/nothing to change/.test(r.err)) throw new Error(`the warm re-run changed something:\n${r.err.slice(-2000)}`);
    warm.push(r.ms);
    rss.push(r.peakMiB);
  }
  console.log(`  warm re-run of the pair, median of ${WARM_RUNS}: ${fmt(median(warm))} (target <= 2 s)`);
  console.log(`  meshup peak RSS: ${Math.max(...rss).toFixed(1)} MiB (max over every run)`);
  await deleteClusters('duo');
  console.log(`  (load after: ${loadavg()[0].toFixed(1)})`);
} finally {
  await cleanup();
}
