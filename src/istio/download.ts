// Downloading an Istio release: the archive for this OS and CPU, checked against the published
// SHA-256, extracted into a scratch directory and renamed into the cache only when whole. An
// interrupted or corrupt download never becomes a cache entry.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatMiB } from '../config/quantity.js';
import { InterruptedError, MeshupError, PreflightError, UsageError } from '../errors.js';
import { type HttpResponse, httpGet } from '../util/http.js';

export const DEFAULT_ISTIO_MIRROR = 'https://github.com/istio/istio/releases/download';

export function archiveName(version: string, platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'darwin' ? 'osx' : platform === 'linux' ? 'linux' : undefined;
  const cpu = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  if (!os || !cpu) {
    throw new MeshupError(`meshup cannot download Istio for ${platform}/${arch}`, {
      fix: 'Download and extract the release yourself (https://github.com/istio/istio/releases), then pass --istio-dir DIR',
    });
  }
  return `istio-${version}-${os}-${cpu}.tar.gz`;
}

export function releaseUrl(mirror: string, version: string, file: string): string {
  return `${mirror.replace(/\/+$/, '')}/${version}/${file}`;
}

export interface DownloadOptions {
  version: string;
  mirror: string;
  /** Final cache directory for this version. */
  dest: string;
  signal?: AbortSignal;
  progress?: (text: string) => void;
  platform?: string;
  arch?: string;
}

