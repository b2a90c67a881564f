// The downloads' GET (util/http.ts) against a server on 127.0.0.1: what meshup relied on fetch for.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../../src/util/http.js';

let server: Server;
let base: string;
const seen: { url: string; headers: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/file') res.writeHead(200, { 'content-length': '5' }).end('hello');
    else if (req.url === '/json') res.end('{"a":1}');
    else if (req.url === '/relative') res.writeHead(302, { location: 'file' }).end();
    else if (req.url === '/absolute') res.writeHead(301, { location: `${base}/relative` }).end();
    else if (req.url === '/loop') res.writeHead(307, { location: '/loop' }).end();
    else if (req.url === '/stall') res.writeHead(200, { 'content-length': '100' }).write('x'.repeat(10));
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('httpGet', () => {
  it('reads a body, its status and headers, and asks for it uncompressed', async () => {
    const res = await httpGet(`${base}/file`);
    expect([res.status, res.ok, res.header('Content-Length')]).toEqual([200, true, '5']);
    expect(await res.text()).toBe('hello');
    expect(seen.at(-1)!.headers['accept-encoding']).toBeUndefined();
    expect(await (await httpGet(`${base}/json`)).json()).toEqual({ a: 1 });
  });

  it('follows redirects, relative and absolute, as fetch does', async () => {
    seen.length = 0;
    const res = await httpGet(`${base}/absolute`);
    expect(await res.text()).toBe('hello');
    expect(seen.map((s) => s.url)).toEqual(['/absolute', '/relative', '/file']);
    await expect(httpGet(`${base}/loop`)).rejects.toThrow(/more than 20 redirects/);
  });

  it('answers a missing file with its status, not an error', async () => {
    const res = await httpGet(`${base}/nothing`);
    expect([res.status, res.ok]).toEqual([404, false]);
    res.cancel();
  });

  it('an abort stops a body that stalls, and a request not yet answered', async () => {
    const ac = new AbortController();
    const res = await httpGet(`${base}/stall`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(res.text()).rejects.toThrow();
    await expect(httpGet(`${base}/file`, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    await expect(httpGet('http://127.0.0.1:9/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
