// Docker Hub's pull quota as its registry reports it: a token for a repository it keeps for the
// purpose, then a HEAD of a manifest, whose ratelimit-* headers say the limit and what is left
// for this address (a HEAD is not counted as a pull). And whether docker has a login for it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HubQuota {
  limit: number;
  remaining: number;
  /** The window, in seconds. */
  windowSeconds?: number;
}

const PREVIEW = 'ratelimitpreview/test';

/** `100;w=21600` → 100 and 21600. */
export function parseRateLimit(header: string | null): { n: number; window?: number } | undefined {
  const m = /^\s*(\d+)(?:\s*;\s*w=(\d+))?/.exec(header ?? '');
  return m ? { n: Number(m[1]), window: m[2] ? Number(m[2]) : undefined } : undefined;
}

/** Undefined when the registry does not say (a mirror); rejects when it does not answer in time. */
export async function hubQuota(registry: string, timeoutMs = 3000): Promise<HubQuota | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const challenge = await fetch(`${registry}/v2/`, { signal });
  await challenge.body?.cancel();
  const auth = /Bearer\s+realm="([^"]+)"(?:,\s*service="([^"]+)")?/i.exec(challenge.headers.get('www-authenticate') ?? '');
  const headers: Record<string, string> = {};
  if (auth) {
    const url = new URL(auth[1]!);
    if (auth[2]) url.searchParams.set('service', auth[2]);
    url.searchParams.set('scope', `repository:${PREVIEW}:pull`);
    const res = await fetch(url, { signal });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    headers.authorization = `Bearer ${body.token ?? body.access_token ?? ''}`;
  }
  const head = await fetch(`${registry}/v2/${PREVIEW}/manifests/latest`, { method: 'HEAD', headers, signal });
  const limit = parseRateLimit(head.headers.get('ratelimit-limit'));
  const remaining = parseRateLimit(head.headers.get('ratelimit-remaining'));
  if (!limit || !remaining) return undefined;
  return { limit: limit.n, remaining: remaining.n, windowSeconds: limit.window };
}

/** Whether the docker CLI has a login for Docker Hub: an entry under its index's address, or a
 * credential store that may hold one (it cannot be asked without running the helper). */
export function hubLogin(env: NodeJS.ProcessEnv): 'yes' | 'maybe' | 'no' {
  const dir = env.DOCKER_CONFIG ?? join(env.HOME ?? '', '.docker');
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return 'no';
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, unknown>; credsStore?: string; credHelpers?: Record<string, string> };
    if (Object.keys(c.auths ?? {}).some((k) => /index\.docker\.io|registry-1\.docker\.io|^docker\.io/.test(k))) return 'yes';
    if (c.credHelpers?.['docker.io'] || c.credHelpers?.['index.docker.io'] || c.credsStore) return 'maybe';
    return 'no';
  } catch {
    return 'no';
  }
}
