// Docker Hub's pull quota as doctor asks for it, against a registry on 127.0.0.1 that answers as
// Docker Hub's does (a bearer challenge, a token service, ratelimit-* headers on a manifest HEAD),
// and whether docker has a login for it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubLogin, hubQuota } from '../../src/images/quota.js';

let server: Server;
let base: string;
const seen: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`.trim());
    if (req.url === '/v2/') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="registry.test"` }).end();
    } else if (req.url?.startsWith('/token?')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok' }));
    } else if (req.method === 'HEAD' && req.url === '/v2/ratelimitpreview/test/manifests/latest' && req.headers.authorization === 'Bearer tok') {
      res.writeHead(200, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' }).end();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("Docker Hub's pull quota", () => {
  it('asks for a token for the preview repository, then reads the limit and what is left from a HEAD (not a pull)', async () => {
    expect(await hubQuota(base)).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600 });
    expect(seen).toEqual([
      'GET /v2/',
      'GET /token?service=registry.test&scope=repository%3Aratelimitpreview%2Ftest%3Apull',
      'HEAD /v2/ratelimitpreview/test/manifests/latest Bearer tok',
    ]);
  });

  it('a registry that does not say (a mirror) gives no quota; one that does not answer rejects, bounded', async () => {
    seen.length = 0;
    const mirror = createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', () => r()));
    try {
      expect(await hubQuota(`http://127.0.0.1:${(mirror.address() as { port: number }).port}`)).toBeUndefined();
    } finally {
      await new Promise<void>((r) => mirror.close(() => r()));
    }
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const started = Date.now();
    try {
      await expect(hubQuota(`http://127.0.0.1:${(silent.address() as { port: number }).port}`, 300)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("reads docker's config for a Docker Hub login", () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshup-docker-config-'));
    try {
      expect(hubLogin({ DOCKER_CONFIG: join(dir, 'none') })).toBe('no');
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'a', 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'eDp5' } } }));
      expect(hubLogin({ DOCKER_CONFIG: join(dir, 'a') })).toBe('yes');
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'b', 'config.json'), JSON.stringify({ auths: {}, credsStore: 'desktop' }));
      expect(hubLogin({ DOCKER_CONFIG: join(dir, 'b') })).toBe('maybe');
      mkdirSync(join(dir, 'c'));
      writeFileSync(join(dir, 'c', 'config.json'), JSON.stringify({ auths: { 'ghcr.io': {} } }));
      expect(hubLogin({ DOCKER_CONFIG: join(dir, 'c') })).toBe('no');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
