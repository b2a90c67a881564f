// Start-up cost: `meshup --version` and `meshup --help` against a bare `node -e 0`, same run.
// Target: under 3x node's own start-up (commands load their heavy modules only when they run).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, run } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const meshup = join(root, 'bin', 'meshup');
const N = Number(process.env.BENCH_RUNS ?? 20);

async function sample(args) {
  const xs = [];
  for (let i = 0; i < N; i++) xs.push((await run(process.execPath, args)).ms);
  return median(xs);
}

// Warm the file cache first so the first sample is not an outlier.
await run(process.execPath, [meshup, '--version']);
const base = await sample(['-e', '0']);
const version = await sample([meshup, '--version']);
const help = await sample([meshup, '--help']);
console.log(`startup (median of ${N}):`);
console.log(`  node -e 0          ${fmt(base)}`);
console.log(`  meshup --version   ${fmt(version)}   ${(version / base).toFixed(2)}x node`);
console.log(`  meshup --help      ${fmt(help)}   ${(help / base).toFixed(2)}x node`);
const worst = Math.max(version, help) / base;
console.log(`  target < 3x: ${worst < 3 ? 'met' : 'NOT met'} (${worst.toFixed(2)}x)`);
