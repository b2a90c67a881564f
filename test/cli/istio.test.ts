import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRelease, type ReleaseServer, serveReleases } from '../helpers/release.js';
import { MESHUP, mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

const VERSION = '1.31.1';
let releases: string;
let server: ReleaseServer;
let w: Sealed;

beforeAll(async () => {
  releases = mkdtempSync(join(tmpdir(), 'meshup-releases-'));
  const r = await buildRelease(releases, VERSION);
  const old = await buildRelease(releases, '1.30.4');
  server = await serveReleases({ [VERSION]: r, '1.30.4': old });
});
afterAll(async () => {
  await server.close();
  rmSync(releases, { recursive: true, force: true });
});
beforeEach(() => {
  w = sealed({ tools: ['docker', 'kind', 'kubectl'] });
  server.fault = 'none';
  server.requests.length = 0;
});
afterEach(() => w.cleanup());

const cacheRoot = () => join(w.env.XDG_CACHE_HOME!, 'meshup', 'istio');
const up = (extra: string[] = [], env: Record<string, string> = {}) =>
  w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes', ...extra], { env: { MESHUP_ISTIO_MIRROR: server.url, ...env } });

describe('getting Istio', () => {
  it('downloads the release for this OS and CPU, verifies it, caches it, and reuses the cache', async () => {
    const r = await up();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(server.requests).toEqual([`/${VERSION}/${releaseFile()}.sha256`, `/${VERSION}/${releaseFile()}`]);
    expect(existsSync(join(cacheRoot(), VERSION, '.complete'))).toBe(true);
    expect(readdirSync(cacheRoot())).toEqual([VERSION]);
    expect(
      w
        .calls()
        .filter((c) => c.tool === 'istioctl')
        .map((c) => c.args.slice(2, 3)[0]),
    ).toContain('install');

    // Second run on a converged cluster: nothing downloaded, nothing installed.
    server.requests.length = 0;
    const before = w.calls().length;
    const again = await up();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(server.requests).toEqual([]);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('rejects a checksum mismatch and leaves nothing in the cache', async () => {
    server.fault = 'bad-checksum';
    const r = await up();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('does not match its published SHA-256');
    expect(r.stderr).toMatch(/expected 0{64}/);
    expect(existsSync(join(cacheRoot(), VERSION))).toBe(false);
    expect(readdirSync(cacheRoot())).toEqual([]);
  });

  it('reports a truncated download and leaves nothing half-extracted; a re-run recovers', async () => {
    server.fault = 'truncate';
    const r = await up();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Could not download release archive|download of .* (broke off|was truncated)/);
    expect(readdirSync(cacheRoot())).toEqual([]);
    server.fault = 'none';
    const again = await up();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(existsSync(join(cacheRoot(), VERSION, '.complete'))).toBe(true);
  });

  it('says when a version has no release', async () => {
    const r = await up(['--istio-version', '1.31.99']);
    // Known before anything changes: the cluster is not created for a release that does not exist.
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Istio 1.31.99 has no release at');
    expect(r.stderr).toContain('HTTP 404');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('replaces a partial cache entry', async () => {
    mkdirSync(join(cacheRoot(), VERSION, 'bin'), { recursive: true });
    writeFileSync(join(cacheRoot(), VERSION, 'bin', 'istioctl'), 'half');
    const r = await up();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(existsSync(join(cacheRoot(), VERSION, '.complete'))).toBe(true);
  });

  it('refuses an istioctl that cannot run here (wrong architecture)', async () => {
    const dir = join(w.dir, 'rel');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    // An ELF header for another machine: the kernel answers ENOEXEC.
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = 2;
    elf[5] = 1;
    elf[16] = 2;
    elf[18] = 0x28; // ARM, 32-bit
    writeFileSync(join(dir, 'bin', 'istioctl'), elf, { mode: 0o755 });
    const r = await up(['--istio-dir', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('does not run here');
    expect(r.stderr).toMatch(/another CPU architecture/);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('uses --istio-dir offline and checks its version', async () => {
    const r = await up(['--istio-dir', join(releases, 'istio-1.30.4')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is Istio 1.30.4, not 1.31.1');
    expect(mutatingCalls(w.calls())).toEqual([]);
    const before = w.calls().length;
    const ok = await up(['--istio-dir', join(releases, 'istio-1.30.4'), '--istio-version', '1.30.4']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    // Checked while the cluster was read, and once only.
    expect(
      w
        .calls()
        .slice(before)
        .filter((c) => c.tool === 'istioctl' && c.args[0] === 'version'),
    ).toHaveLength(1);
    expect(server.requests).toEqual([]);
  });

  it('stops on Ctrl-C during a download, exits 130 and leaves no partial file', async () => {
    server.fault = 'stall';
    const child = execa(process.execPath, [MESHUP, 'up', '--provider', 'kind', '--profile', 'minimal', '--yes'], {
      env: { ...w.env, MESHUP_ISTIO_MIRROR: server.url },
      extendEnv: false,
      cwd: join(w.dir, 'work'),
      reject: false,
    });
    for (let i = 0; i < 200 && !server.requests.some((u) => u.endsWith('.tar.gz')); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(readdirSync(cacheRoot())).toEqual([]);
  });
});

describe('installing', () => {
  it('explains an install that times out, from the pods it finds', async () => {
    const w2 = sealed();
    try {
      expect((await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes', '--istio-version', '1.31.1'])).exitCode).toBe(0);
      const s = w2.readState();
      const objects = s.clusters['kind-meshup'].objects;
      delete objects['deployment/istio-system/istiod'];
      objects['pod/istio-system/istiod-abc'] = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'istiod-abc', namespace: 'istio-system' },
        status: {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }],
        },
      };
      w2.state({ clusters: s.clusters, istioctl: { failInstall: true } });
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('error: Installing Istio: istioctl exited with code 1');
      expect(r.stderr).toContain('resources not ready after 5m0s');
      expect(r.stderr).toContain('istio-system/istiod-abc is Pending: 0/1 nodes are available: 1 Insufficient cpu.');
      expect(r.stderr).toContain('use --profile demo');
    } finally {
      w2.cleanup();
    }
  });

  it('does not replace an installed Istio: another version is an upgrade, planned by meshup upgrade', async () => {
    const w2 = sealed();
    try {
      expect((await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
      const before = w2.calls().length;
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--istio-version', '1.30.4', '--yes']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('Istio 1.31.1 runs here; Istio 1.30.4 would replace it');
      expect(r.stderr).toContain('meshup upgrade --to 1.30.4');
      expect(r.stderr).toContain('keep it: meshup up --istio-version 1.31.1');
      expect(mutatingCalls(w2.calls().slice(before))).toEqual([]);
      // meshup upgrade refuses a downgrade, before any change.
      const down = await w2.run(['upgrade', '--provider', 'kind', '--to', '1.30.4']);
      expect(down.exitCode, down.stderr).toBe(2);
      expect(down.stderr).toContain('Istio 1.30.4 is older than the 1.31.1 that runs here: that is a downgrade');
      expect(mutatingCalls(w2.calls().slice(before))).toEqual([]);
      // The plan says the same, and a re-run without a version keeps the installed one.
      const p = await w2.run(['plan', '--provider', 'kind', '--istio-version', '1.30.4'], { env: { MESHUP_ISTIO_MIRROR: server.url } });
      expect(p.exitCode).toBe(2);
      expect(p.stdout).toContain('! Istio 1.31.1 runs here; Istio 1.30.4 would replace it');
      const keep = await w2.run(['plan', '--provider', 'kind']);
      expect(keep.exitCode, keep.stdout).toBe(0);
      expect(keep.stdout).toContain('= Istio 1.31.1 unchanged');
    } finally {
      w2.cleanup();
    }
  });

  it('installs the gateways as an IstioOperator of their own, and takes over those an older meshup installed with the control plane', async () => {
    const w2 = sealed();
    const OWNER = 'install.operator.istio.io/owning-resource';
    const installs = (from: number) =>
      w2
        .calls()
        .slice(from)
        .filter((c) => c.tool === 'istioctl' && c.args[2] === 'install')
        .map((c) => c.args[4]!.replace(/^.*\//, ''));
    const objects = () => w2.readState().clusters['kind-meshup'].objects as Record<string, { metadata: { labels?: Record<string, string> } }>;
    try {
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes']);
      expect(r.exitCode, r.stderr).toBe(0);
      // On the new mesh, istioctl installs the control plane; the gateways are applied from their
      // rendered manifest under istioctl's field manager and labels, and waited for by a watch.
      expect(installs(0)).toEqual(['istio-overlay.yaml']);
      const gatewayCalls = w2.calls().filter((c) => c.tool === 'kubectl' && c.args.includes('--field-manager=istio-operator'));
      expect(gatewayCalls).toHaveLength(1);
      expect(gatewayCalls[0]!.stdin).toContain('"install.operator.istio.io/owning-resource":"meshup-gateways"');
      expect(w2.calls().some((c) => c.tool === 'kubectl' && c.args.includes('rollout') && c.args.includes('deployment/istio-ingressgateway'))).toBe(true);
      expect(objects()['deployment/istio-system/istiod']!.metadata.labels?.[OWNER]).toBe('meshup');
      // The same labels istioctl's own install gives its objects (the fake's, as Istio 1.31's).
      const { [OWNER]: cpOwner, 'operator.istio.io/component': cpComponent, ...cpRest } = objects()['deployment/istio-system/istiod']!.metadata.labels!;
      const gw = objects()['deployment/istio-system/istio-ingressgateway']!.metadata.labels!;
      expect([cpOwner, cpComponent, gw[OWNER], gw['operator.istio.io/component']]).toEqual(['meshup', 'Pilot', 'meshup-gateways', 'IngressGateways']);
      expect(gw).toMatchObject(cpRest);
      expect(objects()['service/istio-system/istio-ingressgateway']!.metadata.labels?.[OWNER]).toBe('meshup-gateways');
      expect(r.stdout).toMatch(/gateway +\S/);

      // As an older meshup left it: the gateways belong to the control plane's IstioOperator, and
      // the recorded overlay is another.
      const s = w2.readState();
      const objs = s.clusters['kind-meshup'].objects;
      for (const k of ['deployment/istio-system/istio-ingressgateway', 'service/istio-system/istio-ingressgateway']) objs[k].metadata.labels[OWNER] = 'meshup';
      const rec = objs['configmap/kube-public/meshup'];
      rec.data.spec = JSON.stringify({ ...JSON.parse(rec.data.spec), overlayHash: '0123456789abcdef' });
      w2.state({ clusters: s.clusters });
      const plan = await w2.run(['plan', '--provider', 'kind']);
      expect(plan.stdout).toContain('~ reconfigure Istio 1.31.1 (profile demo: the overlay changed)');
      const before = w2.calls().length;
      const again = await w2.run(['up', '--provider', 'kind', '--yes']);
      expect(again.exitCode, again.stderr).toBe(0);
      // The control plane's install prunes the gateways it no longer renders; the gateways'
      // install, which starts only after it on an installed mesh, puts them back as its own.
      expect(installs(before)).toEqual(['istio-overlay.yaml', 'istio-gateways.yaml']);
      // …once what the pruning deleted (in the foreground) is gone.
      const waited = w2
        .calls()
        .slice(before)
        .find((c) => c.tool === 'kubectl' && c.args.includes('--for=delete'));
      expect(waited?.args).toEqual(expect.arrayContaining(['deployment.apps/istio-ingressgateway', 'service/istio-ingressgateway', '-n', 'istio-system']));
      expect(objects()['service/istio-system/istio-ingressgateway']!.metadata.labels?.[OWNER]).toBe('meshup-gateways');
      expect((await w2.run(['plan', '--provider', 'kind'])).exitCode).toBe(0);

      // A profile without gateways: the gateways' install runs all the same, and prunes them.
      const after = w2.calls().length;
      const minimal = await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes']);
      expect(minimal.exitCode, minimal.stderr).toBe(0);
      expect(installs(after)).toEqual(['istio-overlay.yaml', 'istio-gateways.yaml']);
      expect(objects()['service/istio-system/istio-ingressgateway']).toBeUndefined();
      expect(objects()['deployment/istio-system/istiod']).toBeDefined();
    } finally {
      w2.cleanup();
    }
  });

  it('installs no gateways on a new cluster whose profile has none', async () => {
    const w2 = sealed();
    try {
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--addons', '', '--yes']);
      expect(r.exitCode, r.stderr).toBe(0);
      const installs = w2.calls().filter((c) => c.tool === 'istioctl' && c.args[2] === 'install');
      expect(installs.map((c) => c.args[4]!.replace(/^.*\//, ''))).toEqual(['istio-overlay.yaml']);
    } finally {
      w2.cleanup();
    }
  });

  it('prints the overlay and the install command under --dry-run', async () => {
    const w2 = sealed();
    try {
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes', '--dry-run']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\$ istioctl --context kind-meshup install -f \S+istio-overlay\.yaml -y --readiness-timeout 600s/);
      // A new mesh's gateways are applied as istioctl applies them, from their rendered manifest.
      expect(r.stdout).toMatch(
        /\$ kubectl --context kind-meshup apply --server-side --field-manager=istio-operator --force-conflicts -f - <<'MESHUP_EOF'\n\s+\(the gateways' objects istioctl renders for \S+istio-gateways\.yaml/,
      );
      expect(r.stdout).not.toMatch(/istioctl .*install -f \S+istio-gateways\.yaml/);
      expect(r.stdout).toContain('kind: IstioOperator');
      expect(r.stdout).toMatch(/#\s+name: meshup-gateways/);
      expect(r.stdout).toMatch(/name: http2\n\s+#\s+port: 80\n\s+#\s+targetPort: 8080\n\s+#\s+nodePort: 30080/);
      // Nothing was written: the overlay is only shown.
      expect(existsSync(join(w2.env.XDG_STATE_HOME!, 'meshup', 'kind', 'meshup', 'istio-overlay.yaml'))).toBe(false);
      expect(mutatingCalls(w2.calls())).toEqual([]);
    } finally {
      w2.cleanup();
    }
  });
});

function releaseFile(): string {
  return `istio-${VERSION}-${process.platform === 'darwin' ? 'osx' : 'linux'}-${process.arch === 'arm64' ? 'arm64' : 'amd64'}.tar.gz`;
}

describe('mTLS', () => {
  it('turns mesh-wide mTLS into a PeerAuthentication, and removes it when it leaves the config', async () => {
    const w2 = sealed();
    try {
      writeFileSync(join(w2.dir, 'work', 'meshup.yaml'), 'provider: kind\nprofile: minimal\nmtls: strict\n');
      const r = await w2.run(['up', '--yes']);
      expect(r.exitCode, r.stderr).toBe(0);
      const pa = w2.readState().clusters['kind-meshup'].objects['peerauthentication/istio-system/default'];
      expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
      const before = w2.calls().length;
      expect((await w2.run(['up', '--yes'])).exitCode).toBe(0);
      expect(mutatingCalls(w2.calls().slice(before))).toEqual([]);
      writeFileSync(join(w2.dir, 'work', 'meshup.yaml'), 'provider: kind\nprofile: minimal\n');
      expect((await w2.run(['up', '--yes'])).exitCode).toBe(0);
      expect(w2.readState().clusters['kind-meshup'].objects['peerauthentication/istio-system/default']).toBeUndefined();
    } finally {
      w2.cleanup();
    }
  });
});

describe('waiting for the install', () => {
  it('says what holds the install up while istioctl waits', async () => {
    const w2 = sealed();
    try {
      w2.state({
        istioctl: { slowInstallMs: 6500 },
        kubeconfig: { current: 'kind-meshup', contexts: [{ name: 'kind-meshup', cluster: 'kind-meshup', server: 'https://127.0.0.1:1', reachable: true }] },
        kind: { clusters: { meshup: { config: '' } } },
        clusters: {
          'kind-meshup': {
            objects: {
              'pod/istio-system/istiod-x': {
                apiVersion: 'v1',
                kind: 'Pod',
                metadata: { name: 'istiod-x', namespace: 'istio-system' },
                status: { conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient memory.' }] },
              },
            },
          },
        },
      });
      const r = await w2.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('waiting: istio-system/istiod-x is Pending: 0/1 nodes are available: 1 Insufficient memory.');
    } finally {
      w2.cleanup();
    }
  });
});

describe('recording the applied spec', () => {
  const record = (s: Sealed) => {
    const cm = s.readState().clusters['kind-meshup'].objects['configmap/kube-public/meshup'] as { data: { spec: string } } | undefined;
    return cm && (JSON.parse(cm.data.spec) as { profile: string });
  };

  it('is written while istioctl prunes, once every component is in, not after it exits', async () => {
    // istioctl as the fake, except that its install writes progress as the real 1.31 does (on
    // stderr, each status ending the one before) and, once it prints "Pruning removed resources",
    // does not finish before the record is in the cluster: written only after istioctl exits, it
    // never is, and the install fails after 5 s.
    const dir = join(w.dir, 'rel');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    const client = join(import.meta.dirname, '..', 'fakes', 'client');
    writeFileSync(
      join(dir, 'bin', 'istioctl'),
      `#!/bin/bash
[ "$3" = install ] || FAKE_TOOL=istioctl exec ${client} "$@"
FAKE_TOOL=istioctl ${client} "$@" >/dev/null || exit $?
printf '\\n- Processing resources for Istio core.\\n✔ Istio core installed ⛵️\\n✔ Istiod installed 🧠\\n- Pruning removed resources' >&2
for ((i = 0; i < 100; i++)); do
  if [ -n "$(FAKE_TOOL=kubectl ${client} --context "$2" get configmap meshup --ignore-not-found -n kube-public -o json)" ]; then
    printf '\\n✔ Installation complete\\n' >&2
    exit 0
  fi
  /bin/sleep 0.05
done
printf '\\nno record while pruning\\n' >&2
exit 1
`,
      { mode: 0o755 },
    );
    const r = await up(['--istio-dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(record(w)?.profile).toBe('minimal');
  });

  it('is left as it was when a step fails, and the step says it was not written', async () => {
    expect((await up()).exitCode).toBe(0);
    w.state({ istioctl: { failInstall: true } });
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--yes', '--json'], { env: { MESHUP_ISTIO_MIRROR: server.url } });
    expect(r.exitCode).toBe(1);
    expect(record(w)?.profile).toBe('minimal');
    const steps = (JSON.parse(r.stdout) as { steps: { title: string; status: string; note?: string }[] }).steps;
    expect(steps.find((s) => s.title === 'Record the applied spec')).toMatchObject({ status: 'skipped', note: 'not written: a step above failed' });
    // Only the first run wrote it (beside it, the local registry's announcement, also once).
    expect(
      mutatingCalls(w.calls()).filter(
        (c) => `${c.args.join(' ')} ${c.stdin ?? ''}`.includes('kube-public/meshup') || (c.stdin ?? '').includes('name: meshup\n'),
      ),
    ).toHaveLength(1);
  });
});
