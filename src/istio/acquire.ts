// Finding an istioctl of the wanted version: an extracted release (--istio-dir), the one on
// PATH when its version matches, or a release in meshup's cache. Never a mismatched one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MeshupError, ToolMissingError } from '../cli/errors.js';
import type { Runner } from '../exec/runner.js';
import { cacheDir } from '../state/paths.js';
import { istioctlClientVersion } from '../tools/istioctl.js';
import { which } from '../util/which.js';

export interface IstioRelease {
  version: string;
  istioctl: string;
  /** Directory of the extracted release (samples/addons/ lives there), when there is one. */
  dir?: string;
  source: 'istio-dir' | 'path' | 'cache';
}

export function releaseCacheDir(env: NodeJS.ProcessEnv, version: string): string {
  return join(cacheDir(env), 'istio', version);
}

export async function acquireIstio(runner: Runner, version: string, istioDir?: string): Promise<IstioRelease> {
  if (istioDir) {
    const bin = join(istioDir, 'bin', 'istioctl');
    if (!existsSync(bin)) throw new MeshupError(`${istioDir} is not an extracted Istio release: no bin/istioctl`, { fix: 'Point --istio-dir at the directory that holds bin/ and samples/' });
    runner.useBinary('istioctl', bin);
    const v = await istioctlClientVersion(runner);
    if (v !== version) {
      throw new MeshupError(`The release in ${istioDir} is Istio ${v}, not ${version}`, { fix: `Pass --istio-version ${v}, or point --istio-dir at a ${version} release` });
    }
    return { version, istioctl: bin, dir: istioDir, source: 'istio-dir' };
  }
  const cached = releaseCacheDir(runner.env, version);
  if (existsSync(join(cached, '.complete')) && existsSync(join(cached, 'bin', 'istioctl'))) {
    runner.useBinary('istioctl', join(cached, 'bin', 'istioctl'));
    return { version, istioctl: join(cached, 'bin', 'istioctl'), dir: cached, source: 'cache' };
  }
  const onPath = which('istioctl', runner.env);
  if (onPath) {
    runner.useBinary('istioctl', onPath);
    const v = await istioctlClientVersion(runner).catch(() => '');
    if (v === version) return { version, istioctl: onPath, source: 'path' };
    throw new MeshupError(`istioctl on PATH is version ${v || 'unknown'}, but Istio ${version} was asked for`, {
      fix: [`Use it: --istio-version ${v}`, `or pass --istio-dir with an extracted ${version} release (https://github.com/istio/istio/releases/tag/${version})`],
    });
  }
  throw new ToolMissingError('istioctl', `Install istioctl ${version} (https://istio.io/latest/docs/setup/install/istioctl/), or pass --istio-dir with an extracted ${version} release`);
}
