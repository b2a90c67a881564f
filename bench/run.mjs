// All benchmarks, one after another: start-up, then the cluster benchmark and the image benchmark
// (bench/images.mjs) when the simulated cluster's binaries are built and the Istio module is in the Go module cache (both come from
// bash test/cluster/build).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { istioModule } from '../test/helpers/real-release.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
await import('./startup.mjs');
const bin = execFileSync('bash', [join(root, 'test/cluster/build'), '--print-bin'], { encoding: 'utf8' }).trim();
// The cluster benchmark's release comes from the Istio module in the Go module cache.
let noModule = '';
try {
  istioModule();
} catch (e) {
  noModule = e.message;
}
if (!existsSync(join(bin, 'kwokctl')) || !existsSync(join(bin, 'istioctl'))) {
  console.log(`\ncluster benchmark skipped: no binaries in ${bin} (run: bash test/cluster/build)`);
} else if (noModule) {
  console.log(`\ncluster benchmark skipped: ${noModule}`);
} else {
  console.log('');
  await import('./cluster.mjs');
  console.log('');
  await import('./two-clusters.mjs');
  // The image scenario needs the registry and crane test/cluster/build builds beside them.
  if (existsSync(join(bin, 'registry')) && existsSync(join(bin, 'crane'))) {
    console.log('');
    await import('./images.mjs');
  } else console.log(`\nimage benchmark skipped: no registry or crane in ${bin} (run: bash test/cluster/build)`);
}
