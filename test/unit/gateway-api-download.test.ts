// Getting the Gateway API bundle from a mirror on 127.0.0.1 (helpers/gateway-api.mjs): checked
// before caching, cached by version, reused, and never cached when wrong, cut short or missing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireBundle,
  bundleCacheDir,
  cachedBundleObjects,
  checkBundleObtainable,
  downloadBundle,
  probeBundle,
  readCachedBundle,
} from '../../src/gatewayapi/bundle.js';
import { type GatewayApiMirror, SMALL_BUNDLE_CRDS, serveGatewayApi, smallBundle } from '../helpers/gateway-api.mjs';

let mirror: GatewayApiMirror;
let env: NodeJS.ProcessEnv;
let home: string;

beforeAll(async () => {
  mirror = await serveGatewayApi({ 'v1.6.0': smallBundle('v1.6.0', { policy: true }), 'v1.2.1': smallBundle('v1.2.1') });
});
afterAll(() => mirror.close());
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'meshup-gwapi-'));
  env = { HOME: home, XDG_CACHE_HOME: join(home, 'cache') };
  mirror.fault = 'none';
  mirror.requests.length = 0;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const o = (version = 'v1.6.0') => ({ version, mirror: mirror.url, env });
/** What the cache's gateway-api directory holds: versions, and nothing half-written. */
const cached = () => (existsSync(join(home, 'cache', 'meshup', 'gateway-api')) ? readdirSync(join(home, 'cache', 'meshup', 'gateway-api')) : []);
async function failure(p: Promise<unknown>): Promise<{ message: string; details: string[]; fix: string[]; exitCode: number }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a failure');
}

