// meshup against the plain script (bench/plain-up.sh, the steps of Istio's docs) on simulated
// clusters, with a release assembled at run time from the real Istio module (its samples/addons,
// the test istioctl built from it; see test/helpers/real-release.mjs):
//   (a1) cold, release on disk: cluster + demo profile + the 4 real addons, from an unpacked release,
//        meshup with an empty cache each time, after one untimed pair;
//   (a2) cold, release from a 127.0.0.1 mirror paced to 20 MB/s: both sides download it;
//   (b)  warm re-run on the converged cluster, against re-running the script;
//   (c)  drifted re-run: five owned objects deleted, then each side re-run and checked for which
//        of them came back (a re-run that restored fewer than all is not a repair and gets no ratio);
//   (d)  meshup's peak resident memory;
//   (e)  content-drift re-run: on the cluster (c) left (checked first: the fields read as they did
//        converged, and meshup plan exits 0 on meshup's side), the same field edits on each side
//        (bench/content-edits.mjs), then each side re-run and checked for which fields read again
//        what they read before the edits; then meshup plan on meshup's side (0: converged again).
// Each side runs with only its own cluster alive, so neither pays for the other's idle control
// plane. Every address is 127.0.0.1; every step has a time limit; clusters are always deleted.
// Env: BENCH_MIRROR_RATE (bytes/s, default 20e6), BENCH_WARM_RUNS (default 5),
//      BENCH_COLD_RUNS (a1 pairs, alternating which side goes first, default 5: on a 2-core machine a run of either side varies by 2 s or more),
//      BENCH_DEADLINE_MIN (whole run, default 25), BENCH_SKIP_DISK=1 (leave out a1).
// The load average is printed before and after: on a busy machine the figures are noise.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveRealGatewayApi } from '../test/helpers/gateway-api.mjs';
import { DRIFT_OBJECTS, driftRef, istioModule, REAL_ADDONS, serveRealRelease } from '../test/helpers/real-release.mjs';
import { simEnv } from '../test/helpers/sim-env.mjs';
import { CONTENT_EDITS } from './content-edits.mjs';
import { fmt, median, run } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { kwokctlConfigYaml, kwokNodeYaml } = await import(join(root, 'dist', 'tools', 'kwokctl.js'));
const { kwokBinaries } = await import(join(root, 'dist', 'providers', 'kwok.js'));

const VERSION = '1.31.1';
const RATE = Number(process.env.BENCH_MIRROR_RATE ?? 20e6);
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 5);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const STEP_LIMIT_MS = 5 * 60_000;
const deadline = Date.now() + Number(process.env.BENCH_DEADLINE_MIN ?? 25) * 60_000;

const { dir, bin, env } = simEnv('meshup-bench-');
const clusters = new Set();
let mirror;
let gatewayApi;
let cleaned = false;

async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const n of clusters) await run('kwokctl', ['delete', 'cluster', '--name', n], { env, allowFail: true, timeoutMs: 120_000 });
  await mirror?.close();
  await gatewayApi?.close();
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\n${sig}: deleting the benchmark's clusters`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** A step's time limit: its own, cut to what is left of the whole run. */
function limit() {
  const left = deadline - Date.now();
  if (left <= 0) throw new Error('benchmark deadline reached (BENCH_DEADLINE_MIN)');
  return Math.min(STEP_LIMIT_MS, left);
}

const kubectl = (ctx, args) => run('kubectl', ['--context', ctx, ...args], { env, timeoutMs: limit() });

/** Which of the five drift objects exist now. */
async function present(ctx) {
  const out = {};
  for (const o of DRIFT_OBJECTS) out[o.what] = (await kubectl(ctx, ['get', ...driftRef(o), '-o', 'name', '--ignore-not-found'])).out.trim() !== '';
  return out;
}

async function deleteDriftObjects(ctx) {
  const before = await present(ctx);
  const missing = Object.entries(before)
    .filter(([, p]) => !p)
    .map(([w]) => w);
  if (missing.length) throw new Error(`${ctx}: converged cluster lacks ${missing.join(', ')}; the drift scenario would measure nothing`);
  for (const o of DRIFT_OBJECTS) await kubectl(ctx, ['delete', ...driftRef(o), '--wait=true', '--timeout=120s']);
  const after = await present(ctx);
  const left = Object.entries(after)
    .filter(([, p]) => p)
    .map(([w]) => w);
  if (left.length) throw new Error(`${ctx}: still present after delete: ${left.join(', ')}`);
}

