// The image scenario: how soon every image of the plan is in a pull-through cache, with meshup's
// prefetch (the caches filled from the moment up starts, beside the cluster's creation) against
// the plain steps (bench/plain-up.sh, Istio's docs), where a node pulls an image once a workload
// asking for it exists, one image at a time (the kubelet's default, serializeImagePulls).
//
// A real registry pair on 127.0.0.1 (test/helpers/registry.mjs): the "upstream" holds one-layer
// images of random bytes under the real names `meshup images` lists for Istio 1.31.1's demo
// profile with the four addons, each its real compressed size times BENCH_IMAGE_SCALE; a meter in
// front of it counts the blob bytes it serves and paces them to BENCH_UPSTREAM_RATE (one link for
// all, as a laptop's); each side gets a fresh cache (the registry in proxy mode) in front of the
// meter. The simulated cluster's nodes pull nothing, so the plain side's pulls are made by this
// script, through the same prefetch code, as the cluster's workloads appear; the simulated pods
// are Ready at once, so the plain side is not slowed by waiting for its own pulls: it is favoured.
// Then meshup's side is run again on its cache, as after down and up: it must send 0 bytes upstream.
// Env: BENCH_UPSTREAM_RATE (bytes/s, default 12.5e6), BENCH_IMAGE_SCALE (default 0.15).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveRealGatewayApi } from '../test/helpers/gateway-api.mjs';
import { serveRealRelease } from '../test/helpers/real-release.mjs';
import { meter, pushImage, startRegistry } from '../test/helpers/registry.mjs';
import { simEnv } from '../test/helpers/sim-env.mjs';
import { fmt, run } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { prefetchImages } = await import(join(root, 'dist', 'images', 'prefetch.js'));
const { kwokctlConfigYaml, kwokNodeYaml } = await import(join(root, 'dist', 'tools', 'kwokctl.js'));
const { kwokBinaries } = await import(join(root, 'dist', 'providers', 'kwok.js'));

const VERSION = '1.31.1';
const RATE = Number(process.env.BENCH_UPSTREAM_RATE ?? 12.5e6);
const SCALE = Number(process.env.BENCH_IMAGE_SCALE ?? 0.15);
const LIMIT = 5 * 60_000;
const ADDONS = 'prometheus,grafana,kiali,jaeger';
// Approximate compressed linux/amd64 sizes of these images (MB, rounded), as their registries list
// them; only their proportions matter once scaled.
const SIZES_MB = { pilot: 75, proxyv2: 100, prometheus: 115, grafana: 130, kiali: 85, jaeger: 35 };
const sizeOf = (image) => {
  const repo = image.split('@')[0].split(':')[0].split('/').pop();
  return Math.round((SIZES_MB[repo] ?? 50) * 1e6 * SCALE);
};

const { dir, bin, env } = simEnv('meshup-bench-images-');
const clusters = new Set();
const stops = [];
async function cleanup() {
  for (const n of clusters) await run('kwokctl', ['delete', 'cluster', '--name', n], { env, allowFail: true, timeoutMs: 120_000 });
  for (const s of stops.reverse()) await s().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void cleanup().finally(() => process.exit(130)));

