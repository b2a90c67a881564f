// Serving test Istio releases (see release-build.mjs) from 127.0.0.1, with faults on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { buildRealRelease, DRIFT_OBJECTS, driftRef, REAL_ADDONS, serveRealRelease } from './real-release.mjs';
import { buildRelease, TEST_ADDONS } from './release-build.mjs';
import { serveReleases as serveMirror } from './release-server.mjs';

export { buildRealRelease, buildRelease, DRIFT_OBJECTS, driftRef, REAL_ADDONS, TEST_ADDONS };
export type BuiltRelease = Awaited<ReturnType<typeof buildRelease>>;

type Fault = 'none' | 'bad-checksum' | 'truncate' | 'missing' | 'stall';

export interface ReleaseServer {
  url: string;
  requests: string[];
  fault: Fault;
  /** Pace of archive bodies in bytes a second; 0 is unthrottled. */
  rateBytesPerSec: number;
  close(): Promise<void>;
}

/** Serves <version>/<file> from the releases given, on 127.0.0.1 only (see release-server.mjs). */
export async function serveReleases(releases: Record<string, BuiltRelease>, opts: { rateBytesPerSec?: number } = {}): Promise<ReleaseServer> {
  return (await serveMirror(releases, opts)) as ReleaseServer;
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

/**
 * For end-to-end tests on Istio's real addons: once per test file, assembles a release from the
 * pinned Istio module (samples/addons, samples/bookinfo) around the given istioctl (the test one:
 * join(simBinDir(), 'istioctl')) and serves it on 127.0.0.1; set MESHUP_ISTIO_MIRROR to its url.
 * Returns a getter, as the server exists only once beforeAll has run.
 */
export function realReleaseServerFor(
  version: string,
  opts: { istioctl: string; rateBytesPerSec?: number },
): () => { server: ReleaseServer; release: BuiltRelease } {
  let served: { server: ReleaseServer; release: BuiltRelease } | undefined;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'meshup-real-release-'));
    const { release, mirror } = await serveRealRelease(root, { version, ...opts });
    served = { server: mirror as ReleaseServer, release };
  });
  afterAll(async () => {
    await served?.server.close();
    rmSync(root, { recursive: true, force: true });
  });
  return () => served!;
}