/** Each content edit's field as it reads now, by edit (an object that is not there reads as null). */
async function readFields(ctx) {
  const out = {};
  for (const e of CONTENT_EDITS) {
    const r = await run('kubectl', ['--context', ctx, 'get', ...e.ref, '-o', `jsonpath=${e.field}`], { env, allowFail: true, timeoutMs: limit() });
    out[e.what] = r.code === 0 ? r.out : null;
  }
  return out;
}

/** Applies every content edit, and checks that each changed its field: else (e) would measure nothing. */
async function applyContentEdits(ctx, before) {
  const absent = CONTENT_EDITS.filter((e) => before[e.what] === null).map((e) => e.what);
  if (absent.length) throw new Error(`${ctx}: the objects of these edits are missing before (e): ${absent.join(', ')}`);
  const k = async (args) => (await kubectl(ctx, args)).out;
  for (const e of CONTENT_EDITS) await (typeof e.edit === 'function' ? e.edit(k) : k(e.edit));
  const after = await readFields(ctx);
  const unchanged = CONTENT_EDITS.filter((e) => after[e.what] === before[e.what]).map((e) => e.what);
  if (unchanged.length) throw new Error(`${ctx}: these edits left their field as it was: ${unchanged.join(', ')}`);
}

// The release: bin/istioctl is the test istioctl, samples/ come from the pinned Istio module.
const mod = istioModule();
const releaseRoot = join(dir, 'release');
const served = await serveRealRelease(releaseRoot, { version: VERSION, istioctl: join(bin, 'istioctl'), rateBytesPerSec: RATE });
mirror = served.mirror;
const release = served.release;
// meshup installs the Gateway API CRDs Istio is built against: the real ones, from 127.0.0.1.
const servedGatewayApi = await serveRealGatewayApi();
gatewayApi = servedGatewayApi.mirror;
const tarMiB = statSync(release.tarball).size / 1024 / 1024;

const config = join(dir, 'kwokctl.yaml');
const nodeFile = join(dir, 'node.yaml');
writeFileSync(config, kwokctlConfigYaml(kwokBinaries(env)));
writeFileSync(nodeFile, kwokNodeYaml('bench-plain-node-0', 16, 65536));

const ADDONS = REAL_ADDONS.join(',');
/** meshup up (or `command`, without --yes); istioDir set: from that unpacked release, else from the mirror into cacheHome. */
function meshup(name, { istioDir, cacheHome, command = 'up' }) {
  clusters.add(name);
  const e = { ...env, XDG_CACHE_HOME: cacheHome ?? env.XDG_CACHE_HOME, MESHUP_ISTIO_MIRROR: mirror.url, MESHUP_GATEWAY_API_MIRROR: gatewayApi.url };
  const args = [
    join(root, 'bin', 'meshup'),
    command,
    '--provider',
    'kwok',
    '--name',
    name,
    '--profile',
    'demo',
    '--addons',
    ADDONS,
    ...(command === 'up' ? ['--yes'] : []),
    ...(istioDir ? ['--istio-dir', istioDir] : []),
  ];
  return run(process.execPath, args, { env: e, memory: true, allowFail: true, timeoutMs: limit() });
}
/** The script; workDir holding istio-<version>/ means a release already unpacked there. */
function plain(name, workDir) {
  clusters.add(name);
  return run('bash', [join(root, 'bench', 'plain-up.sh'), name, mirror.url, VERSION, workDir, config, nodeFile, gatewayApi.url, servedGatewayApi.version], {
    env,
    allowFail: true,
    timeoutMs: limit(),
  });
}
async function deleteCluster(name) {
  await run('kwokctl', ['delete', 'cluster', '--name', name], { env, allowFail: true, timeoutMs: 120_000 });
  clusters.delete(name);
}
/** A run that must succeed for the figures after it to mean anything. */
function ok(what, r) {
  if (r.code !== 0) throw new Error(`${what} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}):\n${(r.out + r.err).slice(-3000)}`);
  return r;
}

/**
 * One side of scenarios a2, b, c and e on its own cluster, which the caller deletes. `plan`, on
 * meshup's side: meshup plan with the same flags, before and after (e).
 */
