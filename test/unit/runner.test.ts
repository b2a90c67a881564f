// The runner and the tool modules, against a recording fake on PATH: exact argument arrays.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError, InterruptedError, ToolMissingError } from '../../src/errors.js';
import { Runner } from '../../src/exec/runner.js';
import { istioctlInstall } from '../../src/tools/istioctl.js';
import { kindClusters, kindCreate } from '../../src/tools/kind.js';
import { apply, kubeconfigHasContext } from '../../src/tools/kubectl.js';
import { minikubeStatus } from '../../src/tools/minikube.js';
import { type Sealed, sealed } from '../helpers/sealed.js';

let w: Sealed;
let logs: string[];
const runner = (o: { dryRun?: boolean; verbose?: boolean; signal?: AbortSignal } = {}) => new Runner({ env: w.env, log: (l) => logs.push(l), ...o });

beforeEach(() => {
  w = sealed();
  logs = [];
});
afterEach(() => w.cleanup());

describe('Runner', () => {
  it('pins the context on kube tools and nowhere else', async () => {
    const r = runner().forContext('kind-meshup');
    w.state({ kubeconfig: { current: 'other', contexts: [{ name: 'kind-meshup', cluster: 'kind-meshup', server: 'https://127.0.0.1:1', reachable: true }] } });
    await apply(r, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"default"}}', 'test');
    await kindClusters(r);
    expect(w.calls().map((c) => [c.tool, c.args])).toEqual([
      ['kubectl', ['--context', 'kind-meshup', 'apply', '--server-side', '--field-manager=meshup', '--force-conflicts', '-f', '-']],
      ['kind', ['get', 'clusters']],
    ]);
  });

  it('binds copies to contexts without re-pointing the original; the copies share one history', async () => {
    const root = runner();
    const a = root.forContext('kind-a');
    const b = root.forContext('kind-b');
    // Interleaved, as two clusters driven side by side are.
    await Promise.all([
      a.run({ tool: 'kubectl', args: ['get', 'ns'], readOnly: true, okExitCodes: [1, 99] }),
      b.run({ tool: 'kubectl', args: ['get', 'ns'], readOnly: true, okExitCodes: [1, 99] }),
      a.run({ tool: 'kubectl', args: ['get', 'pods'], readOnly: true, okExitCodes: [1, 99] }),
    ]);
    expect([a.context, b.context, root.context]).toEqual(['kind-a', 'kind-b', undefined]);
    const ctx = (c: { args: string[] }) => c.args.slice(0, 2).join(' ');
    expect(w.calls().map(ctx).sort()).toEqual(['--context kind-a', '--context kind-a', '--context kind-b']);
    expect(root.history.map((h) => h.command.split(' ').slice(0, 3).join(' ')).sort()).toEqual([
      'kubectl --context kind-a',
      'kubectl --context kind-a',
      'kubectl --context kind-b',
    ]);
    // A copy of a copy is bound to its own context; the one it came from keeps its own.
    expect(a.forContext('kind-c').context).toBe('kind-c');
    expect(a.context).toBe('kind-a');
    await expect(root.run({ tool: 'kubectl', args: ['get', 'nodes'] })).rejects.toThrow(/before a kube context was pinned/);
  });

  it('refuses a kube call before a context is pinned', async () => {
    await expect(runner().run({ tool: 'kubectl', args: ['get', 'nodes'] })).rejects.toThrow(/before a kube context was pinned/);
  });

  it('prints mutating commands under dry-run and runs only the read-only ones', async () => {
    const r = runner({ dryRun: true });
    await kindCreate(r, { name: 'm', portMappings: [] });
    expect(await kindClusters(r)).toEqual([]);
    expect(w.calls().map((c) => c.args.slice(0, 2))).toEqual([['get', 'clusters']]);
    expect(logs[0]).toMatch(/^\[dry-run\] kind create cluster --name m --config - --wait 180s <<'MESHUP_EOF'/);
    expect(r.history.map((h) => [h.mutates, h.skipped])).toEqual([
      [true, true],
      [false, false],
    ]);
  });

  it('treats a call that does not declare itself read-only as changing under dry-run', async () => {
    const r = runner({ dryRun: true });
    const res = await r.run({ tool: 'kind', args: ['get', 'clusters'] });
    expect(res.skipped).toBe(true);
    expect(w.calls()).toEqual([]);
    expect(logs).toEqual(['[dry-run] kind get clusters']);
  });

  it('echoes commands under verbose', async () => {
    await kindClusters(runner({ verbose: true }));
    expect(logs).toEqual(['$ kind get clusters']);
  });

  it('treats documented exit codes as answers', async () => {
    expect(await minikubeStatus(runner(), 'nope')).toBe('absent');
    expect(w.calls()[0]!.args).toEqual(['status', '-p', 'nope', '-o', 'json']);
  });

  it('turns a missing program into ToolMissingError with a hint', async () => {
    w.hide('kind');
    const e = await kindClusters(runner()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolMissingError);
    expect((e as ToolMissingError).fix[0]).toMatch(/Install kind/);
  });

  it('explains known stderr instead of a bare exit status', async () => {
    w.state({ kind: { clusters: { m: {} } } });
    const e = (await kindCreate(runner(), { name: 'm', portMappings: [] }).catch((x: unknown) => x)) as CommandFailedError;
    expect(e).toBeInstanceOf(CommandFailedError);
    expect(e.message).toBe('Creating kind cluster m: A kind cluster with that name already exists');
    expect(e.details[0]).toMatch(/^command: kind create cluster --name m/);
    expect(e.details.join('\n')).toContain('node(s) already exist');
    expect(e.fix[0]).toMatch(/kind delete cluster/);
  });

  it('stops on an aborted signal', async () => {
    const c = new AbortController();
    c.abort();
    await expect(kindClusters(runner({ signal: c.signal }))).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('istioctl install progress', () => {
  it('reports each status as it is written and each component once it is in, while install still runs', async () => {
    // Writes the way the real istioctl 1.31 does off a terminal (recorded from an install on the
    // simulated cluster): its banner, then each status with the end of the line before it in
    // front and none after (pb v3, return symbol "\n"), and colour codes. Between steps it waits
    // for a go-ahead file the test writes when it hears of that step: an install reported only
    // once a line ends would hang there and exit 1.
    const dir = mkdtempSync(join(tmpdir(), 'meshup-progress-'));
    const fake = join(dir, 'istioctl');
    writeFileSync(
      fake,
      `#!${process.execPath}
const { existsSync } = require('node:fs');
const steps = [
  ['\\n- Processing resources for Istio core. Waiting for CustomResourceDefinition/x', 'crd-wait'],
  ['\\n\u001b[32m✔\u001b[0m Istio core installed ⛵️', 'core'],
  ['\\n- Processing resources for Istiod.', ''],
  ['\\n- Processing resources for Istiod. Waiting for Deployment/istio-system/istiod', 'istiod-wait'],
  ['\\n\u001b[32m✔\u001b[0m Istiod installed 🧠', ''],
  ['\\n- Processing resources for Egress gateways, Ingress gateways. Waiting for Deployment/istio-system...', ''],
  ['\\n\u001b[32m✔\u001b[0m Ingress gateways installed 🛬', 'ingress'],
  ['\\n\u001b[32m✔\u001b[0m Installation complete', ''],
];
process.stderr.write(' /||   \\\\\\n/_||____\\\\\\n');
let i = 0;
const started = Date.now();
const next = () => {
  for (;;) {
    if (i === steps.length) return;
    const [text, goAhead] = steps[i];
    if (goAhead && i > 0 && steps[i - 1][1] && !existsSync(${JSON.stringify(dir)} + '/' + steps[i - 1][1])) break;
    process.stderr.write(text);
    i++;
    if (goAhead) break;
  }
  if (Date.now() - started > 5000) process.exit(1);
  setTimeout(next, 20);
};
next();
`,
    );
    chmodSync(fake, 0o755);
    try {
      const r = runner().forContext('kind-meshup');
      const lines: string[] = [];
      const events: string[] = [];
      const heard = (what: string) => {
        events.push(what);
        writeFileSync(join(dir, what), '');
      };
      await istioctlInstall(r, { bin: fake, version: '1.31.1' }, '/overlay.yaml', 60, {
        line: (t) => {
          lines.push(t);
          if (t.endsWith('Waiting for CustomResourceDefinition/x')) heard('crd-wait');
          if (t.endsWith('Waiting for Deployment/istio-system/istiod')) heard('istiod-wait');
        },
        installed: (c) => heard(c === 'Istio core' ? 'core' : c === 'Ingress gateways' ? 'ingress' : c),
      });
      expect(events).toEqual(['crd-wait', 'core', 'istiod-wait', 'Istiod', 'ingress']);
      expect(lines).toEqual([
        'Processing resources for Istio core. Waiting for CustomResourceDefinition/x',
        '✔ Istio core installed ⛵️',
        'Processing resources for Istiod.',
        'Processing resources for Istiod. Waiting for Deployment/istio-system/istiod',
        '✔ Istiod installed 🧠',
        'Processing resources for Egress gateways, Ingress gateways. Waiting for Deployment/istio-system...',
        '✔ Ingress gateways installed 🛬',
        '✔ Installation complete',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Runner.whenStarted', () => {
  it('resolves when a matching command starts, or is printed under --dry-run, and not for others', async () => {
    const r = runner();
    let started = false;
    const creating = r.whenStarted((s) => !s.readOnly).then(() => (started = true));
    await kindClusters(r);
    await Promise.resolve();
    expect(started).toBe(false);
    await r.run({ tool: 'kind', args: ['delete', 'cluster', '--name', 'x'] });
    await creating;
    expect(started).toBe(true);

    const dry = runner({ dryRun: true });
    const printed = dry.whenStarted((s) => s.tool === 'kind' && s.args[0] === 'create');
    await kindCreate(dry, { name: 'm', portMappings: [] });
    await expect(printed).resolves.toBeUndefined();
  });
});

describe('kubeconfigHasContext', () => {
  it('reads the files kubectl reads: those of KUBECONFIG in order, else ~/.kube/config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshup-kubeconfig-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      writeFileSync(a, 'apiVersion: v1\nkind: Config\ncontexts:\n  - name: kind-one\n    context: { cluster: kind-one, user: kind-one }\n');
      writeFileSync(b, JSON.stringify({ apiVersion: 'v1', kind: 'Config', contexts: [{ name: 'kwok-two', context: {} }] }));
      const env = { KUBECONFIG: [a, join(dir, 'missing'), b].join(':'), HOME: dir };
      expect(kubeconfigHasContext(env, 'kind-one')).toBe(true);
      expect(kubeconfigHasContext(env, 'kwok-two')).toBe(true);
      expect(kubeconfigHasContext(env, 'kind-meshup')).toBe(false);
      // Without KUBECONFIG: the home directory's file, or none at all.
      expect(kubeconfigHasContext({ HOME: dir }, 'kind-one')).toBe(false);
      mkdirSync(join(dir, '.kube'));
      writeFileSync(join(dir, '.kube', 'config'), 'contexts: [{ name: kind-one }]\n');
      expect(kubeconfigHasContext({ HOME: dir }, 'kind-one')).toBe(true);
      // A file kubectl would refuse tells nothing: the cluster is asked.
      writeFileSync(b, 'contexts: [\n');
      expect(kubeconfigHasContext(env, 'kind-meshup')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
