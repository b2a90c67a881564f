// What a user is told, run in-process against main(): help, defaults for command groups,
// --json documents, the environment, and inject with real-world manifest shapes.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/inprocess.js';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
beforeEach(() => {
  w = sealed();
});
afterEach(() => w.cleanup());

const run = (args: string[], o: Parameters<typeof runInProcess>[2] = {}) => runInProcess(w, args, o);

/** A kind cluster with Istio's injector ConfigMaps, as the fakes model them. */
function clusterWithInjector(): void {
  w.state({
    kind: { clusters: { meshup: { config: '' } } },
    kubeconfig: { current: 'kind-meshup', contexts: [{ name: 'kind-meshup', cluster: 'kind-meshup', server: 'https://127.0.0.1:1', reachable: true }] },
    clusters: {
      'kind-meshup': {
        objects: {
          'configmap/istio-system/istio-sidecar-injector': {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
            data: { config: 'policy: enabled\n', values: '{"global":{}}' },
          },
          'configmap/istio-system/istio': {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'istio', namespace: 'istio-system' },
            data: { mesh: 'defaultConfig: {}\n' },
          },
        },
      },
    },
  });
}

describe('help', () => {
  it.each(['up', 'down', 'status', 'doctor', 'inject', 'addons', 'addons enable', 'injection list', 'profiles show'])(
    'meshup %s --help lists the global flags',
    async (cmd) => {
      const r = await run([...cmd.split(' '), '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('Global Options:');
      for (const flag of ['--yes', '--dry-run', '--json', '--context', '--verbose', '--config']) expect(r.stdout, flag).toContain(flag);
    },
  );

  it('--timeout shows its default and the variable that changes it, not a commander default', async () => {
    const r = await run(['up', '--help']);
    expect(r.stdout).toMatch(/--timeout <duration>\s+how long to wait for readiness \(default: 10m, or\s+MESHUP_TIMEOUT\)/);
  });
});

describe('command groups without a subcommand', () => {
  it.each(['addons', 'injection'])('meshup %s runs list', async (group) => {
    clusterWithInjector();
    const bare = await run([group, '--json', '--provider', 'kind']);
    const calls = w.calls().length;
    const list = await run([group, 'list', '--json', '--provider', 'kind']);
    expect(bare.exitCode, bare.stderr).toBe(list.exitCode);
    expect(bare.stdout).toBe(list.stdout);
    expect(bare.stdout.length).toBeGreaterThan(2);
    // Both asked the fake cluster the same questions (in parallel, so in any order).
    const asked = (cs: { tool: string; args: string[] }[]) => cs.map((c) => `${c.tool} ${c.args.join(' ')}`).sort();
    expect(asked(w.calls().slice(0, calls))).toEqual(asked(w.calls().slice(calls)));
  });
});

describe('--json', () => {
  it('a successful command prints one document', async () => {
    const r = await run(['schema', 'profile', '--json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { title: string }).title).toBe('meshup profile');
  });

  it('an error prints one document with message, details, fix and exit code, and the text on stderr', async () => {
    const r = await run(['--json', 'profiles', 'show', 'demoo']);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        message: 'Unknown profile "demoo"',
        details: ['valid profiles: ambient, default, demo, minimal'],
        fix: ['Did you mean meshup profiles show demo?'],
        exitCode: 2,
      },
    });
    expect(r.stderr).toContain('error: Unknown profile "demoo"');
  });

  it('expose -o yaml and expose --dry-run print a List of the objects, not YAML, and change nothing', async () => {
    clusterWithInjector();
    const s = w.readState();
    s.clusters['kind-meshup'].objects['service/default/web'] = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 8080 }] },
    };
    // A mesh with istiod and the classic ingress gateway, and no Gateway API CRDs: the Istio API.
    s.clusters['kind-meshup'].objects['service/istio-system/istiod'] = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istiod', namespace: 'istio-system' },
      spec: { ports: [{ name: 'grpc-xds', port: 15010 }] },
    };
    s.clusters['kind-meshup'].objects['service/istio-system/istio-ingressgateway'] = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http2', port: 80, nodePort: 30080 }] },
    };
    w.state({ clusters: s.clusters });
    for (const how of [['-o', 'yaml'], ['--dry-run']]) {
      const r = await run(['expose', 'web', '--host', 'web.local', ...how, '--provider', 'kind', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: { kind: string; metadata: { name: string }; spec: any }[] };
      expect(doc.apiVersion).toBe('v1');
      expect(doc.kind).toBe('List');
      expect(doc.items.map((i) => `${i.kind}/${i.metadata.name}`)).toEqual(['Gateway/meshup-web', 'VirtualService/meshup-web']);
      expect(doc.items[1]!.spec.http[0].route[0].destination).toEqual({ host: 'web.default.svc.cluster.local', port: { number: 8080 } });
      expect(doc.items[0]!.spec.servers[0].hosts).toEqual(['web.local']);
    }
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('inject -o FILE --json reports the file written as the one document', async () => {
    clusterWithInjector();
    writeFileSync(join(w.dir, 'work', 'app.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c, image: c:1 }] }\n');
    const r = await run(['inject', '-f', 'app.yaml', '-o', 'out.yaml', '--provider', 'kind', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ output: join(w.dir, 'work', 'out.yaml'), objects: 1 });
    expect(readFileSync(join(w.dir, 'work', 'out.yaml'), 'utf8')).toContain('name: istio-proxy');
  });

  it('a parse error under --json is a document too', async () => {
    const r = await run(['up', '--bogus', '--json']);
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout) as { error: { message: string; fix: string[] } };
    expect(doc.error.message).toBe("unknown option '--bogus'");
    expect(doc.error.fix).toContain('meshup up --help shows the usage');
  });
});

