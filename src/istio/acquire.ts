// Finding an istioctl of the wanted version, in this order: an extracted release (--istio-dir),
// the istioctl on PATH when its version matches, a whole release in meshup's cache, a download.
// A mismatched or foreign-architecture istioctl is never used. What is found is a handle
// (tools/istioctl.ts Istioctl) the caller passes to whatever runs istioctl.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../config/paths.js';
import { MeshupError, UsageError } from '../errors.js';
import type { Runner } from '../exec/runner.js';
import { type Istioctl, istioctlClientVersion } from '../tools/istioctl.js';
import { which } from '../util/which.js';
import { DEFAULT_ISTIO_MIRROR, downloadRelease, probeRelease } from './download.js';

export interface IstioRelease {
  version: string;
  istioctl: Istioctl;
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

const ELF_MACHINES: Record<number, string> = {
  3: 'x86 (32-bit)',
  40: 'ARM (32-bit)',
  62: 'x64',
  183: 'arm64',
  243: 'RISC-V',
  8: 'MIPS',
  21: 'PowerPC 64',
  22: 's390x',
};
const MY_ELF = process.arch === 'x64' ? 0x3e : process.arch === 'arm64' ? 0xb7 : undefined;

/** The machine a binary is built for, when it is not this one (read from its header). */
function foreignArch(file: string): string | undefined {
  let head: Buffer;
  try {
    head = readFileSync(file).subarray(0, 64);
  } catch {
    return undefined;
  }
  if (head.subarray(0, 4).toString('latin1') === '\x7fELF') {
    const machine = head.readUInt16LE(18);
    if (process.platform !== 'linux') return `Linux (${ELF_MACHINES[machine] ?? `machine ${machine}`})`;
    return machine === MY_ELF ? undefined : (ELF_MACHINES[machine] ?? `machine type ${machine}`);
  }
  const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if ([0xcffaedfe, 0xcefaedfe, 0xcafebabe].includes(magic) && process.platform !== 'darwin') return 'macOS';
  if (head.subarray(0, 2).toString('latin1') === 'MZ' && process.platform !== 'win32') return 'Windows';
  return undefined;
}

/** Each binary's check against a wanted version, in this run: asked once, not per step. */
const checks = new WeakMap<Runner, Map<string, Promise<void>>>();

function checkVersion(runner: Runner, bin: string, want: string, where: string): Promise<void> {
  const mine = checks.get(runner) ?? new Map<string, Promise<void>>();
  checks.set(runner, mine);
  const key = `${bin}\0${want}`;
  let check = mine.get(key);
  if (!check) {
    check = askVersion(runner, bin, want, where);
    mine.set(key, check);
  }
  return check;
}

/** Starts checking the istioctl of --istio-dir while the cluster is read: the check decides
 * nothing before the plan, which needs it only when Istio is to be installed, and meanwhile it
 * would hold back the first change. Its outcome is taken (or thrown) by checkObtainable. */
export function checkIstioDirEarly(runner: Runner, o: Pick<AcquireOptions, 'istioDir' | 'version'>): void {
  if (!o.istioDir) return;
  const bin = join(o.istioDir, 'bin', 'istioctl');
  if (existsSync(bin)) checkVersion(runner, bin, o.version, o.istioDir).catch(() => undefined);
}

async function askVersion(runner: Runner, bin: string, want: string, where: string): Promise<void> {
  let v: string;
  try {
    v = await istioctlClientVersion(runner, bin);
  } catch (e) {
    const foreign = foreignArch(bin);
    throw new UsageError(
      `The istioctl in ${where} does not run here${foreign ? `: it is built for ${foreign}, this machine is ${process.platform}/${process.arch}` : `: ${(e as Error).message}`}`,
      {
        details: e instanceof MeshupError ? e.details : [],
        fix: foreign
          ? `Use a release built for this machine (another CPU architecture or OS will not run), or leave out --istio-dir so meshup downloads the right one`
          : `Run it yourself to see why (${bin} version), or leave out --istio-dir so meshup downloads Istio ${want}`,
      },
    );
  }
  if (v !== want) {
    throw new UsageError(`The istioctl in ${where} is Istio ${v || 'of unknown version'}, not ${want}`, {
      fix: [`Use that version: --istio-version ${v}`, `or provide a ${want} release: --istio-dir DIR`],
    });
  }
}

/** How the release will be had, decided without changing anything: on disk already (then the
 * binary is checked), or at the mirror (then its checksum file is fetched). */
export async function checkObtainable(runner: Runner, o: AcquireOptions): Promise<'at-hand' | 'download'> {
  if (o.istioDir) {
    await checkVersion(runner, join(o.istioDir, 'bin', 'istioctl'), o.version, o.istioDir);
    return 'at-hand';
  }
  const dir = releaseCacheDir(runner.env, o.version);
  if (existsSync(join(dir, '.complete')) && existsSync(join(dir, 'bin', 'istioctl'))) return 'at-hand';
  if (!o.needRelease) {
    const onPath = which('istioctl', runner.env);
    if (onPath && (await istioctlClientVersion(runner, onPath).catch(() => '')) === o.version) return 'at-hand';
  }
  await probeRelease({ version: o.version, mirror: o.mirror ?? DEFAULT_ISTIO_MIRROR, signal: runner.signal });
  return 'download';
}

export async function acquireIstio(runner: Runner, o: AcquireOptions): Promise<IstioRelease> {
  const { version } = o;
  if (o.istioDir) {
    const bin = join(o.istioDir, 'bin', 'istioctl');
    if (!existsSync(bin))
      throw new MeshupError(`${o.istioDir} is not an extracted Istio release: no bin/istioctl`, {
        fix: 'Point --istio-dir at the directory that holds bin/ and samples/',
      });
    await checkVersion(runner, bin, version, o.istioDir);
    return { version, istioctl: { bin, version }, dir: o.istioDir, source: 'istio-dir' };
  }

  if (!o.needRelease) {
    const onPath = which('istioctl', runner.env);
    if (onPath && (await istioctlClientVersion(runner, onPath).catch(() => '')) === version) {
      return { version, istioctl: { bin: onPath, version }, source: 'path' };
    }
  }

  const dir = releaseCacheDir(runner.env, version);
  const bin = join(dir, 'bin', 'istioctl');
  if (existsSync(dir)) {
    if (existsSync(join(dir, '.complete')) && existsSync(bin)) {
      try {
        await checkVersion(runner, bin, version, dir);
        return { version, istioctl: { bin, version }, dir, source: 'cache' };
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
    return { version, istioctl: { bin, version }, dir, source: 'download', planned: true };
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
  return { version, istioctl: { bin, version }, dir, source: 'download' };
}
