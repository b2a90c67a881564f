// All benchmarks, one after another: start-up, then the cluster benchmark when the simulated
// cluster's binaries are built (bash test/cluster/build).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
await import('./startup.mjs');
const bin = execFileSync('bash', [join(root, 'test/cluster/build'), '--print-bin'], { encoding: 'utf8' }).trim();
if (existsSync(join(bin, 'kwokctl')) && existsSync(join(bin, 'istioctl'))) {
  console.log('');
  await import('./cluster.mjs');
} else {
  console.log(`\ncluster benchmark skipped: no binaries in ${bin} (run: bash test/cluster/build)`);
}
