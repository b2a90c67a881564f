// Serving test Istio releases (see release-build.mjs) from 127.0.0.1, with faults on demand.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRelease, TEST_ADDONS, addonManifest } from './release-build.mjs';

export { buildRelease, TEST_ADDONS, addonManifest };
export type BuiltRelease = Awaited<ReturnType<typeof buildRelease>>;

export type Fault = 'none' | 'bad-checksum' | 'truncate' | 'missing' | 'stall';

export interface ReleaseServer {
  url: string;
  requests: string[];
  fault: Fault;
  close(): Promise<void>;
}

/** Serves <version>/<file> from the releases given, on 127.0.0.1 only. */
export async function serveReleases(releases: Record<string, BuiltRelease>): Promise<ReleaseServer> {
  const state: ReleaseServer = { url: '', requests: [], fault: 'none', close: async () => {} };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    const rel = m ? releases[m[1]!] : undefined;
    if (!m || !rel || state.fault === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    if (m[2] === `${rel.file}.sha256`) {
      const sum = state.fault === 'bad-checksum' ? '0'.repeat(64) : rel.sha256;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${sum}  ${rel.file}\n`);
      return;
    }
    if (m[2] !== rel.file) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(rel.tarball);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(body.length) });
    if (state.fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      res.socket?.destroy();
    } else if (state.fault === 'stall') {
      res.write(body.subarray(0, 1024)); // and never finish: the client must give up or be stopped
    } else {
      res.end(body);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

/**
 * Builds the given releases once for a test file and serves them; call in the file's top level.
 * Returns a getter, as the server exists only once beforeAll has run.
 */
export function releaseServerFor(versions: Record<string, { addons?: Record<string, string> }>): () => ReleaseServer {
  let server: ReleaseServer | undefined;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'meshup-releases-'));
    const built: Record<string, BuiltRelease> = {};
    for (const [v, o] of Object.entries(versions)) built[v] = await buildRelease(join(root, v), v, o);
    server = await serveReleases(built);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });
  return () => server!;
}