describe('environment', () => {
  it('MESHUP_TIMEOUT reaches up (no flag default hides it), and --timeout beats it', async () => {
    const env = await run(['up', '--provider', 'kind', '--yes', '--dry-run'], { env: { MESHUP_TIMEOUT: 'banana' } });
    expect(env.exitCode).toBe(2);
    expect(env.stderr).toContain('"banana" is not a duration');
    const flag = await run(['up', '--provider', 'kind', '--yes', '--dry-run', '--timeout', 'apple'], { env: { MESHUP_TIMEOUT: 'banana' } });
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain('"apple" is not a duration');
  });

  it('an empty or comment-only meshup.yaml means no settings', async () => {
    for (const text of ['', '# yaml-language-server: $schema=./schema/config.schema.json\n']) {
      writeFileSync(join(w.dir, 'work', 'meshup.yaml'), text);
      const r = await run(['up', '--provider', 'kind', '--yes', '--dry-run', '--timeout', 'x']);
      // Got past the config file to the flags: the file was accepted.
      expect(r.stderr).toContain('"x" is not a duration');
    }
  });
});

describe('meshup inject', () => {
  // The shape of Istio's own samples: a leading ---, comment-only documents, --- twice, a trailing ---.
  const manifest = [
    '# Copyright-style header',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata: { name: web }',
    'spec: { ports: [{ port: 80 }] }',
    '---',
    '---',
    '# only a comment here',
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: { name: web }',
    'spec:',
    '  template:',
    '    spec:',
    '      containers: [{ name: web, image: web:1 }]',
    '---',
    '',
  ].join('\n');

  it('skips empty documents and hands istioctl the manifest as it is', async () => {
    clusterWithInjector();
    writeFileSync(join(w.dir, 'work', 'app.yaml'), manifest);
    const r = await run(['inject', '-f', 'app.yaml', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('name: istio-proxy');
    const call = w.calls().find((c) => c.tool === 'istioctl' && c.args.includes('kube-inject'));
    expect(call).toBeDefined();
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('--json prints a List of the injected objects, not YAML', async () => {
    clusterWithInjector();
    writeFileSync(join(w.dir, 'work', 'app.yaml'), manifest);
    const r = await run(['inject', '-f', 'app.yaml', '--provider', 'kind', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { kind: string; items: { kind: string; spec: { template?: { spec: { containers: { name: string }[] } } } }[] };
    expect(doc.kind).toBe('List');
    expect(doc.items.map((i) => i.kind)).toEqual(['Service', 'Deployment']);
    expect(doc.items[1]!.spec.template!.spec.containers.map((c) => c.name)).toEqual(['web', 'istio-proxy']);
  });

  it('-o writes the whole file; a refused -o leaves nothing behind and asks the cluster nothing', async () => {
    clusterWithInjector();
    writeFileSync(join(w.dir, 'work', 'app.yaml'), manifest);
    const ok = await run(['inject', '-f', 'app.yaml', '-o', 'out.yaml', '--provider', 'kind']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(readFileSync(join(w.dir, 'work', 'out.yaml'), 'utf8')).toContain('name: istio-proxy');
    expect(readdirSync(join(w.dir, 'work')).sort()).toEqual(['app.yaml', 'out.yaml']);
    const before = w.calls().length;
    const bad = await run(['inject', '-f', 'app.yaml', '-o', 'missing/out.yaml', '--provider', 'kind']);
    expect(bad.exitCode).toBe(2);
    expect(w.calls().length).toBe(before);
    expect(existsSync(join(w.dir, 'work', 'missing'))).toBe(false);
  });

  it('--dry-run writes no -o file, and says what it would write', async () => {
    clusterWithInjector();
    writeFileSync(join(w.dir, 'work', 'app.yaml'), manifest);
    const r = await run(['inject', '-f', 'app.yaml', '-o', 'out.yaml', '--provider', 'kind', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Dry run: would write ${join(w.dir, 'work', 'out.yaml')} (2 objects`);
    expect(readdirSync(join(w.dir, 'work'))).toEqual(['app.yaml']);
    const j = await run(['inject', '-f', 'app.yaml', '-o', 'out.yaml', '--provider', 'kind', '--dry-run', '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ output: join(w.dir, 'work', 'out.yaml'), objects: 2, dryRun: true });
    expect(readdirSync(join(w.dir, 'work'))).toEqual(['app.yaml']);
  });

  it('reads the manifest from stdin with -f -', async () => {
    clusterWithInjector();
    const r = await run(['inject', '-f', '-', '--provider', 'kind'], { input: manifest });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('name: istio-proxy');
  });
});

describe('bin/meshup as a process', () => {
  it('exits with main()’s code: --version 0, a usage error 2 without a stack trace', async () => {
    const v = await w.spawn(['--version']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bad = await w.spawn(['schema', 'toString']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('Unknown schema "toString"');
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
