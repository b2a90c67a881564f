// Finding an istioctl of the wanted version, in this order: an extracted release (--istio-dir),
// the istioctl on PATH when its version matches, a whole release in meshup's cache, a download.
// A mismatched or foreign-architecture istioctl is never used.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MeshupError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { cacheDir } from '../state/paths.js';
import { istioctlClientVersion } from '../tools/istioctl.js';
import { which } from '../util/which.js';
import { DEFAULT_ISTIO_MIRROR, downloadRelease } from './download.js';

export interface IstioRelease {
  version: string;
  istioctl: string;
  /** Directory of the extracted release (samples/addons/ lives there), when there is one. */
  dir?: string;
  source: 'istio-dir' | 'path' | 'cache' | 'download';
  /** Only planned: a dry run that would have downloaded it. Nothing is on disk. */
  planned?: boolean;
}

export interface AcquireOptions {
  version: string;
  istioDir?: string;
  mirror?: string;
  /** Only look, never download (status, down). */
  offline?: boolean;
  /** Want a whole release (addons need samples/), not just an istioctl. */
  needRelease?: boolean;
  progress?: (text: string) => void;
}

export function releaseCacheDir(env: NodeJS.ProcessEnv, version: string): string {
  return join(cacheDir(env), 'istio', version);
}

async function checkVersion(runner: Runner, bin: string, want: string, where: string): Promise<void> {
  runner.useBinary('istioctl', bin);
  let v: string;
  try {
    v = await istioctlClientVersion(runner);
  } catch (e) {
    throw new MeshupError(`The istioctl in ${where} does not run here: ${(e as Error).message}`, {
      details: e instanceof MeshupError ? e.details : [],
      fix: `It may be built for another CPU architecture (this machine is ${process.arch}); remove it and let meshup download the right one`,
    });
  }
  if (v !== want) {
    throw new MeshupError(`The istioctl in ${where} is Istio ${v || 'of unknown version'}, not ${want}`, {
      fix: [`Use that version: --istio-version ${v}`, `or provide a ${want} release: --istio-dir DIR`],
    });
  }
}

export async function acquireIstio(runner: Runner, o: AcquireOptions): Promise<IstioRelease> {
  const { version } = o;
  if (o.istioDir) {
    const bin = join(o.istioDir, 'bin', 'istioctl');
    if (!existsSync(bin)) throw new MeshupError(`${o.istioDir} is not an extracted Istio release: no bin/istioctl`, { fix: 'Point --istio-dir at the directory that holds bin/ and samples/' });
    await checkVersion(runner, bin, version, o.istioDir);
    return { version, istioctl: bin, dir: o.istioDir, source: 'istio-dir' };
  }

  if (!o.needRelease) {
    const onPath = which('istioctl', runner.env);
    if (onPath) {
      runner.useBinary('istioctl', onPath);
      const v = await istioctlClientVersion(runner).catch(() => '');
      if (v === version) return { version, istioctl: onPath, source: 'path' };
    }
  }

  const dir = releaseCacheDir(runner.env, version);
  const bin = join(dir, 'bin', 'istioctl');
  if (existsSync(dir)) {
    if (existsSync(join(dir, '.complete')) && existsSync(bin)) {
      try {
        await checkVersion(runner, bin, version, dir);
        return { version, istioctl: bin, dir, source: 'cache' };
      } catch (e) {
        if (o.offline) throw e;
        o.progress?.(`cached release is unusable (${(e as Error).message}); downloading it again`);
      }
    }
    // A partial or broken entry: replace it.
    if (!runner.dryRun && !o.offline) await rm(dir, { recursive: true, force: true });
  }
  if (runner.dryRun) {
    // A dry run fills no cache; later istioctl calls are printed, not run.
    o.progress?.(`[dry-run] would download Istio ${version} into ${dir}`);
    runner.useBinary('istioctl', bin);
    return { version, istioctl: bin, dir, source: 'download', planned: true };
  }
  if (o.offline) {
    throw new MeshupError(`No istioctl ${version} at hand`, { fix: `Run meshup up once (it downloads Istio ${version}), or pass --istio-dir` });
  }
  await downloadRelease({
    version,
    mirror: o.mirror ?? DEFAULT_ISTIO_MIRROR,
    dest: dir,
    signal: runner.signal,
    progress: o.progress,
  });
  try {
    await checkVersion(runner, bin, version, dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { version, istioctl: bin, dir, source: 'download' };
}
