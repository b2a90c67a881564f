#!/usr/bin/env node
// Packaging check, as a user gets meshup: clone the repository (no dist/), `npm pack` it (the
// prepack script builds), install the tarball globally into a temporary prefix, and run the
// installed `meshup` from an unrelated directory with only fake tools on PATH and a sealed HOME
// and KUBECONFIG. Checks --version, profiles, and up --dry-run (which must change nothing).
// Run: npm run test:pack (CI runs it after npm test). It tests the committed HEAD.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'meshup-pack-'));
const started = Date.now();
let failed = 0;

function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail}`}`);
  if (!ok) failed++;
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

try {
  // 1. A fresh clone: no dist/, no node_modules. The build tools come from this checkout's
  //    node_modules (linked), as `npm ci` would install them.
  const clone = join(tmp, 'clone');
  sh('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  check('the fresh clone has no dist/', !existsSync(join(clone, 'dist')));
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));

  // 2. npm pack runs prepack, which builds dist/.
  const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: clone }));
  const files = packed[0].files.map((f) => f.path);
  const tarball = join(tmp, packed[0].filename);
  check('the tarball ships dist/cli/main.js and bin/meshup', files.includes('dist/cli/main.js') && files.includes('bin/meshup'), files.join('\n'));
  check(
    'the tarball ships profiles/, addons/ and schema/',
    ['profiles/demo.yaml', 'addons/kiali.yaml', 'schema/config.schema.json'].every((f) => files.includes(f)),
  );
  check('the tarball ships no tests or sources', !files.some((f) => f.startsWith('test/') || f.startsWith('src/')));

  // 3. Global install into a temporary prefix (dependencies from the npm registry or its cache).
  const prefix = join(tmp, 'prefix');
  sh('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: tmp });
  const installed = join(prefix, 'bin', 'meshup');
  check('npm installed a meshup command', existsSync(installed));

  // 4. A sealed world: only node, the fake tools and the installed meshup on PATH.
  const bin = join(tmp, 'bin');
  const home = join(tmp, 'home');
  const state = join(tmp, 'fake-state');
  const elsewhere = join(tmp, 'elsewhere');
  for (const d of [bin, home, state, elsewhere]) mkdirSync(d, { recursive: true });
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const t of ['docker', 'kind', 'minikube', 'kubectl', 'istioctl']) symlinkSync(join(root, 'test', 'fakes', 'bin', t), join(bin, t));
  const env = {
    PATH: `${dirname(installed)}:${bin}`,
    HOME: home,
    KUBECONFIG: join(home, 'kubeconfig'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.state'),
    FAKE_STATE: state,
    NODE_PATH: join(root, 'node_modules'), // for the fakes only
    CI: 'true',
    NO_COLOR: '1',
    TMPDIR: tmpdir(),
    MESHUP_ISTIO_MIRROR: 'http://127.0.0.1:9',
    MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9',
  };
  const meshup = (...args) => spawnSync('meshup', args, { cwd: elsewhere, env, encoding: 'utf8', timeout: 60_000 });

  const v = meshup('--version');
  check(`meshup --version prints ${pkg.version}`, v.status === 0 && v.stdout.trim() === pkg.version, v.stdout + v.stderr);
  const p = meshup('profiles');
  check(
    'meshup profiles lists the bundled profiles',
    p.status === 0 && /^default\s+default\s/m.test(p.stdout) && /^demo\s/m.test(p.stdout),
    p.stdout + p.stderr,
  );
  // No addons: they need a whole Istio release, which the dry run checks it can get (no mirror here).
  // Nor the Gateway API CRDs: they too are checked to be obtainable, and there is no mirror.
  const u = meshup('up', '--provider', 'kind', '--addons', '', '--no-gateway-api', '--yes', '--dry-run');
  check('meshup up --provider kind --yes --dry-run succeeds', u.status === 0 && u.stdout.includes('Dry run'), `exit ${u.status}\n${u.stdout}${u.stderr}`);
  check(
    'the dry run prints the plan and the kind command',
    u.stdout.includes('+ create kind cluster meshup') && u.stdout.includes('$ kind create cluster --name meshup'),
    u.stdout,
  );
  const callsFile = join(state, 'calls.jsonl');
  const calls = existsSync(callsFile)
    ? readFileSync(callsFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const changing = calls.filter(
    (c) =>
      (c.tool === 'kind' && /^(create|delete)$/.test(c.args[0])) ||
      (c.tool === 'minikube' && ['start', 'delete', 'stop'].includes(c.args[0])) ||
      (c.tool === 'kubectl' && c.args.some((a) => ['apply', 'delete', 'label', 'create', 'patch'].includes(a))) ||
      (c.tool === 'istioctl' && ['install', 'apply', 'uninstall'].includes(c.args[0])),
  );
  check('the dry run made no changing call', changing.length === 0, JSON.stringify(changing));
  const bad = meshup('schema', 'toString');
  check('a usage error from the installed package is exit 2 without a stack trace', bad.status === 2 && !/\n\s+at .+:\d+:\d+/.test(bad.stderr), bad.stderr);
} catch (e) {
  check('packaging steps ran', false, `${e.message}\n${e.stderr ?? ''}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(failed ? 1 : 0);