const ok = (what, r) => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.out + r.err).slice(-3000)}`);
  return r;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  console.log(`image benchmark (load average ${loadavg()[0].toFixed(2)})`);
  const served = await serveRealRelease(join(dir, 'release'), { version: VERSION, istioctl: join(bin, 'istioctl') });
  stops.push(() => served.mirror.close());
  const gw = await serveRealGatewayApi();
  stops.push(() => gw.mirror.close());
  const baseEnv = { ...env, MESHUP_ISTIO_MIRROR: served.mirror.url, MESHUP_GATEWAY_API_MIRROR: gw.mirror.url };
  const istioDir = served.release.dir;

  // The plan's images, as meshup lists them for this spec.
  const listed = ok(
    'meshup images',
    await run(
      process.execPath,
      [join(root, 'bin', 'meshup'), 'images', '--provider', 'kwok', '--profile', 'demo', '--addons', ADDONS, '--istio-dir', istioDir, '--json'],
      {
        env: baseEnv,
        timeoutMs: LIMIT,
      },
    ),
  );
  const images = JSON.parse(listed.out).images.map((i) => ({ image: i.image, registry: i.registry }));
  const registries = [...new Set(images.map((i) => i.registry))];

  // The upstream, holding each image under its repository path (one registry serves every host's).
  const upstream = await startRegistry(bin, join(dir, 'upstream'));
  stops.push(() => upstream.stop());
  const repoOf = (image) => image.replace(/^[^/]+\.[^/]+\//, '').replace(/@.*$/, '');
  let payload = 0;
  for (const { image } of images) {
    payload += sizeOf(image);
    await pushImage(bin, dir, upstream.hostPort, repoOf(image), sizeOf(image));
  }
  const metered = await meter(upstream.url, { rateBytesPerSec: RATE });
  stops.push(() => metered.close());
  const names = images.map((i) => i.image.replace(/@.*$/, ''));
  console.log(
    `  ${images.length} images of ${registries.join(', ')} (${(payload / 1e6).toFixed(1)} MB: real sizes × ${SCALE}); upstream paced to ${(RATE / 1e6).toFixed(1)} MB/s`,
  );

  const newCache = async (name) => {
    const c = await startRegistry(bin, join(dir, name), metered.url);
    stops.push(() => c.stop());
    return c;
  };
  /** Until the meter has served `bytes` more blob bytes than at `from`, or `limitMs`. */
  const filled = async (from, bytes, started, limitMs = LIMIT, stop = { now: false }) => {
    while (metered.blobBytes() - from < bytes) {
      if (Date.now() - started > limitMs || stop.now) throw new Error(`the cache got ${metered.blobBytes() - from} of ${bytes} bytes`);
      await sleep(50);
    }
    return Date.now() - started;
  };
  // What the upstream serves for every image once (the layers and configs): the mark of "all in".
  const probe = await newCache('probe');
  const before = metered.blobBytes();
  await prefetchImages(names, { cacheFor: () => probe.url });
  const total = metered.blobBytes() - before;

  const kwokConfig = join(dir, 'kwokctl.yaml');
  const nodeFile = join(dir, 'node.yaml');
  writeFileSync(kwokConfig, kwokctlConfigYaml(kwokBinaries(env)));
  writeFileSync(nodeFile, kwokNodeYaml('bench-images-node-0', 16, 65536));

  // meshup: its config names the cache for every registry of the plan.
  const meshupSide = async (name, cache) => {
    clusters.add(name);
    const work = join(dir, `work-${name}`);
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'meshup.yaml'), `cache:\n  external:\n${registries.map((r) => `    ${JSON.stringify(r)}: ${cache.url}`).join('\n')}\n`);
    const from = metered.blobBytes();
    const started = Date.now();
    const up = run(
      process.execPath,
      [
        join(root, 'bin', 'meshup'),
        'up',
        '--provider',
        'kwok',
        '--name',
        name,
        '--profile',
        'demo',
        '--addons',
        ADDONS,
        '--istio-dir',
        istioDir,
        '--yes',
        '--json',
      ],
      { env: baseEnv, cwd: work, memory: true, timeoutMs: LIMIT },
    );
    const upDone = up.then((r) => ok(`meshup up ${name}`, r));
    // up waits for its prefetch before it records: once it is done, what is not in is not coming.
    const stop = { now: false };
    const inCache = await Promise.race([
      filled(from, total, started, LIMIT, stop).catch(() => undefined),
      upDone.then(() => sleep(1000)).then(() => filled(from, total, started, 0).catch(() => undefined)),
    ]);
    stop.now = true;
    const r = await upDone;
    const note = JSON.parse(r.out).steps?.find((s) => s.title.startsWith('Prefetch'))?.note;
    return { inCache, upMs: r.ms, peakMiB: r.peakMiB, upstream: metered.blobBytes() - from, note };
  };

  // The plain steps: a workload's image is pulled once the workload exists, one at a time.
  const plainSide = async (name, cache) => {
    clusters.add(name);
    const work = join(dir, `work-${name}`);
    mkdirSync(work, { recursive: true });
    const from = metered.blobBytes();
    const started = Date.now();
    const script = run(
      'bash',
      [join(root, 'bench', 'plain-up.sh'), name, served.mirror.url, VERSION, join(dir, 'plain-release'), kwokConfig, nodeFile, gw.mirror.url, gw.version],
      { env, timeoutMs: LIMIT },
    );
    let done = false;
    const scriptDone = script.then((r) => {
      done = true;
      return ok('plain steps', r);
    });
    const pulled = new Set();
    const queue = [];
    let clusterAt;
    const watch = (async () => {
      while (pulled.size < names.length) {
        const r = await run('kubectl', ['--context', `kwok-${name}`, 'get', 'deployments,daemonsets,statefulsets', '-A', '-o', 'jsonpath={..image}'], {
          env,
          allowFail: true,
          timeoutMs: 20_000,
        });
        if (r.code === 0) clusterAt ??= Date.now() - started;
        for (const img of r.out.split(/\s+/).filter(Boolean)) {
          const bare = img.replace(/^docker\.io\//, '');
          const match = names.find((n) => n === img || n.replace(/^docker\.io\//, '') === bare);
          if (match && !pulled.has(match)) {
            pulled.add(match);
            queue.push(match);
          }
        }
        if (done && r.code === 0 && pulled.size < names.length) {
          // The proxy every injected pod runs is the gateways': it is in their workloads already.
          break;
        }
        await sleep(200);
      }
    })();
    const puller = (async () => {
      for (;;) {
        const next = queue.shift();
        if (next) await prefetchImages([next], { cacheFor: () => cache.url, concurrency: 1 });
        else if (pulled.size === names.length) return;
        else if (done && !queue.length) {
          await watch;
          if (!queue.length) return;
        } else await sleep(50);
      }
    })();
    await scriptDone;
    await watch;
    await puller;
    const inCache = await filled(from, total, started, 0).catch(() => undefined);
    return { inCache, clusterAt, missing: names.filter((n) => !pulled.has(n)), upstream: metered.blobBytes() - from };
  };

  const meshupCache = await newCache('cache-meshup');
  const a = await meshupSide('bench-img-meshup', meshupCache);
  await run('kwokctl', ['delete', 'cluster', '--name', 'bench-img-meshup'], { env, allowFail: true, timeoutMs: 120_000 });
  clusters.delete('bench-img-meshup');
  const b = await plainSide('bench-img-plain', await newCache('cache-plain'));
  await run('kwokctl', ['delete', 'cluster', '--name', 'bench-img-plain'], { env, allowFail: true, timeoutMs: 120_000 });
  clusters.delete('bench-img-plain');
  // As after down and up: meshup's side again, on the cache it filled (restarted: what it keeps is on disk).
  await meshupCache.stop();
  await meshupCache.start();
  const again = await meshupSide('bench-img-meshup2', meshupCache);

  console.log(`  every image in the cache, from the start of the run:`);
  console.log(
    `    meshup (prefetch beside the cluster's creation): ${a.inCache === undefined ? 'not all in the cache' : fmt(a.inCache)} (up itself ${fmt(a.upMs)}; prefetch: ${a.note ?? 'no note'})`,
  );
  if (b.inCache === undefined) console.log(`    plain steps: not all images were asked for by a workload (${b.missing.join(', ')})`);
  else
    console.log(
      `    plain steps (pulls once a workload asks, one at a time): ${fmt(b.inCache)} (the cluster answered at ${fmt(b.clusterAt ?? 0)})  → ratio ${(a.inCache / b.inCache).toFixed(2)}`,
    );
  console.log(`    upstream bytes: meshup ${(a.upstream / 1e6).toFixed(1)} MB, plain ${(b.upstream / 1e6).toFixed(1)} MB`);
  console.log(`    meshup again on its cache (as after down and up): ${(again.upstream / 1e6).toFixed(2)} MB from upstream, up ${fmt(again.upMs)}`);
  console.log(`    meshup peak RSS: ${a.peakMiB.toFixed(1)} MiB (first), ${again.peakMiB.toFixed(1)} MiB (again)`);
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  const ratio = b.inCache === undefined || a.inCache === undefined ? undefined : a.inCache / b.inCache;
  console.log('  targets:');
  console.log(
    `    first run, prefetch/plain: ${ratio === undefined ? 'no ratio' : ratio.toFixed(2)}; target <= 0.6: ${verdict(ratio !== undefined && ratio <= 0.6)}`,
  );
  console.log(`    second run, bytes from upstream: ${again.upstream}; target 0: ${verdict(again.upstream === 0)}`);
  console.log(`    peak RSS <= 100 MiB: ${verdict(Math.max(a.peakMiB, again.peakMiB) <= 100)}`);
} finally {
  await cleanup();
}