describe('the Gateway API bundle', () => {
  it('is downloaded from <mirror>/<version>/standard-install.yaml, checked, cached by version and then reused', async () => {
    const first = await acquireBundle(env, o());
    expect(first).toMatchObject({ dir: bundleCacheDir(env, 'v1.6.0'), downloaded: true });
    // What was checked on the way in is handed on, so the apply need not parse it again.
    expect(first.objects).toHaveLength(6);
    expect(first.dir).toBe(join(home, 'cache', 'meshup', 'gateway-api', 'v1.6.0'));
    expect(mirror.requests).toEqual(['/v1.6.0/standard-install.yaml']);
    expect(readFileSync(join(first.dir, 'standard-install.yaml'), 'utf8')).toBe(smallBundle('v1.6.0', { policy: true }));
    expect((await cachedBundleObjects(env, 'v1.6.0'))!.filter((x) => x.kind === 'CustomResourceDefinition').map((x) => x.name)).toEqual([...SMALL_BUNDLE_CRDS]);
    expect(cached()).toEqual(['v1.6.0']);

    mirror.requests.length = 0;
    expect(await acquireBundle(env, o())).toEqual({ dir: first.dir, downloaded: false });
    expect(await checkBundleObtainable(env, o())).toBe('at-hand');
    expect(mirror.requests).toEqual([]);
    // Another release is another entry.
    await acquireBundle(env, o('v1.2.1'));
    expect(cached().sort()).toEqual(['v1.2.1', 'v1.6.0']);
  });

  it('a mirror given with a trailing slash works the same', async () => {
    await downloadBundle({ ...o(), mirror: `${mirror.url}/` });
    expect(mirror.requests).toEqual(['/v1.6.0/standard-install.yaml']);
  });

  it('refuses a bundle of another release served under this one, and caches nothing', async () => {
    mirror.bundles['v1.6.0'] = smallBundle('v1.5.1');
    try {
      const e = await failure(acquireBundle(env, o()));
      expect(e.message).toBe(`The Gateway API v1.6.0 bundle from ${mirror.url}/v1.6.0/standard-install.yaml is not the standard channel's CRDs of v1.6.0`);
      expect(e.details[0]).toContain('bundle-version is v1.5.1, expected v1.6.0');
      expect(cached()).toEqual([]);
    } finally {
      mirror.bundles['v1.6.0'] = smallBundle('v1.6.0', { policy: true });
    }
  });

  it('refuses a corrupt bundle (a foreign object in it), and caches nothing', async () => {
    mirror.bundles['v1.6.0'] = smallBundle('v1.6.0', { extra: ['apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: miner, namespace: default }\n'] });
    try {
      const e = await failure(downloadBundle(o()));
      expect(e.details.join('\n')).toContain('(Deployment miner): not a CustomResourceDefinition of gateway.networking.k8s.io');
      expect(cached()).toEqual([]);
    } finally {
      mirror.bundles['v1.6.0'] = smallBundle('v1.6.0', { policy: true });
    }
  });

  it('refuses a download cut short, and caches nothing', async () => {
    mirror.fault = 'truncate';
    const e = await failure(downloadBundle(o()));
    // Cut before or after the headers arrive: either way an error naming the CRDs, exit 1.
    expect(e.message).toMatch(/^(The download of the Gateway API v1\.6\.0 CRDs (was truncated|broke off)|Could not download the Gateway API v1\.6\.0 CRDs)/);
    expect(e.exitCode).toBe(1);
    expect(cached()).toEqual([]);
  });

  it('stops a download that stalls when interrupted, and caches nothing', async () => {
    mirror.fault = 'stall';
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e = await failure(downloadBundle({ ...o(), signal: ac.signal }));
    expect(e.exitCode).toBe(130);
    expect(cached()).toEqual([]);
  });

  it('before anything changes: a mirror without the bundle, or none answering, is exit 3 with the way out', async () => {
    mirror.fault = 'missing';
    const missing = await failure(checkBundleObtainable(env, o()));
    expect(missing.exitCode).toBe(3);
    expect(missing.message).toBe('The mirror has no Gateway API v1.6.0 bundle (HTTP 404 for standard-install.yaml)');
    expect(missing.fix.join('\n')).toContain('--gateway-api-mirror URL / MESHUP_GATEWAY_API_MIRROR');
    expect(missing.fix.join('\n')).toContain('--no-gateway-api');
    mirror.fault = 'none';
    const down = await failure(probeBundle({ version: 'v1.6.0', mirror: 'http://127.0.0.1:9' }));
    expect(down.exitCode).toBe(3);
    expect(down.message).toMatch(/^The Gateway API v1\.6\.0 CRDs cannot be downloaded: /);
    expect(down.details).toEqual(['url: http://127.0.0.1:9/v1.6.0/standard-install.yaml']);
    // A probe reads nothing into the cache.
    expect(await checkBundleObtainable(env, o())).toBe('download');
    expect(cached()).toEqual([]);
  });

  it('a cached bundle whose YAML is unchanged is not parsed again: the objects checked at download are used', async () => {
    const { dir, objects } = await acquireBundle(env, o());
    expect(await readCachedBundle(env, 'v1.6.0')).toEqual(objects);
    // The record of the check is what a later run reads (the YAML's hash still matches it) ...
    const checked = JSON.parse(readFileSync(join(dir, 'checked.json'), 'utf8')) as { sha256: string; objects: Record<string, unknown>[] };
    checked.objects = checked.objects.slice(0, 1);
    writeFileSync(join(dir, 'checked.json'), JSON.stringify(checked));
    expect(await readCachedBundle(env, 'v1.6.0')).toHaveLength(1);
    // ... and without it the YAML is checked again, and the record written anew.
    rmSync(join(dir, 'checked.json'));
    expect(await readCachedBundle(env, 'v1.6.0')).toEqual(objects);
    expect(existsSync(join(dir, 'checked.json'))).toBe(true);
  });

  it('a cached bundle edited by hand is checked again when applied, refused, and dropped from the cache', async () => {
    const { dir } = await acquireBundle(env, o());
    expect((await readCachedBundle(env, 'v1.6.0')).length).toBe(6);
    writeFileSync(join(dir, 'standard-install.yaml'), smallBundle('v1.6.0', { channel: 'experimental' }));
    const e = await failure(readCachedBundle(env, 'v1.6.0'));
    expect(e.details[0]).toContain('channel is experimental, expected standard');
    expect(cached()).toEqual([]);
  });
});