async function side(label, cold, again, ctx, plan) {
  const r = { cold: ok(`${label} cold`, await cold()) };
  r.warm = [];
  for (let i = 0; i < WARM_RUNS; i++) r.warm.push(ok(`${label} warm run ${i + 1}`, await again()));
  r.converged = await readFields(ctx);
  await deleteDriftObjects(ctx);
  r.drift = await again();
  r.restored = await present(ctx);
  // (e) starts from the cluster (c) left: its fields are read (and compared with the converged
  // ones when printed), and on meshup's side plan says whether anything is still pending.
  r.before = await readFields(ctx);
  if (plan) r.planBefore = await plan();
  await applyContentEdits(ctx, r.before);
  r.content = await again();
  r.after = await readFields(ctx);
  if (plan) r.planAfter = await plan();
  return r;
}

const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
console.log(`cluster benchmark: meshup ${rev}, kwok simulated cluster on 127.0.0.1, profile demo, addons ${ADDONS}`);
console.log(
  `  release: Istio ${VERSION} layout, bin/istioctl = the test istioctl, samples/addons + samples/bookinfo from istio.io/istio@${mod.version}; ${release.file} ${tarMiB.toFixed(1)} MiB`,
);
console.log(`  mirror: ${mirror.url}, archive paced to ${(RATE / 1e6).toFixed(0)} MB/s (${((tarMiB * 1024 * 1024) / RATE).toFixed(1)} s for the archive)`);

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const loadBefore = load();
const res = {};
try {
  if (process.env.BENCH_SKIP_DISK !== '1') {
    res.disk = { plain: [], meshup: [], peakMiB: 0 };
    // One untimed pair first: the first run after a while pays for the page cache (binaries,
    // the release) and was up to half again slower on either side. Every run of meshup gets an
    // empty cache of its own, so each is as cold as a first run: the Gateway API bundle is
    // downloaded and checked, the control plane listed, the tool versions asked.
    for (let i = -1; i < COLD_RUNS; i++) {
      const timed = i >= 0;
      const plainCold = async () => {
        const p = ok('plain cold (release on disk)', await plain('bench-plain-disk', releaseRoot));
        if (timed) res.disk.plain.push(p.ms);
        await deleteCluster('bench-plain-disk');
      };
      const meshupCold = async () => {
        const cacheHome = join(dir, `cache-disk-${i + 1}`);
        const m = ok('meshup cold (release on disk)', await meshup('bench-meshup-disk', { istioDir: release.dir, cacheHome }));
        if (timed) res.disk.meshup.push(m.ms);
        res.disk.peakMiB = Math.max(res.disk.peakMiB, m.peakMiB);
        await deleteCluster('bench-meshup-disk');
      };
      for (const f of i % 2 ? [meshupCold, plainCold] : [plainCold, meshupCold]) await f();
    }
  }

  const plainWork = join(dir, 'plain-download');
  mkdirSync(plainWork);
  const requestsBefore = mirror.requests.length;
  res.plain = await side(
    'plain script',
    () => plain('bench-plain', plainWork),
    () => plain('bench-plain', plainWork),
    'kwok-bench-plain',
  );
  await deleteCluster('bench-plain');
  const cacheHome = join(dir, 'cache-mirror');
  res.meshup = await side(
    'meshup',
    () => meshup('bench-meshup', { cacheHome }),
    () => meshup('bench-meshup', { cacheHome }),
    'kwok-bench-meshup',
    () => meshup('bench-meshup', { cacheHome, command: 'plan' }),
  );
  await deleteCluster('bench-meshup');
  const archives = mirror.requests.slice(requestsBefore).filter((u) => u.endsWith('.tar.gz')).length;
  if (archives !== 2) throw new Error(`expected one archive download per side from the mirror, saw ${archives}`);
} finally {
  await cleanup();
}

