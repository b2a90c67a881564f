// Every environment variable docs/configuration.md lists: it takes effect, and the flag for the
// same setting beats it (MESHUP_ALLOW_CONTEXTS adds to --allow-context instead). And the docs' list
// is the code's: every MESHUP_* variable src/ reads is listed there, and nothing else is.

import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseServerFor } from '../helpers/release.js';
import { mutatingCalls, ROOT, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {}, '1.30.4': {} });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
});
afterEach(() => w.cleanup());

interface Doc {
  provider: string;
  cluster: string;
  context: string;
  profile: string;
  istioVersion: string;
  addons: string[];
  namespaces: string[];
  dataplane: string;
  need: { cpus: number; memoryMiB: number };
  plan: { actions: { id: string; commands: string[] }[] };
}

/** up --dry-run --json: the resolved spec and the plan, changing nothing. */
async function dryRun(args: string[], env: Record<string, string> = {}): Promise<Doc> {
  const r = await w.run(['up', '--dry-run', '--json', '--yes', ...args], { env });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(mutatingCalls(w.calls())).toEqual([]);
  return JSON.parse(r.stdout) as Doc;
}
const commands = (d: Doc) => d.plan.actions.flatMap((a) => a.commands).join('\n');

const KIND = ['--provider', 'kind', '--profile', 'minimal'];

// [variable, its value, the flag and its value, what else the run needs, what the run shows of the setting, the env's, the flag's]
const cases: [string, string, string[], string[], (d: Doc) => unknown, unknown, unknown][] = [
  ['MESHUP_PROVIDER', 'minikube', ['--provider', 'kind'], ['--profile', 'minimal'], (d) => d.provider, 'minikube', 'kind'],
  ['MESHUP_PROFILE', 'minimal', ['--profile', 'demo'], ['--provider', 'kind', '--addons', ''], (d) => d.profile, 'minimal', 'demo'],
  ['MESHUP_CLUSTER_NAME', 'lab', ['--name', 'other'], KIND, (d) => [d.cluster, d.context], ['lab', 'kind-lab'], ['other', 'kind-other']],
  ['MESHUP_ADDONS', 'kiali', ['--addons', 'grafana'], KIND, (d) => d.addons, ['prometheus', 'kiali'], ['prometheus', 'grafana']],
  ['MESHUP_NAMESPACES', 'shop', ['--namespaces', 'web,api'], KIND, (d) => d.namespaces, ['shop'], ['web', 'api']],
  ['MESHUP_ISTIO_VERSION', '1.30.4', ['--istio-version', '1.31.1'], KIND, (d) => d.istioVersion, '1.30.4', '1.31.1'],
  ['MESHUP_CPUS', '6', ['--cpus', '5'], KIND, (d) => d.need.cpus, 6, 5],
  ['MESHUP_MEMORY', '5g', ['--memory', '6g'], KIND, (d) => d.need.memoryMiB, 5120, 6144],
  ['MESHUP_CONFIG', 'a.yaml', ['--config', 'b.yaml'], ['--provider', 'kind', '--addons', ''], (d) => d.profile, 'minimal', 'demo'],
  ['MESHUP_DATAPLANE', 'ambient', ['--dataplane', 'sidecar'], KIND, (d) => d.dataplane, 'ambient', 'sidecar'],
  ['MESHUP_TIMEOUT', '90s', ['--timeout', '2m'], KIND, (d) => /--readiness-timeout (\d+s)/.exec(commands(d))?.[1], '90s', '120s'],
  [
    'MESHUP_KUBERNETES_VERSION',
    'v1.33.1',
    ['--kubernetes-version', 'v1.34.0'],
    KIND,
    (d) => /--image (\S+)/.exec(commands(d))?.[1],
    'kindest/node:v1.33.1',
    'kindest/node:v1.34.0',
  ],
  [
    'MESHUP_DRIVER',
    'kvm2',
    ['--driver', 'podman'],
    ['--provider', 'minikube', '--profile', 'minimal'],
    (d) => /--driver (\S+)/.exec(commands(d))?.[1],
    'kvm2',
    'podman',
  ],
  ['MESHUP_CACHE', '1', ['--no-cache'], KIND, (d) => /meshup-cache-docker\.io/.test(commands(d)), true, false],
  [
    'MESHUP_CONTEXT',
    'kind-a',
    ['--context', 'kind-b'],
    ['--profile', 'minimal'],
    (d) => [d.provider, d.context],
    ['existing', 'kind-a'],
    ['existing', 'kind-b'],
  ],
];

