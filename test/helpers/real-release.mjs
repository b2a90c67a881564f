// An Istio release assembled at run time from the real Istio source: the module that
// test/cluster/istio/go.mod pins, as the Go module cache holds it. The layout is a release's
// (bin/istioctl, samples/addons/*.yaml, samples/bookinfo/...), bin/istioctl is the test istioctl
// built from that same module, and it is packed exactly as the tests' small releases are
// (release-build.mjs). Nothing of it is ever written inside the repository.
// Plain JavaScript so that bench/ can use it without a TypeScript build.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packRelease } from './release-build.mjs';
import { serveReleases } from './release-server.mjs';

/** The Go module that builds the test istioctl; its go.mod pins istio.io/istio. */
const ISTIO_TOOLS_MODULE = resolve(import.meta.dirname, '..', 'cluster', 'istio');

/** The parts of samples/ a release built here carries by default. */
const REAL_SAMPLES = ['addons', 'bookinfo'];

/** The addons meshup knows, each a samples/addons/<name>.yaml of the real release. */
export const REAL_ADDONS = ['prometheus', 'grafana', 'kiali', 'jaeger'];

/**
 * Five objects of a converged `meshup up --profile demo` with all four addons whose loss a re-run
 * has to notice and repair (issue 8). `resource` and `name` are what kubectl get/delete take.
 * @type {readonly { what: string, resource: string, name: string, namespace?: string }[]}
 */
export const DRIFT_OBJECTS = Object.freeze([
  { what: 'ingress gateway Deployment', resource: 'deployment', name: 'istio-ingressgateway', namespace: 'istio-system' },
  { what: 'sidecar-injector webhook configuration', resource: 'mutatingwebhookconfiguration', name: 'istio-sidecar-injector' },
  { what: 'VirtualService CRD', resource: 'customresourcedefinition', name: 'virtualservices.networking.istio.io' },
  { what: 'tracing Telemetry', resource: 'telemetries.telemetry.istio.io', name: 'mesh-default', namespace: 'istio-system' },
  { what: 'Grafana dashboards ConfigMap', resource: 'configmap', name: 'istio-grafana-dashboards', namespace: 'istio-system' },
]);

/** kubectl arguments naming one of DRIFT_OBJECTS: [-n NS] RESOURCE NAME. */
/** @param {{ resource: string, name: string, namespace?: string }} o @returns {string[]} */
export const driftRef = (o) => [...(o.namespace ? ['-n', o.namespace] : []), o.resource, o.name];

/**
 * Where the Go module cache holds the pinned istio.io/istio, and its version. Read-only: when the
 * module is not in the cache yet, says how to get it (test/cluster/build downloads it).
 * @param {{ env?: NodeJS.ProcessEnv }} [opts]
 * @returns {{ dir: string, version: string }}
 */
export function istioModule(opts = {}) {
  return goModule('istio.io/istio', join('samples', 'addons'), 'bash test/cluster/build', opts);
}

/**
 * Where the Go module cache holds a module that test/cluster/istio requires, and its version,
 * asked of Go in that module. Read-only: when `mustHave` is not in it, says how to get it.
 * @param {string} path @param {string} mustHave @param {string} how
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts] cwd: the module asked in (default test/cluster/istio)
 * @returns {{ dir: string, version: string }}
 */
export function goModule(path, mustHave, how, opts = {}) {
  let info;
  const cwd = opts.cwd ?? ISTIO_TOOLS_MODULE;
  try {
    info = JSON.parse(
      execFileSync('go', ['list', '-m', '-json', path], {
        cwd,
        env: opts.env ?? process.env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  } catch (e) {
    throw new Error(`cannot ask Go where ${path} is (go list -m in ${cwd}): ${/** @type {Error} */ (e).message}`);
  }
  if (!info.Dir || !existsSync(join(info.Dir, mustHave))) {
    throw new Error(`${path} ${info.Version} is not in the Go module cache; run: ${how.replaceAll('VERSION', info.Version)}`);
  }
  return { dir: info.Dir, version: info.Version };
}

/**
 * Copies a tree out of the module cache, whose files and directories are read-only: the copy gets
 * ordinary modes (0644, 0755 for directories and executables) so it can be packed, extracted and
 * removed like a downloaded release.
 * @param {string} from @param {string} to
 */
function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dest);
    else if (entry.isFile()) {
      copyFileSync(src, dest);
      chmodSync(dest, statSync(src).mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/**
 * Writes root/istio-<version>/ from the real Istio module and packs it (see packRelease).
 * @param {string} root @param {string} version the version the release and its istioctl claim
 * @param {{ istioctl: string, moduleDir?: string, samples?: string[] }} opts
 *   istioctl: the binary to ship as bin/istioctl (the test one, built from the same module);
 *   moduleDir: the module's directory (default: istioModule().dir); samples: parts of samples/
 * @returns {Promise<{ dir: string, tarball: string, sha256: string, file: string, moduleDir: string }>}
 */
export async function buildRealRelease(root, version, opts) {
  const moduleDir = opts.moduleDir ?? istioModule().dir;
  const dir = join(root, `istio-${version}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(opts.istioctl, join(dir, 'bin', 'istioctl'));
  chmodSync(join(dir, 'bin', 'istioctl'), 0o755);
  for (const part of opts.samples ?? REAL_SAMPLES) {
    const src = join(moduleDir, 'samples', part);
    if (!existsSync(src)) throw new Error(`${moduleDir} has no samples/${part}`);
    copyTree(src, join(dir, 'samples', part));
  }
  for (const a of REAL_ADDONS) {
    if ((opts.samples ?? REAL_SAMPLES).includes('addons') && !existsSync(join(dir, 'samples', 'addons', `${a}.yaml`))) {
      throw new Error(`${moduleDir}/samples/addons has no ${a}.yaml`);
    }
  }
  return { ...(await packRelease(root, version)), moduleDir };
}

/**
 * Builds the real-samples release under root and serves it from a 127.0.0.1 mirror, optionally
 * paced (e.g. 20e6 bytes a second, about a real download). Point meshup at it with
 * MESHUP_ISTIO_MIRROR=mirror.url; close the mirror when done (root is the caller's to remove).
 * @param {string} root
 * @param {{ version: string, istioctl: string, moduleDir?: string, samples?: string[], rateBytesPerSec?: number }} opts
 */
export async function serveRealRelease(root, opts) {
  const release = await buildRealRelease(root, opts.version, opts);
  const mirror = await serveReleases({ [opts.version]: release }, { rateBytesPerSec: opts.rateBytesPerSec ?? 0 });
  return { release, mirror };
}

/**
 * The older Istio of the upgrade tests (test/cluster/istio-prev): the version its binaries are
 * stamped with, where test/cluster/build put them, and the module's directory (its samples/).
 * @returns {{ version: string, bin: string, moduleDir: string }}
 */
export function prevIstio() {
  const build = resolve(import.meta.dirname, '..', 'cluster', 'build');
  const [version, bin] = execFileSync('bash', [build, '--print-prev-istio'], { encoding: 'utf8' }).trim().split(' ');
  const { dir } = goModule('istio.io/istio', join('samples', 'addons'), 'bash test/cluster/build', {
    cwd: resolve(import.meta.dirname, '..', 'cluster', 'istio-prev'),
  });
  if (!existsSync(join(/** @type {string} */ (bin), 'istioctl'))) throw new Error(`no istioctl ${version} in ${bin}; run: bash test/cluster/build`);
  return { version: /** @type {string} */ (version), bin: /** @type {string} */ (bin), moduleDir: dir };
}
