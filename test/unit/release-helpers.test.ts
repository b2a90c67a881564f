// The release helpers that tests and benchmarks share: a mirror on 127.0.0.1 that can be paced,
// and releases assembled at run time from an Istio module directory (here a small stand-in with
// the module cache's read-only modes; the benchmark uses the real one).

import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as tarExtract } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { type BuiltRelease, buildRealRelease, serveReleases } from '../helpers/release.js';

const tmp = mkdtempSync(join(tmpdir(), 'meshup-release-helpers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeRelease(bytes: number): BuiltRelease {
  const dir = join(tmp, `blob-${bytes}`);
  mkdirSync(dir, { recursive: true });
  const file = 'istio-9.9.9-linux-amd64.tar.gz';
  const body = randomBytes(bytes);
  writeFileSync(join(dir, file), body);
  return { dir, tarball: join(dir, file), file, sha256: createHash('sha256').update(body).digest('hex') };
}

async function timedGet(url: string): Promise<{ ms: number; body: Buffer }> {
  const t = performance.now();
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const body = Buffer.from(await res.arrayBuffer());
  return { ms: performance.now() - t, body };
}

describe('release mirror', () => {
  it('paces the archive to the rate given and serves it whole; the checksum is not paced', async () => {
    const rel = fakeRelease(1_500_000);
    const mirror = await serveReleases({ '9.9.9': rel }, { rateBytesPerSec: 3_000_000 });
    try {
      expect(mirror.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const paced = await timedGet(`${mirror.url}/9.9.9/${rel.file}`);
      expect(paced.body.equals(readFileSync(rel.tarball))).toBe(true);
      // 1.5 MB at 3 MB/s: at least the last chunk's due time (~0.48 s), and not wildly more.
      expect(paced.ms).toBeGreaterThanOrEqual(450);
      expect(paced.ms).toBeLessThan(5000);
      const sum = await timedGet(`${mirror.url}/9.9.9/${rel.file}.sha256`);
      expect(sum.body.toString()).toBe(`${rel.sha256}  ${rel.file}\n`);
      expect(sum.ms).toBeLessThan(300);

      mirror.rateBytesPerSec = 0;
      const fast = await timedGet(`${mirror.url}/9.9.9/${rel.file}`);
      expect(fast.body.equals(paced.body)).toBe(true);
      expect(fast.ms).toBeLessThan(paced.ms);
      expect(mirror.requests).toEqual([`/9.9.9/${rel.file}`, `/9.9.9/${rel.file}.sha256`, `/9.9.9/${rel.file}`]);
    } finally {
      await mirror.close();
    }
  });

  it('still injects faults: a missing release is a 404', async () => {
    const rel = fakeRelease(1000);
    const mirror = await serveReleases({ '9.9.9': rel }, { rateBytesPerSec: 1_000_000 });
    try {
      mirror.fault = 'missing';
      expect((await fetch(`${mirror.url}/9.9.9/${rel.file}`)).status).toBe(404);
      mirror.fault = 'none';
      expect((await fetch(`${mirror.url}/9.9.8/${rel.file}`)).status).toBe(404);
    } finally {
      await mirror.close();
    }
  });
});

describe('release assembled from an Istio module directory', () => {
  // A stand-in for the module cache: read-only files and directories, as Go leaves them.
  const moduleDir = join(tmp, 'istio.io', 'istio@v0.0.0-test');
  const files: Record<string, string> = {
    'samples/addons/prometheus.yaml': 'kind: Deployment # prometheus\n',
    'samples/addons/grafana.yaml': 'kind: Deployment # grafana\n',
    'samples/addons/kiali.yaml': 'kind: Deployment # kiali\n',
    'samples/addons/jaeger.yaml': 'kind: Deployment # jaeger\n',
    'samples/addons/extras/zipkin.yaml': 'kind: Deployment # zipkin\n',
    'samples/bookinfo/platform/kube/bookinfo.yaml': 'kind: Service # productpage\n',
    'samples/curl/curl.yaml': 'kind: Deployment # curl\n',
  };
  function makeModule(without?: string): void {
    rmSync(moduleDir, { recursive: true, force: true });
    for (const [p, text] of Object.entries(files)) {
      if (p === without) continue;
      mkdirSync(join(moduleDir, p, '..'), { recursive: true });
      writeFileSync(join(moduleDir, p), text);
      chmodSync(join(moduleDir, p), 0o444);
    }
    for (const d of [
      'samples/addons/extras',
      'samples/addons',
      'samples/bookinfo/platform/kube',
      'samples/bookinfo/platform',
      'samples/bookinfo',
      'samples/curl',
      'samples',
    ])
      chmodSync(join(moduleDir, d), 0o555);
  }
  function unlockModule(): void {
    for (const d of [
      'samples',
      'samples/addons',
      'samples/addons/extras',
      'samples/bookinfo',
      'samples/bookinfo/platform',
      'samples/bookinfo/platform/kube',
      'samples/curl',
    ]) {
      if (existsSync(join(moduleDir, d))) chmodSync(join(moduleDir, d), 0o755);
    }
  }

  it('packs bin/istioctl and the chosen samples in the release layout, with a matching .sha256', async () => {
    makeModule();
    const istioctl = join(tmp, 'istioctl-test');
    writeFileSync(istioctl, '#!/bin/sh\necho istioctl\n');
    const root = join(tmp, 'real');
    try {
      const rel = await buildRealRelease(root, '1.31.1', { istioctl, moduleDir });
      expect(rel.file).toMatch(/^istio-1\.31\.1-(linux|osx)-(amd64|arm64)\.tar\.gz$/);
      expect(readFileSync(`${rel.tarball}.sha256`, 'utf8')).toBe(`${rel.sha256}  ${rel.file}\n`);
      expect(createHash('sha256').update(readFileSync(rel.tarball)).digest('hex')).toBe(rel.sha256);

      const out = join(tmp, 'extracted');
      mkdirSync(out, { recursive: true });
      const listed: string[] = [];
      await tarExtract({ file: rel.tarball, cwd: out, onReadEntry: (e) => listed.push(e.path) });
      expect(listed.every((p) => p.startsWith('istio-1.31.1/'))).toBe(true);
      const top = join(out, 'istio-1.31.1');
      for (const p of Object.keys(files).filter((f) => !f.startsWith('samples/curl/'))) expect(readFileSync(join(top, p), 'utf8')).toBe(files[p]);
      expect(existsSync(join(top, 'samples', 'curl'))).toBe(false); // only addons and bookinfo by default
      expect(statSync(join(top, 'bin', 'istioctl')).mode & 0o777).toBe(0o755);
      // Copies are writable, so the release can be extracted over and removed like a download.
      expect(statSync(join(top, 'samples', 'addons')).mode & 0o777).toBe(0o755);
      expect(statSync(join(top, 'samples', 'addons', 'kiali.yaml')).mode & 0o777).toBe(0o644);
    } finally {
      unlockModule();
    }
  });

  it('refuses a module without one of the four addons', async () => {
    makeModule('samples/addons/kiali.yaml');
    const istioctl = join(tmp, 'istioctl-test');
    try {
      await expect(buildRealRelease(join(tmp, 'real2'), '1.31.1', { istioctl, moduleDir })).rejects.toThrow('has no kiali.yaml');
    } finally {
      unlockModule();
    }
  });
});