describe('environment variables', () => {
  it.each(cases)('%s=%s takes effect, and %j beats it', async (name, value, flag, rest, shown, fromEnv, fromFlag) => {
    writeFileSync(join(w.dir, 'work', 'a.yaml'), 'profile: minimal\n');
    writeFileSync(join(w.dir, 'work', 'b.yaml'), 'profile: demo\n');
    w.state({
      kubeconfig: {
        current: 'kind-a',
        contexts: ['kind-a', 'kind-b'].map((c) => ({ name: c, cluster: c, server: 'https://127.0.0.1:1', reachable: true })),
      },
    });
    expect(shown(await dryRun(rest, { [name]: value }))).toEqual(fromEnv);
    expect(shown(await dryRun([...rest, ...flag], { [name]: value }))).toEqual(fromFlag);
  });

  it('MESHUP_ISTIO_MIRROR is where releases come from, and --istio-mirror beats it', async () => {
    // An Istio version the istioctl on PATH is not: the release must come from the mirror.
    const env = { MESHUP_ISTIO_MIRROR: server().url };
    server().requests.length = 0;
    await dryRun([...KIND, '--istio-version', '1.30.4'], env);
    expect(server().requests.some((u) => u.startsWith('/1.30.4/'))).toBe(true);
    const r = await w.run(['up', '--dry-run', '--yes', ...KIND, '--istio-version', '1.30.4', '--istio-mirror', 'http://127.0.0.1:9'], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('http://127.0.0.1:9/1.30.4/');
  });

  it('MESHUP_ISTIO_DIR is the release used, and --istio-dir beats it', async () => {
    const env = await w.run(['up', '--dry-run', '--yes', ...KIND], { env: { MESHUP_ISTIO_DIR: '/nonexistent-env' } });
    expect(env.exitCode).toBe(2);
    expect(env.stderr).toContain('"/nonexistent-env" does not exist (from MESHUP_ISTIO_DIR)');
    const flag = await w.run(['up', '--dry-run', '--yes', ...KIND, '--istio-dir', '/nonexistent-flag'], { env: { MESHUP_ISTIO_DIR: '/nonexistent-env' } });
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain('"/nonexistent-flag" does not exist (from --istio-dir)');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('MESHUP_GATEWAY_API_MIRROR is where the Gateway API CRDs come from, and --gateway-api-mirror beats it', async () => {
    // Nothing cached, so the bundle must be obtainable from the mirror before anything changes.
    rmSync(join(w.env.XDG_CACHE_HOME!, 'meshup', 'gateway-api'), { recursive: true, force: true });
    const env = { MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9/env-mirror' };
    const fromEnv = await w.run(['up', '--dry-run', '--yes', ...KIND], { env });
    expect(fromEnv.exitCode, fromEnv.stderr).toBe(3);
    expect(fromEnv.stderr).toContain('http://127.0.0.1:9/env-mirror/');
    const fromFlag = await w.run(['up', '--dry-run', '--yes', ...KIND, '--gateway-api-mirror', 'http://127.0.0.1:9/flag-mirror'], { env });
    expect(fromFlag.exitCode).toBe(3);
    expect(fromFlag.stderr).toContain('http://127.0.0.1:9/flag-mirror/');
    expect(fromFlag.stderr).not.toContain('env-mirror');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('MESHUP_PLATFORM tells ambient mode the platform of a cluster meshup did not create (it has no flag: it belongs to the cluster)', async () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'k3s-server', labels: {} },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        allocatable: { cpu: '8', memory: '16318848Ki' },
        nodeInfo: { kubeletVersion: 'v1.33.1+k3s1' },
      },
    };
    w.state({
      kubeconfig: { current: 'k3s', contexts: [{ name: 'k3s', cluster: 'k3s', server: 'https://127.0.0.1:6443', reachable: true }] },
      clusters: { k3s: { objects: { 'node//k3s-server': node } } },
    });
    const blocked = await w.run(['plan', '--context', 'k3s', '--allow-context', 'k3s', '--profile', 'ambient', '--addons', '', '--json']);
    expect(blocked.stdout + blocked.stderr).toContain('needs global.platform=k3s');
    const ok = await w.run(['plan', '--context', 'k3s', '--allow-context', 'k3s', '--profile', 'ambient', '--addons', '', '--json'], {
      env: { MESHUP_PLATFORM: 'k3s' },
    });
    expect(ok.exitCode, ok.stderr).toBe(10);
    expect((JSON.parse(ok.stdout) as { blockers: string[] }).blockers).toEqual([]);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('MESHUP_ALLOW_CONTEXTS allows a non-local context, as --allow-context does; the two add up', async () => {
    w.state({
      kubeconfig: { current: 'lab', contexts: ['lab', 'lab2'].map((c) => ({ name: c, cluster: `${c}-cluster`, server: 'https://10.1.2.3', reachable: true })) },
    });
    const refused = await w.run(['up', '--dry-run', '--yes', '--context', 'lab', '--profile', 'minimal']);
    expect(refused.exitCode).toBe(4);
    expect((await dryRun(['--context', 'lab', '--profile', 'minimal'], { MESHUP_ALLOW_CONTEXTS: 'lab' })).context).toBe('lab');
    expect((await dryRun(['--context', 'lab', '--profile', 'minimal', '--allow-context', 'lab2'], { MESHUP_ALLOW_CONTEXTS: 'lab' })).context).toBe('lab');
    expect((await dryRun(['--context', 'lab2', '--profile', 'minimal', '--allow-context', 'lab2'], { MESHUP_ALLOW_CONTEXTS: 'lab' })).context).toBe('lab2');
  });
});

describe('the documented environment variables', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const listed = new Set(/^## Environment variables\n([\s\S]*?)^## /m.exec(doc)?.[1]?.match(/MESHUP_[A-Z_]+/g) ?? []);
  const read = new Set<string>();
  for (const f of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(join(ROOT, 'src', f), 'utf8').matchAll(/env(?:\.|\[')(MESHUP_[A-Z_]+)/g)) read.add(m[1]!);
  }

  it('are exactly the ones meshup reads', () => {
    expect(read.size).toBeGreaterThan(10);
    expect([...listed].sort()).toEqual([...read].sort());
  });

  it('each has a test here (MESHUP_KWOK_BIN_DIR in test/unit/kwokctl.test.ts, MESHUP_DIRECT_API in test/unit/direct-reads.test.ts)', () => {
    const here = readFileSync(join(ROOT, 'test', 'cli', 'environment.test.ts'), 'utf8');
    const tested = new Set([
      ...cases.map((c) => c[0]),
      ...(here.match(/it\('MESHUP_[A-Z_]+/g) ?? []).map((s) => s.slice(4)),
      'MESHUP_KWOK_BIN_DIR',
      'MESHUP_DIRECT_API',
    ]);
    expect([...listed].filter((v) => !tested.has(v))).toEqual([]);
  });
});
