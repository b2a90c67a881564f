// meshup against the plain script (bench/plain-up.sh) on simulated clusters, in one run:
//   (a) cold `meshup up --profile demo` with all four addons, cluster creation included;
//   (b) a warm re-run on the converged cluster (target: at most 3 s and at least 5x faster);
//   (c) meshup's peak resident memory during (a).
// Needs the binaries of test/cluster/build. Everything listens on 127.0.0.1 only.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, run } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { simEnv } = await import(join(root, 'test', 'helpers', 'sim-env.mjs'));
const { dir, bin, env } = simEnv('meshup-bench-');

// The same release for both: the real istioctl and small addon manifests written for tests.
const { buildRelease } = await import(join(root, 'test', 'helpers', 'release-build.mjs'));
const release = await buildRelease(join(dir, 'releases'), '1.31.1', { istioctl: join(bin, 'istioctl') });

const { kwokctlConfigYaml, kwokNodeYaml } = await import(join(root, 'dist', 'tools', 'kwokctl.js'));
const { kwokBinaries } = await import(join(root, 'dist', 'providers', 'kwok.js'));
const config = join(dir, 'kwokctl.yaml');
const nodeFile = join(dir, 'node.yaml');
writeFileSync(config, kwokctlConfigYaml(kwokBinaries(env)));
writeFileSync(nodeFile, kwokNodeYaml('bench-plain-node-0', 16, 65536));

const meshup = (args, memory = false) =>
  run(process.execPath, [join(root, 'bin', 'meshup'), 'up', '--provider', 'kwok', '--name', 'bench-meshup', '--profile', 'demo', '--addons', 'prometheus,grafana,kiali,jaeger', '--istio-dir', release.dir, '--yes', ...args], { env, memory });
const plain = () => run('bash', [join(root, 'bench', 'plain-up.sh'), 'bench-plain', release.dir, config, nodeFile], { env });

try {
  const plainCold = await plain();
  const meshCold = await meshup([], true);
  const plainWarm = [];
  const meshWarm = [];
  for (let i = 0; i < 3; i++) {
    plainWarm.push((await plain()).ms);
    meshWarm.push((await meshup([])).ms);
  }
  const pw = median(plainWarm);
  const mw = median(meshWarm);
  console.log('cluster benchmark (kwok, profile demo, 4 addons, one run each side, warm = median of 3):');
  console.log(`  (a) cold  plain script ${fmt(plainCold.ms)}   meshup ${fmt(meshCold.ms)}   meshup/plain ${(meshCold.ms / plainCold.ms).toFixed(2)}  (target <= 1.00)`);
  console.log(`  (b) warm  plain script ${fmt(pw)}   meshup ${fmt(mw)}   plain/meshup ${(pw / mw).toFixed(1)}x faster  (target: <= 3 s and >= 5x: ${mw <= 3000 && pw / mw >= 5 ? 'met' : 'NOT met'})`);
  console.log(`  (c) meshup peak RSS during (a): ${meshCold.peakMiB.toFixed(1)} MiB (node process; kubectl/istioctl children not counted)`);
} finally {
  for (const n of ['bench-plain', 'bench-meshup']) await run('kwokctl', ['delete', 'cluster', '--name', n], { env, allowFail: true });
  rmSync(dir, { recursive: true, force: true });
}