async function get(url: string, o: DownloadOptions, what: string): Promise<HttpResponse> {
  let res: HttpResponse;
  try {
    res = await httpGet(url, { signal: o.signal });
  } catch (e) {
    if (o.signal?.aborted) throw new InterruptedError();
    throw new MeshupError(`Could not download ${what}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, {
      details: [`url: ${url}`],
      fix: [
        'Run the command again; if it keeps failing, check your network or proxy (HTTPS_PROXY), or point meshup at a mirror: --istio-mirror URL / MESHUP_ISTIO_MIRROR',
        'or use a release on disk: --istio-dir DIR',
      ],
    });
  }
  if (res.status === 404) {
    res.cancel();
    throw new MeshupError(`Istio ${o.version} has no ${what} at ${url} (HTTP 404)`, {
      fix: ['Check the version exists: https://github.com/istio/istio/releases', 'or pass --istio-dir with an extracted release'],
    });
  }
  if (!res.ok) {
    res.cancel();
    throw new MeshupError(`Could not download ${what}: HTTP ${res.status}`, {
      details: [`url: ${url}`],
      fix: 'Try again later, or use --istio-mirror / --istio-dir',
    });
  }
  return res;
}

const probed = new Map<string, string>();

/** Whether the mirror has the release, asked by fetching its small checksum file only. A missing
 * release is the user's input (exit 2); a mirror that cannot be reached is the machine's (exit 3). */
export async function probeRelease(o: Pick<DownloadOptions, 'version' | 'mirror' | 'signal' | 'platform' | 'arch'>): Promise<void> {
  const url = `${releaseUrl(o.mirror, o.version, archiveName(o.version, o.platform, o.arch))}.sha256`;
  let res: HttpResponse;
  try {
    res = await httpGet(url, { signal: AbortSignal.any([AbortSignal.timeout(20_000), ...(o.signal ? [o.signal] : [])]) });
  } catch (e) {
    if (o.signal?.aborted) throw new InterruptedError();
    const why = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    throw new PreflightError(`The Istio ${o.version} release cannot be downloaded: ${why}`, {
      details: [`url: ${url}`],
      fix: [
        'Check your network or proxy (HTTPS_PROXY), or point meshup at a reachable mirror: --istio-mirror URL',
        'or use a release on disk: --istio-dir DIR',
      ],
    });
  }
  if (res.ok) {
    // The download that follows reads the same small file: keep it rather than ask twice.
    probed.set(url, await res.text().catch(() => ''));
    return;
  }
  res.cancel();
  if (res.status === 404) {
    throw new UsageError(`Istio ${o.version} has no release at ${o.mirror} (HTTP 404 for its checksum)`, {
      fix: ['Check the version: https://github.com/istio/istio/releases', 'or pass --istio-dir with an extracted release'],
    });
  }
  throw new PreflightError(`The mirror answered HTTP ${res.status} for the Istio ${o.version} release`, {
    details: [`url: ${url}`],
    fix: 'Try again later, or use --istio-mirror / --istio-dir',
  });
}

/** Downloads, verifies and extracts; returns the cache directory. */
export async function downloadRelease(o: DownloadOptions): Promise<string> {
  const file = archiveName(o.version, o.platform, o.arch);
  const url = releaseUrl(o.mirror, o.version, file);
  const parent = join(o.dest, '..');
  await mkdir(parent, { recursive: true });
  const scratch = join(parent, `.partial-${o.version}-${process.pid}-${Date.now()}`);
  const archive = `${scratch}.tar.gz`;
  try {
    const sumText = probed.get(`${url}.sha256`) || (await (await get(`${url}.sha256`, o, 'checksum')).text());
    const expected = /^([0-9a-f]{64})\b/i.exec(sumText.trim())?.[1]?.toLowerCase();
    if (!expected) throw new MeshupError(`The checksum file ${url}.sha256 holds no SHA-256`, { fix: 'Check the mirror serves Istio releases unchanged' });

    const res = await get(url, o, 'release archive');
    const total = Number(res.header('content-length') ?? 0);
    const hash = createHash('sha256');
    let seen = 0;
    let lastReport = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        seen += chunk.length;
        const now = Date.now();
        if (o.progress && (now - lastReport > 200 || seen === total)) {
          lastReport = now;
          const mib = (n: number) => formatMiB(Math.round(n / 1024 / 1024));
          o.progress(total ? `downloading ${file}: ${mib(seen)} of ${mib(total)} (${Math.floor((seen / total) * 100)}%)` : `downloading ${file}: ${mib(seen)}`);
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(res.body, meter, createWriteStream(archive), { signal: o.signal });
    } catch (e) {
      if (o.signal?.aborted) throw new InterruptedError();
      throw new MeshupError(`The download of ${file} broke off: ${(e as Error).message}`, { fix: 'Run the command again; meshup starts the download afresh' });
    }
    if (total && seen !== total) {
      throw new MeshupError(`The download of ${file} was truncated (${seen} of ${total} bytes)`, { fix: 'Run the command again' });
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new MeshupError(`${file} does not match its published SHA-256`, {
        details: [`expected ${expected}`, `got      ${actual}`, `url: ${url}`],
        fix: 'Run the command again; if it persists, the mirror or a proxy is altering the file',
      });
    }
    o.progress?.(`extracting ${file}`);
    const { x } = await import('tar');
    await mkdir(scratch, { recursive: true });
    try {
      // tar reads 16 MiB of the archive at a time by default and inflates each read at once,
      // faster than the files are written: the whole of istioctl (about 100 MiB) then waits in
      // memory. Reads of 1 MiB let the writes hold the reads back (a cold up that downloads
      // peaked at about 250 MiB, then 155).
      await x({ file: archive, cwd: scratch, strip: 1, preservePaths: false, maxReadSize: 1024 * 1024 });
    } catch (e) {
      throw new MeshupError(`${file} could not be extracted: ${(e as Error).message}`, { fix: 'Run the command again' });
    }
    if (!existsSync(join(scratch, 'bin', 'istioctl'))) {
      throw new MeshupError(`${file} holds no bin/istioctl`, { fix: 'Check the mirror serves Istio release archives' });
    }
    await writeFile(join(scratch, '.complete'), `${actual}\n`);
    await rm(o.dest, { recursive: true, force: true });
    await rename(scratch, o.dest);
    return o.dest;
  } finally {
    await rm(archive, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}