// Figures.
// A column is at least n wide, and always ends in a space: a longer value does not run into the next.
const pad = (s, n) => `${String(s).padEnd(n - 1)} `;
const row = (name, p, m, ratio) => console.log(`  ${pad(name, 44)}${pad(p, 16)}${pad(m, 16)}${ratio}`);
const verdict = (met) => (met ? 'met' : 'NOT met');
const { plain: P, meshup: M } = res;
const cores = availableParallelism();
console.log(
  `  load average (1, 5, 15 min) on ${cores} cores: ${loadBefore} before, ${load()} after${Number(loadBefore.split(' ')[0]) > cores ? '; the machine was busy, so take the figures as rough' : ''}`,
);
console.log('');
row('scenario', 'plain script', 'meshup', 'ratio');
if (res.disk) {
  const [dp, dm] = [median(res.disk.plain), median(res.disk.meshup)];
  const q = dm / dp;
  row(
    `(a1) cold, release on disk${COLD_RUNS > 1 ? `, median of ${COLD_RUNS}` : ''}`,
    fmt(dp),
    fmt(dm),
    `meshup/plain ${q.toFixed(2)} (target <= 0.80: ${verdict(q <= 0.8)})`,
  );
  if (COLD_RUNS > 1)
    row('       each run', res.disk.plain.map((x) => (x / 1000).toFixed(1)).join(' '), res.disk.meshup.map((x) => (x / 1000).toFixed(1)).join(' '), '');
}
const qa = M.cold.ms / P.cold.ms;
row(
  `(a2) cold, mirror ${(RATE / 1e6).toFixed(0)} MB/s`,
  fmt(P.cold.ms),
  fmt(M.cold.ms),
  `meshup/plain ${qa.toFixed(2)} (target <= 0.80: ${verdict(qa <= 0.8)})`,
);
const pw = median(P.warm.map((r) => r.ms));
const mw = median(M.warm.map((r) => r.ms));
const n = Object.keys(M.restored).length;
const restoredBy = (side) => Object.values(side.restored).filter(Boolean).length;
const mRestored = restoredBy(M);
const pRestored = restoredBy(P);
row(
  `(b)  warm re-run, median of ${WARM_RUNS}`,
  fmt(pw),
  fmt(mw),
  `plain/meshup ${(pw / mw).toFixed(1)}x (target <= 1.5 s and >= 4x${mRestored === n ? '' : ', of a re-run that verifies every owned object'}: ${verdict(mw <= 1500 && pw / mw >= 4 && mRestored === n)})`,
);
const driftCell = (side) => `${fmt(side.drift.ms)} ${restoredBy(side)}/${n}${side.drift.code === 0 ? '' : ` exit ${side.drift.code}`}`;
const driftRatio =
  mRestored === n && pRestored === n && M.drift.code === 0 && P.drift.code === 0
    ? `meshup/plain ${(M.drift.ms / P.drift.ms).toFixed(2)}`
    : `no ratio: ${[mRestored < n || M.drift.code ? `meshup restored ${mRestored} of ${n}${M.drift.code ? `, exit ${M.drift.code}` : ''}` : '', pRestored < n || P.drift.code ? `the script restored ${pRestored} of ${n}${P.drift.code ? `, exit ${P.drift.code}` : ''}` : ''].filter(Boolean).join('; ')} (not a repair)`;
row('(c)  drifted re-run: time, restored', driftCell(P), driftCell(M), driftRatio);
const nE = CONTENT_EDITS.length;
const editsRestored = (side) => CONTENT_EDITS.filter((e) => side.after[e.what] === side.before[e.what]).length;
const [mE, pE] = [editsRestored(M), editsRestored(P)];
const mRepaired = mE === nE && M.content.code === 0;
const contentCell = (side) => `${fmt(side.content.ms)} ${editsRestored(side)}/${nE}${side.content.code === 0 ? '' : ` exit ${side.content.code}`}`;
const qe = M.content.ms / P.content.ms;
// A ratio only when meshup repaired everything and both runs succeeded; a script that restored
// fewer edits is named beside it, since its time is not that of a full repair.
const contentRatio =
  mRepaired && P.content.code === 0
    ? `meshup/plain ${qe.toFixed(2)}${pE < nE ? ` (the script restored only ${pE} of ${nE}: its time is not that of a full repair)` : ''}`
    : `no ratio: ${[mRepaired ? '' : `meshup restored ${mE} of ${nE}${M.content.code ? `, exit ${M.content.code}` : ''}`, P.content.code || !mRepaired ? `the script restored ${pE} of ${nE}${P.content.code ? `, exit ${P.content.code}` : ''}` : ''].filter(Boolean).join('; ')}`;
