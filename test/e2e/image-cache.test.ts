// Prefetching a mesh's images through a pull-through cache, on a real registry pair on 127.0.0.1
// (test/helpers/registry.mjs): the upstream holds small images under the real names `meshup images`
// lists for Istio 1.31.1's demo profile with Kiali and Jaeger; the cache is the distribution
// registry in proxy mode. The first prefetch fills the cache from upstream; a second (as after a
// down and an up) sends no blob byte upstream, nor does one after the cache restarts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefetchImages } from '../../src/images/prefetch.js';
import { meter, pushImage, type Registry, startRegistry } from '../helpers/registry.mjs';
import { realReleaseServerFor } from '../helpers/release.js';
import { MESHUP } from '../helpers/sealed.js';
import { simBinDir, simEnv } from '../helpers/sim-env.mjs';

const bin = simBinDir();
const served = realReleaseServerFor('1.31.1', { istioctl: join(bin, 'istioctl') });
const dir = mkdtempSync(join(tmpdir(), 'meshup-image-cache-'));
// Docker Hub's images of the plan, each a single layer scaled down from its real size.
const HUB = {
  'istio/pilot:1.31.1': 300_000,
  'istio/proxyv2:1.31.1': 500_000,
  'prom/prometheus:v3.10.0': 400_000,
  'jaegertracing/jaeger:2.17.0': 350_000,
};
const PLAN = [...Object.keys(HUB).map((n) => `docker.io/${n}`), 'quay.io/kiali/kiali:v2.27'];

let upstream: Registry;
let cache: Registry;
let metered: Awaited<ReturnType<typeof meter>>;
beforeAll(async () => {
  upstream = await startRegistry(bin, join(dir, 'upstream'));
  for (const [name, size] of Object.entries(HUB)) await pushImage(bin, dir, upstream.hostPort, name, size);
  metered = await meter(upstream.url);
  cache = await startRegistry(bin, join(dir, 'cache'), metered.url);
}, 120_000);
afterAll(async () => {
  await Promise.all([cache?.stop(), upstream?.stop(), metered?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const prefetch = () => prefetchImages(PLAN, { cacheFor: (r) => (r === 'docker.io' ? cache.url : undefined), platform: { os: 'linux', architecture: 'amd64' } });

describe('prefetch through a pull-through cache', () => {
  it('fills the cache from upstream, every blob checked against its digest; a registry with no cache is left to the nodes', async () => {
    const progress: number[] = [];
    const r = await prefetchImages(PLAN, { cacheFor: (reg) => (reg === 'docker.io' ? cache.url : undefined), progress: (b) => progress.push(b) });
    expect(r.cached).toEqual(PLAN.filter((i) => i.startsWith('docker.io/')).sort());
    expect(r.uncached).toEqual(['quay.io/kiali/kiali:v2.27']);
    const payload = Object.values(HUB).reduce((a, b) => a + b, 0);
    // Random payloads do not compress: the layers are at least their size, and came from upstream.
    expect(r.bytes).toBeGreaterThanOrEqual(payload);
    expect(metered.blobBytes()).toBeGreaterThanOrEqual(payload);
    expect(progress.at(-1)).toBe(r.bytes);
  });

  it('a second prefetch, as after down and up, sends 0 blob bytes upstream', async () => {
    const before = metered.blobBytes();
    const r = await prefetch();
    expect(r.cached).toHaveLength(4);
    expect(metered.blobBytes() - before).toBe(0);
  });

  it('meshup images --prefetch pulls the real plan (demo, Kiali, Jaeger) through the cache: nothing new upstream', async () => {
    const { env, dir: work } = simEnv('meshup-e2e-prefetch-');
    try {
      env.MESHUP_ISTIO_MIRROR = served().server.url;
      const args = [
        'images',
        '--provider',
        'kind',
        '--profile',
        'demo',
        '--addons',
        'kiali,jaeger',
        '--prefetch',
        '--cache',
        `docker.io=${cache.url}`,
        '--json',
      ];
      const before = metered.blobBytes();
      const r = await execa(process.execPath, [MESHUP, ...args], { env, extendEnv: false, reject: false, cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      const { prefetch } = JSON.parse(r.stdout) as { prefetch: { cached: string[]; uncached: string[] } };
      // The four Docker Hub images of the real list are the four the upstream holds.
      expect(prefetch.cached).toEqual(PLAN.filter((i) => i.startsWith('docker.io/')).sort());
      expect(prefetch.uncached.sort()).toEqual(['ghcr.io/prometheus-operator/prometheus-config-reloader:v0.89.0', 'quay.io/kiali/kiali:v2.27']);
      expect(metered.blobBytes() - before).toBe(0);
      const bad = await execa(process.execPath, [MESHUP, 'images', '--provider', 'kind', '--prefetch', '--cache', 'localhost:5050'], {
        env,
        extendEnv: false,
        reject: false,
        cwd: work,
      });
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain('--cache localhost:5050 is not REGISTRY=URL');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the cache restarted keeps what it holds', async () => {
    await cache.stop();
    await cache.start();
    const before = metered.blobBytes();
    const r = await prefetch();
    expect(r.cached).toHaveLength(4);
    expect(metered.blobBytes() - before).toBe(0);
  });
});
