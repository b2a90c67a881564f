import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releaseServerFor } from '../helpers/release.js';
import { mutatingCalls, type Sealed, sealed } from '../helpers/sealed.js';
import { VERSIONS } from '../helpers/versions.js';

const releaseImage = VERSIONS.kind[0]!.images.find((i) => i.startsWith('kindest/node:v1.36.'))!;

let w: Sealed;
const server = releaseServerFor({ '1.31.1': {} });
beforeEach(() => {
  w = sealed();
  w.env.MESHUP_ISTIO_MIRROR = server().url;
});
afterEach(() => w.cleanup());

const GiB = 1024 ** 3;

describe('meshup up: the cluster', () => {
  it('asks a cluster that is not there nothing: without its context in the kubeconfig, kind alone says it is absent', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--yes', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(w.calls().filter((c) => c.tool === 'kubectl' && c.args.includes('get'))).toEqual([]);
    // Once it exists (and kind wrote its context), it is read.
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    writeFileSync(
      w.env.KUBECONFIG!,
      'apiVersion: v1\nkind: Config\ncontexts:\n  - name: kind-meshup\n    context: { cluster: kind-meshup, user: kind-meshup }\n',
    );
    const before = w.calls().length;
    expect((await w.run(['plan', '--provider', 'kind', '--profile', 'minimal'])).exitCode).toBe(0);
    expect(
      w
        .calls()
        .slice(before)
        .filter((c) => c.tool === 'kubectl' && c.args.includes('get')).length,
    ).toBeGreaterThan(3);
  });

  it('--dry-run prints the kind command and its port mappings and changes nothing', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--yes', '--dry-run', '--addons', '']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The plan, in the future tense, then the exact commands.
    expect(r.stdout).toContain('  + create kind cluster meshup (2 CPUs, 4 GiB)');
    expect(r.stdout).toContain('  + install Istio 1.31.1 (demo profile)');
    // The node image is the newest the catalog pins in Istio 1.31's range, not kind's default 1.37.
    expect(r.stdout).toContain(`$ kind create cluster --name meshup --config - --wait 180s --image ${releaseImage} <<'MESHUP_EOF'`);
    expect(r.stdout).toContain(`image: ${releaseImage}`);
    expect(r.stdout).toMatch(/extraPortMappings:\n\s+- containerPort: 30080\n\s+hostPort: 8080/);
    expect(r.stdout).toMatch(/- containerPort: 30043\n\s+hostPort: 8443/);
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    expect(r.stdout).not.toMatch(/created|enabled in|removed/);
    expect(mutatingCalls(w.calls())).toEqual([]);
    expect(w.readState().kind).toBeUndefined();
    expect(existsSync(join(w.env.XDG_STATE_HOME!, 'meshup', 'clusters.json'))).toBe(false);
  });

  it('--dry-run with addons and no cached release plans the download and the addons, and changes nothing', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--yes', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const a of ['prometheus', 'grafana', 'kiali', 'jaeger']) expect(r.stdout).toContain(`  + apply addon ${a}`);
    expect(r.stdout).toContain('  + apply the tracing Telemetry (100% sampled, to jaeger)');
    expect(mutatingCalls(w.calls())).toEqual([]);
    expect(existsSync(join(w.env.XDG_CACHE_HOME!, 'meshup', 'istio'))).toBe(false);
    // Nothing is written anywhere in HOME: no download, no state, no cache of tool versions. (The
    // test world itself put the small Gateway API bundles in the cache.)
    expect(readdirSync(w.env.HOME!)).toEqual(['.cache']);
    expect(readdirSync(join(w.env.XDG_CACHE_HOME!, 'meshup'))).toEqual(['gateway-api']);
  });

  it('reports too little Docker memory with the numbers and the fix, before creating anything', async () => {
    w.state({ docker: { running: true, ncpu: 8, memBytes: 2 * GiB, os: 'Docker Desktop' } });
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("docker memory: Docker Desktop's VM has 2 GiB, but profile demo with prometheus,grafana,kiali,jaeger needs 5.1 GiB");
    expect(r.stderr).toContain("Raise Docker Desktop's limits (Settings > Resources) to at least 5.1 GiB, or use --profile minimal, or choose fewer addons");
    expect(r.stderr).toContain('--force');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('reports a stopped Docker daemon', async () => {
    w.state({ docker: { running: false } });
    const r = await w.run(['up', '--provider', 'minikube', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('docker: Docker is not running');
    expect(r.stderr).toMatch(/fix: Start Docker/);
    expect(mutatingCalls(w.calls())).toEqual([]);
  });

  it('creates a kind cluster with port mappings, then reuses it without creating again', async () => {
    const first = await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes']);
    expect(first.exitCode, first.stderr).toBe(0);
    const creates = w.calls().filter((c) => c.tool === 'kind' && c.args[0] === 'create');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.args).toEqual(['create', 'cluster', '--name', 'meshup', '--config', '-', '--wait', '180s', '--image', releaseImage]);
    // Every kube call names the context, whatever current-context is.
    const kube = w.calls().filter((c) => c.tool === 'kubectl' && c.args[0] !== 'config' && !c.args.includes('--client'));
    expect(kube.length).toBeGreaterThan(0);
    for (const c of kube) expect(c.args.slice(0, 2)).toEqual(['--context', 'kind-meshup']);

    const before = w.calls().length;
    const second = await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('nothing to change');
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
  });

  it('a new cluster whose nodes never get Ready stops up before Istio, with what to look at', async () => {
    w.state({ nodesNotReady: true });
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--addons', '', '--yes', '--timeout', '2s']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("The cluster's nodes were not Ready within 2s (not Ready: kind-meshup-control-plane)");
    expect(r.stderr).toContain('kubectl --context kind-meshup describe nodes');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(w.calls().some((c) => c.tool === 'istioctl' && c.args.includes('install'))).toBe(false);
  });

  it('starts a stopped minikube profile instead of recreating it', async () => {
    w.state({
      minikube: { profiles: { meshup: { status: 'Stopped', cpus: 4, memory: 8192 } } },
      kubeconfig: { current: 'meshup', contexts: [{ name: 'meshup', cluster: 'meshup', server: 'https://192.168.49.2:8443', reachable: true }] },
    });
    const r = await w.run(['up', '--provider', 'minikube', '--profile', 'minimal', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const mk = mutatingCalls(w.calls()).filter((c) => c.tool === 'minikube');
    expect(mk.map((c) => c.args)).toEqual([['start', '-p', 'meshup']]);
  });

  it('after starting a stopped cluster whose mesh is in place, the summary still names the gateway', async () => {
    expect((await w.run(['up', '--provider', 'minikube', '--profile', 'demo', '--addons', '', '--yes'])).exitCode).toBe(0);
    const s = w.readState();
    s.minikube.profiles.meshup.status = 'Stopped';
    for (const c of s.kubeconfig.contexts) c.reachable = false;
    w.state({ minikube: s.minikube, kubeconfig: s.kubeconfig });
    const r = await w.run(['up', '--provider', 'minikube', '--profile', 'demo', '--addons', '', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mutatingCalls(w.calls()).some((c) => c.tool === 'minikube' && c.args[0] === 'start')).toBe(true);
    expect(r.stdout).toMatch(/^ {2}gateway {4}\S/m);
  });

  it('creates a minikube profile sized for the profile plus addons', async () => {
    const r = await w.run(['up', '--provider', 'minikube', '--profile', 'demo', '--addons', 'kiali', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('also enabling prometheus');
    const start = w.calls().find((c) => c.tool === 'minikube' && c.args[0] === 'start')!;
    expect(start.args).toEqual([
      'start',
      '-p',
      'meshup',
      '--cpus',
      '3',
      '--memory',
      '4864mb',
      '--disk-size',
      '20480mb',
      '--kubernetes-version',
      'v1.33.1',
      '--wait',
      'apiserver,system_pods,default_sa',
    ]);
  });

  it('refuses a non-local context and leaves it untouched', async () => {
    w.state({
      kubeconfig: { current: 'prod', contexts: [{ name: 'prod', cluster: 'gke_acme_europe-west1_prod', server: 'https://34.1.2.3', reachable: true }] },
    });
    const r = await w.run(['up', '--provider', 'existing', '--context', 'prod', '--yes']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('Refusing to change context "prod"');
    expect(r.stderr).toContain('--allow-context prod');
    expect(w.calls().filter((c) => c.tool === 'kubectl' && c.args[0] === '--context')).toEqual([]);
  });

  it('uses a non-local context that is allowed by name', async () => {
    w.state({ kubeconfig: { current: 'prod', contexts: [{ name: 'lab', cluster: 'lab-cluster', server: 'https://10.1.2.3', reachable: true }] } });
    const r = await w.run(['up', '--context', 'lab', '--allow-context', 'lab', '--profile', 'minimal', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('context lab');
  });

  it('prints one JSON document under --json', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      provider: string;
      steps: { title: string; status: string }[];
      plan: { changes: boolean; actions: { id: string; symbol: string }[] };
    };
    expect(doc.ok).toBe(true);
    expect(doc.provider).toBe('kind');
    expect(doc.plan.changes).toBe(true);
    expect(doc.plan.actions.map((a) => [a.id, a.symbol])).toEqual([
      ['cluster', '+'],
      ['registries', '+'],
      ['registry-wiring', '+'],
      ['gateway-api', '+'],
      ['istio', '+'],
      ['injection:default', '+'],
      ['record', '~'],
    ]);
    expect(doc.steps.every((s) => s.status === 'done')).toBe(true);
  });
});

describe('meshup down', () => {
  it('refuses without confirmation when there is no terminal, then deletes with --yes', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    const refused = await w.run(['down', '--provider', 'kind']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('Pass --yes to confirm');
    expect(Object.keys(w.readState().kind.clusters)).toEqual(['meshup']);
    const ok = await w.run(['down', '--provider', 'kind', '--yes']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(Object.keys(w.readState().kind.clusters)).toEqual([]);
    const again = await w.run(['down', '--provider', 'kind', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('nothing to delete');
  });

  it('never deletes a cluster meshup did not create', async () => {
    w.state({
      kind: { clusters: { meshup: { config: '' } } },
      kubeconfig: { current: 'kind-meshup', contexts: [{ name: 'kind-meshup', cluster: 'kind-meshup', server: 'https://127.0.0.1:1', reachable: true }] },
    });
    const r = await w.run(['down', '--provider', 'kind', '--yes']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('meshup did not create the kind cluster "meshup"');
    expect(mutatingCalls(w.calls())).toEqual([]);
  });
});

describe('meshup ingress', () => {
  it('ends up with the gateway URL and prints eval-able exports', async () => {
    const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('gateway    http://127.0.0.1:8080');
    const env = await w.run(['ingress', '--env', '--provider', 'kind']);
    expect(env.exitCode, env.stderr).toBe(0);
    expect(env.stdout.trim().split('\n')).toEqual([
      'export INGRESS_HOST=127.0.0.1',
      'export INGRESS_PORT=8080',
      'export SECURE_INGRESS_PORT=8443',
      'export GATEWAY_URL=127.0.0.1:8080',
    ]);
    const json = JSON.parse((await w.run(['ingress', '--json', '--provider', 'kind'])).stdout) as { how: string };
    expect(json.how).toBe('kind port mapping');
  });

  it('calls the URL reachable once a request through it is answered, and names the host port when none is', async () => {
    // A free port for kind to map (the preflight refuses one in use), then a server on it standing
    // in for the gateway behind it: Envoy's 404.
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.writeHead(404).end());
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    await new Promise((r) => server.close(r));
    writeFileSync(join(w.dir, 'work', 'meshup.yaml'), `gateway: { hostHttpPort: ${port} }\n`);
    const first = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes']);
    expect(first.exitCode, first.stderr).toBe(0);
    // Nothing answers yet: said under the URL, with the hop.
    expect(first.stdout).toContain(`not answering: host port ${port}: nothing listens there`);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    try {
      const r = await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { probe: unknown }).probe).toEqual({ answered: true, status: 404 });
      const text = await w.run(['ingress', '--provider', 'kind']);
      expect(text.stdout).toContain(`http://127.0.0.1:${port}   (kind port mapping; https port 8443; answered: HTTP 404 (the gateway, with no route for /))`);
    } finally {
      await new Promise((r) => server.close(r));
    }
    // The server gone, the same host port refuses: said, with the hop, and the URL not called reachable.
    const gone = await w.run(['ingress', '--provider', 'kind', '--json']);
    const probe = (JSON.parse(gone.stdout) as { probe: { answered: boolean; hop: string } }).probe;
    expect(probe.answered).toBe(false);
    expect(probe.hop).toBe(`host port ${port}: nothing listens there (the kind cluster maps only the host ports it was created with)`);
  });

  it('explains that the minimal profile has no gateway', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    const r = await w.run(['ingress', '--provider', 'kind']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('No ingress gateway is installed');
    expect(r.stderr).toContain('--profile default');
  });
});

describe('meshup expose', () => {
  it('prints the Gateway and VirtualService with -o yaml and changes nothing', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', '', '--yes'])).exitCode).toBe(0);
    const s = w.readState();
    s.clusters['kind-meshup'].objects['service/default/web'] = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 8080 }] },
    };
    w.state({ clusters: s.clusters });
    const before = w.calls().length;
    const r = await w.run(['expose', 'web', '--host', 'web.local', '-o', 'yaml', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: Gateway');
    expect(r.stdout).toContain('kind: VirtualService');
    expect(r.stdout).toMatch(/host: web\.default\.svc\.cluster\.local\n\s+port:\n\s+number: 8080/);
    expect(mutatingCalls(w.calls().slice(before))).toEqual([]);
    const bad = await w.run(['expose', 'web', '--port', '9999', '--provider', 'kind']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('Service web has no port 9999');
  });
});

describe('meshup inject', () => {
  it('reports a malformed manifest with line and column, and injects a valid one', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'minimal', '--yes'])).exitCode).toBe(0);
    writeFileSync(join(w.dir, 'work', 'bad.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x\n');
    const bad = await w.run(['inject', '-f', 'bad.yaml', '--provider', 'kind']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: /);
    writeFileSync(join(w.dir, 'work', 'kindless.yaml'), 'apiVersion: v1\nmetadata: { name: x }\n');
    const kindless = await w.run(['inject', '-f', 'kindless.yaml', '--provider', 'kind']);
    expect(kindless.exitCode).toBe(2);
    expect(kindless.stderr).toMatch(/kindless\.yaml:1:1: kind: is required/);
    writeFileSync(
      join(w.dir, 'work', 'app.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n      containers: [{ name: web, image: web:1 }]\n',
    );
    const ok = await w.run(['inject', '-f', 'app.yaml', '-o', 'out.yaml', '--provider', 'kind']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(readFileSync(join(w.dir, 'work', 'out.yaml'), 'utf8')).toContain('name: istio-proxy');
  });
});

describe('interrupts', () => {
  it('Ctrl-C during a slow step stops the child, exits 130, and records nothing', async () => {
    w.state({ kind: { clusters: {}, slowCreate: true } });
    const { execa } = await import('execa');
    const { MESHUP } = await import('../helpers/sealed.js');
    const child = execa(process.execPath, [MESHUP, 'up', '--provider', 'kind', '--profile', 'minimal', '--yes'], {
      env: w.env,
      extendEnv: false,
      cwd: join(w.dir, 'work'),
      reject: false,
    });
    const pidFile = join(w.env.FAKE_STATE!, 'kind-create.pid');
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const fakePid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('Interrupted');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      try {
        process.kill(fakePid, 0);
        await new Promise((res) => setTimeout(res, 50));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    // Remembered before the create, forgotten again once nothing of it is left.
    const created = join(w.env.XDG_STATE_HOME!, 'meshup', 'clusters.json');
    expect(existsSync(created) ? (JSON.parse(readFileSync(created, 'utf8')) as { clusters: unknown[] }).clusters : []).toEqual([]);
  });
});

describe('meshup status', () => {
  it('shows the cluster, the mesh, injection, addons and the gateway', async () => {
    expect((await w.run(['up', '--provider', 'kind', '--profile', 'demo', '--addons', 'prometheus', '--yes'])).exitCode).toBe(0);
    const r = await w.run(['status', '--provider', 'kind']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Cluster   meshup (kind, context kind-meshup): running');
    expect(r.stdout).toContain('Mesh      profile demo, Istio 1.31.1');
    expect(r.stdout).toContain('Injection default');
    expect(r.stdout).toContain('Addons    prometheus');
    expect(r.stdout).toContain('Gateway   http://127.0.0.1:8080 (kind port mapping)');
    const j = JSON.parse((await w.run(['status', '--provider', 'kind', '--json'])).stdout) as { state: string; addons: { addon: string; ready: boolean }[] };
    expect(j.state).toBe('running');
    expect(j.addons).toEqual([{ addon: 'prometheus', ready: true, missing: 0 }]);
  });
});