row('(e)  content-drift re-run: time, restored', contentCell(P), contentCell(M), contentRatio);
const warmPeak = Math.max(...M.warm.map((r) => r.peakMiB));
console.log(
  `  (d)  meshup peak RSS: ${res.disk ? `cold from disk (a1) ${res.disk.peakMiB.toFixed(1)} MiB, ` : ''}cold with download (a2) ${M.cold.peakMiB.toFixed(1)} MiB, warm ${warmPeak.toFixed(1)} MiB, drifted ${M.drift.peakMiB.toFixed(1)} MiB, content-drift ${M.content.peakMiB.toFixed(1)} MiB (the node process; kubectl/istioctl children not counted)`,
);
console.log('');
console.log('  (c) which of the five deleted objects each re-run restored:');
const objName = (o) => `${o.resource}/${o.name}`;
const w = Math.max(...DRIFT_OBJECTS.map((o) => objName(o).length)) + 2;
console.log(`    ${pad('object', w)}${pad('plain script', 14)}meshup`);
for (const o of DRIFT_OBJECTS)
  console.log(`    ${pad(objName(o), w)}${pad(P.restored[o.what] ? 'restored' : 'MISSING', 14)}${M.restored[o.what] ? 'restored' : 'MISSING'}`);
console.log(`  meshup's output on the drifted re-run (exit ${M.drift.code}; stderr, then stdout):`);
for (const line of `${M.drift.err.trim()}\n${M.drift.out.trim()}`.trim().split('\n').slice(0, 40)) console.log(`    | ${line}`);

console.log('');
console.log(`  (e) which of the ${nE} edited fields each re-run restored (read again as before the edits):`);
const we = Math.max(...CONTENT_EDITS.map((e) => e.what.length)) + 2;
console.log(`    ${pad('edit', we)}${pad('plain script', 14)}meshup`);
const restoredCell = (side, e) => (side.after[e.what] === side.before[e.what] ? 'restored' : 'NOT restored');
for (const e of CONTENT_EDITS) console.log(`    ${pad(e.what, we)}${pad(restoredCell(P, e), 14)}${restoredCell(M, e)}`);
const short = (v) => {
  const t = JSON.stringify(v);
  return t.length > 70 ? `${t.slice(0, 67)}...` : t;
};
for (const [label, side] of [
  ['plain script', P],
  ['meshup', M],
]) {
  for (const e of CONTENT_EDITS.filter((x) => side.after[x.what] !== side.before[x.what]))
    console.log(`    ${label}, ${e.what}: ${e.field} reads ${short(side.after[e.what])}, read ${short(side.before[e.what])} before the edits`);
  const moved = CONTENT_EDITS.filter((x) => side.before[x.what] !== side.converged[x.what]);
  for (const e of moved)
    console.log(
      `    note: ${label}: after (c), ${e.field} of ${e.ref.join(' ')} read ${short(side.before[e.what])}, converged ${short(side.converged[e.what])}`,
    );
}
// Its stdout names what is pending; on an error (neither 0 nor 10), stderr says why.
const planLines = (r) =>
  `${r.out.trim()}${r.code === 10 ? '' : `\n${r.err.trim()}`}`
    .split('\n')
    .filter(Boolean)
    .slice(0, 30)
    .map((l) => `      | ${l}`);
console.log(
  `  meshup plan before (e): exit ${M.planBefore.code} (0: (c) left the cluster converged); after (e): exit ${M.planAfter.code} (0 expected: converged again)`,
);
for (const [when, r] of [
  ['before', M.planBefore],
  ['after', M.planAfter],
])
  if (r.code !== 0) {
    console.log(`    meshup plan ${when} (e), ${r.code === 10 ? 'stdout' : 'stdout, then stderr'}:`);
    for (const l of planLines(r)) console.log(l);
  }
console.log(`  meshup's output on the content-drift re-run (exit ${M.content.code}; stderr, then stdout):`);
for (const line of `${M.content.err.trim()}\n${M.content.out.trim()}`.trim().split('\n').slice(0, 40)) console.log(`    | ${line}`);

console.log('');
console.log('  targets:');
const warmRatio = pw / mw;
console.log(
  `    warm re-run, verifying content (b): ${fmt(mw)}, plain/meshup ${warmRatio.toFixed(1)}x; target <= 1.5 s and >= 4x: ${verdict(mw <= 1500 && warmRatio >= 4 && mE === nE)}${mE === nE ? '' : ` (meshup's re-run restored only ${mE} of ${nE} edits in (e): it does not verify all content)`}`,
);
console.log(
  `    content-drift re-run (e): meshup/plain ${qe.toFixed(2)}, meshup restored ${mE}/${nE}, exit ${M.content.code}; target <= 0.5 with every edit restored: ${verdict(mRepaired && P.content.code === 0 && qe <= 0.5)}${pE < nE ? ` (the script restored ${pE} of ${nE})` : ''}`,
);
