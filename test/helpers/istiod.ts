// A simulated cluster on which the REAL istiod runs: pilot-discovery, built by test/cluster/build
// from the Istio module the tests pin, as a local process on 127.0.0.1 with a kubeconfig.
//
// How the API server reaches it, and why that way:
// - kube-apiserver runs with webhook admission on and --enable-aggregator-routing=true, so a
//   webhook's Service resolves to its Endpoints, never to its simulated cluster IP.
// - A kwok Stage gives the istiod pod the node's address, 127.0.0.1. Kubernetes refuses loopback
//   addresses in Endpoints and EndpointSlices ("may not be in the loopback range"), so the istiod
//   Service ends up with no address at all: a webhook still naming the Service fails at once,
//   without any connection, instead of dialling a simulated pod or Service address.
// - The webhooks therefore get a URL: as soon as istioctl has created a webhook configuration
//   pointing at istio-system/istiod, its clientConfig is rewritten to https://127.0.0.1:PORT/PATH,
//   the port pilot-discovery serves its webhooks on. pilot-discovery is started with
//   ISTIOD_CUSTOM_HOST=127.0.0.1, so its serving certificate names 127.0.0.1, and it patches the
//   caBundle (and the validators' failurePolicy) itself, as istiod does in a real cluster.
//
// Order: `istioctl install` waits only for the istiod Deployment's pods to be Ready, which kwok
// reports; it never waits for the process. The watcher starts pilot-discovery as soon as an
// istiod pod and the `istio` and `istio-sidecar-injector` ConfigMaps exist (pilot-discovery reads
// both from the API at start-up, and the Deployment's environment), and `ready()` waits for it to serve and to have patched the webhooks. Until
// then the validators fail open (failurePolicy Ignore, as istioctl installs them) and no pod is
// created in an injection namespace, so `meshup up` completes either way.
//
// Lifetime: pilot-discovery runs under a small shell watchdog that stops it when the test
// process or the cluster's kube-apiserver is gone; the watcher stops it when its pod is deleted
// or istio-system goes away, and only then lets the pod go, as a kubelet would (a kwok Stage
// holds deleted istiod pods for it); delete() stops it, waits for it to exit, then deletes the
// cluster.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { expect } from 'vitest';
import { kwokBinaries } from '../../src/providers/kwok.js';
import { kwokctlConfigYaml, kwokNodeYaml } from '../../src/tools/kwokctl.js';
import { LoopbackWatch } from './loopback-watch.js';
import { MESHUP } from './sealed.js';
import { ROOT, simEnv } from './sim-env.mjs';

const ISTIO_NS = 'istio-system';

// ---- upstream content, assembled from the Go module cache at run time (never committed) ----

let modcache: string | undefined;
function goModCache(): string {
  modcache ??= execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return modcache;
}

/** The module directory of istio.io/istio at the version test/cluster/istio/go.mod pins. */
function istioModuleDir(): string {
  const mod = readFileSync(join(ROOT, 'test', 'cluster', 'istio', 'go.mod'), 'utf8');
  const v = /^require istio\.io\/istio (\S+)$/m.exec(mod)?.[1] ?? /^\s+istio\.io\/istio (\S+)$/m.exec(mod)?.[1];
  if (!v) throw new Error('test/cluster/istio/go.mod pins no istio.io/istio version');
  return join(goModCache(), 'istio.io', `istio@${v}`);
}

/** The Gateway API version Istio's own go.mod requires. */
function gatewayApiVersion(): string {
  const v = /^\s+sigs\.k8s\.io\/gateway-api (\S+)/m.exec(readFileSync(join(istioModuleDir(), 'go.mod'), 'utf8'))?.[1];
  if (!v) throw new Error("Istio's go.mod requires no sigs.k8s.io/gateway-api");
  return v;
}

/** The standard-channel Gateway API CRDs, one multi-document YAML, from the module cache. */
export function gatewayApiCrds(): { version: string; yaml: string; files: string[] } {
  const version = gatewayApiVersion();
  const dir = join(goModCache(), 'sigs.k8s.io', `gateway-api@${version}`, 'config', 'crd', 'standard');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return { version, files, yaml: files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n') };
}

function kwokVersion(): string {
  const v = /^KWOK_VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, 'test', 'cluster', 'build'), 'utf8'))?.[1];
  if (!v) throw new Error('test/cluster/build names no KWOK_VERSION');
  return v;
}

/**
 * kwok uses the stages of its configuration instead of its defaults when one is given, so the
 * defaults kwokctl would use (node initialise and heartbeat, pod ready, complete, delete) are
 * read from the kwok module and passed along with ours.
 */
function kwokDefaultStages(): string[] {
  const base = join(goModCache(), 'sigs.k8s.io', `kwok@${kwokVersion()}`, 'kustomize', 'stage');
  return [
    'node/fast/node-initialize.yaml',
    'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
    'pod/fast/pod-ready.yaml',
    'pod/fast/pod-complete.yaml',
    'pod/fast/pod-delete.yaml',
  ].map((f) => readFileSync(join(base, f), 'utf8'));
}

/**
 * The istiod pod becomes Running and Ready with the node's address, 127.0.0.1. Its weight makes
 * kwok prefer it over pod-ready (weight 0) for the pods both select.
 */
const ISTIOD_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: istiod-on-loopback
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  weight: 1
  selector:
    matchLabels:
      app: istiod
    matchExpressions:
      - key: .metadata.namespace
        operator: In
        values: [${ISTIO_NS}]
      - key: .metadata.deletionTimestamp
        operator: DoesNotExist
      - key: .status.podIP
        operator: DoesNotExist
  next:
    statusTemplate: |
      {{ $at := Now | Quote }}
      phase: Running
      startTime: {{ $at }}
      hostIP: 127.0.0.1
      podIP: 127.0.0.1
      podIPs:
        - ip: 127.0.0.1
      conditions:
        - type: Initialized
          status: "True"
          lastTransitionTime: {{ $at }}
        - type: Ready
          status: "True"
          lastTransitionTime: {{ $at }}
        - type: ContainersReady
          status: "True"
          lastTransitionTime: {{ $at }}
      containerStatuses:
        {{ range .spec.containers }}
        - name: {{ .name | Quote }}
          image: {{ .image | Quote }}
          ready: true
          started: true
          restartCount: 0
          state:
            running:
              startedAt: {{ $at }}
        {{ end }}
`;

/**
 * A deleted istiod pod stays until the harness, playing its kubelet, has stopped pilot-discovery
 * and removed it (a kubelet removes a pod only once its containers have exited). Without this,
 * kwok's pod-delete removes it at once while the process still runs and acts on the cluster.
 * The delay is only a fallback for a harness that is gone.
 */
const ISTIOD_DELETE_STAGE = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: istiod-delete-after-exit
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  weight: 2
  selector:
    matchLabels:
      app: istiod
    matchExpressions:
      - key: .metadata.namespace
        operator: In
        values: [${ISTIO_NS}]
      - key: .metadata.deletionTimestamp
        operator: Exists
  delay:
    durationMilliseconds: 120000
  next:
    finalizers:
      empty: true
    delete: true
`;

// ---- a tiny client for the cluster's API server (127.0.0.1), so polling spawns nothing ----

interface KubeCreds {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

class Kube {
  constructor(private readonly creds: KubeCreds) {}

  static async forContext(context: string, env: Record<string, string>): Promise<Kube> {
    const raw = (await execa('kubectl', ['config', 'view', '--raw', '--minify', '--flatten', '--context', context, '-o', 'json'], { env, extendEnv: false }))
      .stdout;
    const cfg = JSON.parse(raw) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const b = (s: string) => Buffer.from(s, 'base64');
    const server = cfg.clusters[0]!.cluster.server;
    if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) throw new Error(`the simulated API server is not on 127.0.0.1: ${server}`);
    return new Kube({
      server,
      ca: b(cfg.clusters[0]!.cluster['certificate-authority-data']),
      cert: b(cfg.users[0]!.user['client-certificate-data']),
      key: b(cfg.users[0]!.user['client-key-data']),
    });
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
    const url = new URL(path, this.creds.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.creds.ca,
          cert: this.creds.cert,
          key: this.creds.key,
          headers: data ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {},
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  async get<T = any>(path: string): Promise<T | undefined> {
    const r = await this.request('GET', path);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as T;
  }
}

/** Polls `fn` every half second until it returns something truthy, for at most `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

// ---- pilot-discovery as a local process ----

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface IstiodPorts {
  http: number;
  webhook: number;
  grpc: number;
  secureGrpc: number;
  monitoring: number;
  ctrlz: number;
}

interface WebhookConfig {
  metadata: { name: string; resourceVersion: string };
  webhooks?: {
    name: string;
    failurePolicy?: string;
    clientConfig: { url?: string; caBundle?: string; service?: { name: string; namespace: string; path?: string } };
  }[];
}

const WEBHOOK_KINDS = ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'] as const;
const webhookPath = (kind: string) => `/apis/admissionregistration.k8s.io/v1/${kind}`;

// Runs pilot-discovery and stops it (TERM, then its own shutdown) when the owner process or the
// cluster's API server is gone. A process counts as gone when its pid file is, or when it is a
// zombie: kwokctl's components are reparented to PID 1, which need not reap them at once, and
// `kill -0` succeeds on a zombie. `sleep & wait` keeps the TERM trap immediate.
const WATCHDOG = `
alive() {
  case "$(sed -n 's/^State:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)" in ""|Z*|X*) return 1;; esac
}
apiserver_alive() {
  local p
  p=$(cat "$APISERVER_PIDFILE" 2>/dev/null) && [ -n "$p" ] && alive "$p"
}
"$PILOT_BIN" "$@" &
child=$!
echo "$child" > "$PILOT_PIDFILE"
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
while alive "$child"; do
  if ! alive "$OWNER_PID" || ! apiserver_alive; then
    echo "pilot-watchdog: owner or kube-apiserver gone, stopping pilot-discovery" >&2
    kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0
  fi
  sleep 1 & wait $!
done
wait "$child"
`;

interface IstiodEvent {
  at: number;
  what: string;
}

class LocalIstiod {
  ports?: IstiodPorts;
  /** pid of pilot-discovery itself (not of its watchdog) while it runs. */
  pid?: number;
  starts = 0;
  /** While true the watcher does not start pilot-discovery (for a test that needs it down). */
  hold = false;
  readonly events: IstiodEvent[] = [];
  readonly net: LoopbackWatch;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private loop?: Promise<void>;
  private closing = false;
  private lastError = '';

  constructor(
    private readonly kube: Kube,
    private readonly dir: string,
    private readonly bin: string,
    private readonly env: Record<string, string>,
    private readonly context: string,
    readonly clusterDir: string,
  ) {
    this.net = new LoopbackWatch(() => ({ 'pilot-discovery': this.running ? this.pid : undefined, ...this.clusterPids() }), ['pilot-discovery']);
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get logFile(): string {
    return join(this.dir, 'istiod', `pilot-discovery-${this.starts}.log`);
  }

  get apiserverPidFile(): string {
    return join(this.clusterDir, 'pids', 'kube-apiserver.pid');
  }

  clusterPids(): Record<string, number | undefined> {
    const out: Record<string, number | undefined> = {};
    for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller', 'etcd']) {
      try {
        out[c] = Number(readFileSync(join(this.clusterDir, 'pids', `${c}.pid`), 'utf8').trim()) || undefined;
      } catch {
        out[c] = undefined;
      }
    }
    return out;
  }

  private note(what: string): void {
    this.events.push({ at: Date.now(), what });
  }

  /** Polls the cluster every half second until close(): starts, stops, rewrites webhooks. */
  watch(): void {
    this.loop = (async () => {
      while (!this.closing) {
        try {
          await this.tick();
        } catch (e) {
          this.lastError = (e as Error).message;
        }
        this.net.sample();
        await sleep(500);
      }
    })();
  }

  private async tick(): Promise<void> {
    const ns = await this.kube.get(`/api/v1/namespaces/${ISTIO_NS}`);
    const nsLive = !!ns && !ns.metadata.deletionTimestamp;
    const pods = ns
      ? ((
          await this.kube.get<{ items: { metadata: { name: string; deletionTimestamp?: string } }[] }>(
            `/api/v1/namespaces/${ISTIO_NS}/pods?labelSelector=app%3Distiod`,
          )
        )?.items ?? [])
      : [];
    const livePods = pods.filter((p) => !p.metadata.deletionTimestamp);
    // The process plays the istiod pod: it stops when the last one is deleted (or istio-system
    // goes), and only then are the deleted pods removed, as their kubelet would.
    if (this.running && (!nsLive || !livePods.length)) await this.stop(nsLive ? 'its pod was deleted' : 'istio-system is going away');
    for (const p of pods.filter((x) => x.metadata.deletionTimestamp)) {
      const r = await this.kube.request('DELETE', `/api/v1/namespaces/${ISTIO_NS}/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
      if (r.status < 300) this.note(`removed deleted pod ${p.metadata.name}`);
    }
    if (!nsLive || !livePods.length) return;
    if (!this.running && !this.hold) {
      const [mesh, injector] = await Promise.all([
        this.kube.get(`/api/v1/namespaces/${ISTIO_NS}/configmaps/istio`),
        this.kube.get(`/api/v1/namespaces/${ISTIO_NS}/configmaps/istio-sidecar-injector`),
      ]);
      if (mesh && injector) await this.start();
    }
    if (this.ports) await this.routeWebhooks(this.ports.webhook);
  }

  /** Points every webhook that names the istiod Service at pilot-discovery on 127.0.0.1. */
  private async routeWebhooks(port: number): Promise<void> {
    for (const kind of WEBHOOK_KINDS) {
      const list = await this.kube.get<{ items: WebhookConfig[] }>(webhookPath(kind));
      for (const cfg of list?.items ?? []) {
        const ops = (cfg.webhooks ?? []).flatMap((w, i) => {
          const s = w.clientConfig.service;
          if (!s || s.namespace !== ISTIO_NS || s.name !== 'istiod') return [];
          return [
            { op: 'remove', path: `/webhooks/${i}/clientConfig/service` },
            { op: 'add', path: `/webhooks/${i}/clientConfig/url`, value: `https://127.0.0.1:${port}${s.path ?? '/'}` },
          ];
        });
        if (!ops.length) continue;
        const r = await this.kube.request(
          'PATCH',
          `${webhookPath(kind)}/${cfg.metadata.name}`,
          [{ op: 'test', path: '/metadata/resourceVersion', value: cfg.metadata.resourceVersion }, ...ops],
          'application/json-patch+json',
        );
        if (r.status < 300) this.note(`routed ${kind}/${cfg.metadata.name} to 127.0.0.1:${port}`);
        else if (r.status !== 409 && r.status !== 422) throw new Error(`patching ${cfg.metadata.name}: ${r.status} ${JSON.stringify(r.json)}`);
      }
    }
  }

  async start(): Promise<void> {
    // Chosen once: a restarted istiod serves where the webhooks already point.
    const ports: IstiodPorts = this.ports ?? {
      http: await freePort(),
      webhook: await freePort(),
      grpc: await freePort(),
      secureGrpc: await freePort(),
      monitoring: await freePort(),
      ctrlz: await freePort(),
    };
    this.starts++;
    const home = join(this.dir, 'istiod');
    // A fresh working directory each start: pilot-discovery looks for mesh config, injection
    // templates and CA files under ./etc and ./var; none exist, so it reads the ConfigMaps and
    // keeps its self-signed CA in the istio-ca-secret Secret, as a fresh pod would.
    const cwd = join(home, `run-${this.starts}`);
    mkdirSync(join(cwd, 'var', 'run', 'secrets', 'istio-dns'), { recursive: true });
    // As the kubelet mounts the optional cacerts Secret at ./etc/cacerts (the istiod chart's
    // volume): with it istiod signs with that CA (Istio's plugged-in CA), without it with its own.
    const cacerts = await this.kube.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ISTIO_NS}/secrets/cacerts`);
    if (cacerts?.data) {
      mkdirSync(join(cwd, 'etc', 'cacerts'), { recursive: true });
      for (const [file, b64] of Object.entries(cacerts.data)) writeFileSync(join(cwd, 'etc', 'cacerts', file), Buffer.from(b64, 'base64'), { mode: 0o600 });
      this.note('mounted istio-system/cacerts');
    }
    const kubeconfig = join(home, 'kubeconfig');
    const raw = (await execa('kubectl', ['config', 'view', '--raw', '--minify', '--flatten', '--context', this.context], { env: this.env, extendEnv: false }))
      .stdout;
    writeFileSync(kubeconfig, raw, { mode: 0o600 });
    const pidFile = join(home, 'pilot.pid');
    rmSync(pidFile, { force: true });
    const args = [
      'discovery',
      `--kubeconfig=${kubeconfig}`,
      `--httpAddr=127.0.0.1:${ports.http}`,
      `--httpsAddr=127.0.0.1:${ports.webhook}`,
      `--grpcAddr=127.0.0.1:${ports.grpc}`,
      `--secureGRPCAddr=127.0.0.1:${ports.secureGrpc}`,
      `--monitoringAddr=127.0.0.1:${ports.monitoring}`,
      '--ctrlz_address=127.0.0.1',
      `--ctrlz_port=${ports.ctrlz}`,
      '--domain=cluster.local',
      '--keepaliveMaxServerConnectionAge=30m',
      '--shutdownDuration=1s',
      '--log_output_level=default:info',
    ];
    // What the istiod Deployment's container gets: its literal values as installed (the profile's
    // PILOT_ENABLE_AMBIENT among them), then the pod's own fields filled in and what the harness
    // needs (manifests/charts/istio-control/istio-discovery/templates/deployment.yaml).
    type EnvVar = { name: string; value?: string };
    const deployment = await this.kube.get<{ spec: { template: { spec: { containers: { name: string; env?: EnvVar[] }[] } } } }>(
      `/apis/apps/v1/namespaces/${ISTIO_NS}/deployments/istiod`,
    );
    const installed = Object.fromEntries(
      (deployment?.spec.template.spec.containers.find((x) => x.name === 'discovery')?.env ?? []).flatMap((e) =>
        e.value === undefined ? [] : [[e.name, e.value]],
      ),
    );
    const env = {
      ...installed,
      PATH: this.env.PATH!,
      HOME: home,
      REVISION: 'default',
      PILOT_CERT_PROVIDER: 'istiod',
      POD_NAME: 'istiod-local',
      POD_NAMESPACE: ISTIO_NS,
      SERVICE_ACCOUNT: 'istiod',
      CA_TRUSTED_NODE_ACCOUNTS: `${ISTIO_NS}/ztunnel`,
      PILOT_ENABLE_ANALYSIS: 'false',
      // The install's own (values.global.multiCluster.clusterName), as the chart sets it.
      CLUSTER_ID: installed.CLUSTER_ID ?? 'Kubernetes',
      // Its serving certificate must name the address the API server dials.
      ISTIOD_CUSTOM_HOST: '127.0.0.1',
      PILOT_BIN: join(this.bin, 'pilot-discovery'),
      PILOT_PIDFILE: pidFile,
      OWNER_PID: String(process.pid),
      APISERVER_PIDFILE: this.apiserverPidFile,
    };
    const log = openSync(this.logFile, 'a');
    const child = spawn('bash', ['-c', WATCHDOG, 'pilot-watchdog', ...args], { cwd, env, stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.exited = new Promise<void>((r) => child.once('exit', () => r()));
    this.ports = ports;
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) await sleep(100);
    this.pid = Number(readFileSync(pidFile, 'utf8').trim());
    this.note(`started pilot-discovery pid ${this.pid} (webhooks on 127.0.0.1:${ports.webhook})`);
    void this.exited.then(() => this.note(`pilot-discovery ${this.pid} exited`));
  }

  /** Stops pilot-discovery and waits until it has exited and been reaped. */
  async stop(why = 'asked to'): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (this.running) {
      this.note(`stopping pilot-discovery: ${why}`);
      child.kill('SIGTERM');
      const done = await Promise.race([this.exited!.then(() => true), sleep(20_000).then(() => false)]);
      if (!done) {
        if (this.pid) process.kill(this.pid, 'SIGKILL');
        child.kill('SIGKILL');
        await Promise.race([this.exited, sleep(10_000)]);
      }
    }
    this.child = undefined;
  }

  /** Whether pilot-discovery's own process (not the watchdog) still exists. */
  pilotAlive(): boolean {
    if (!this.pid) return false;
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until the child (watchdog and pilot-discovery) has exited, for at most `ms`. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.exited) return true;
    return Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
  }

  async readyz(): Promise<number> {
    if (!this.ports) return 0;
    try {
      return (await fetch(`http://127.0.0.1:${this.ports.http}/ready`, { signal: AbortSignal.timeout(2000) })).status;
    } catch {
      return 0;
    }
  }

  /** The istiod webhooks as the API server sees them. */
  async webhooks(): Promise<{ kind: string; config: string; name: string; url?: string; service?: unknown; caBundle: boolean; failurePolicy?: string }[]> {
    const out = [];
    for (const kind of WEBHOOK_KINDS) {
      const list = await this.kube.get<{ items: WebhookConfig[] }>(webhookPath(kind));
      for (const cfg of list?.items ?? []) {
        for (const w of cfg.webhooks ?? []) {
          if (!/istio\.io$/.test(w.name)) continue;
          out.push({
            kind,
            config: cfg.metadata.name,
            name: w.name,
            url: w.clientConfig.url,
            service: w.clientConfig.service,
            caBundle: !!w.clientConfig.caBundle,
            failurePolicy: w.failurePolicy,
          });
        }
      }
    }
    return out;
  }

  /**
   * Waits until pilot-discovery serves /ready, every istiod webhook goes to it on 127.0.0.1 with
   * its CA bundle, and it has switched the validators to fail closed (which it does only after
   * checking that the API server reaches its validation webhook).
   */
  async ready(timeoutMs = 180_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let why = '';
    while (Date.now() < until) {
      if (!this.running) why = 'pilot-discovery is not running';
      else if ((await this.readyz()) !== 200) why = 'pilot-discovery /ready is not 200';
      else {
        const hooks = await this.webhooks();
        const port = this.ports!.webhook;
        const bad = hooks.filter(
          (h) =>
            h.url?.startsWith(`https://127.0.0.1:${port}/`) !== true ||
            !h.caBundle ||
            (h.kind === 'validatingwebhookconfigurations' && h.failurePolicy !== 'Fail'),
        );
        if (hooks.length && !bad.length) return;
        why = hooks.length ? `webhooks not ready yet: ${JSON.stringify(bad)}` : 'no istiod webhooks yet';
      }
      await sleep(500);
    }
    throw new Error(`istiod not ready after ${timeoutMs / 1000}s: ${why}${this.lastError ? `; last watcher error: ${this.lastError}` : ''}\n${this.logTail()}`);
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no pilot-discovery log)';
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    // A tick may be waiting on an API server request with no deadline: stopping must not wait
    // for it for long (a CI run once spent the whole hook timeout here).
    await Promise.race([this.loop, sleep(30_000)]);
    await this.stop('the cluster is being deleted');
  }
}

// ---- the cluster ----

/** The network rule, from the kernel's socket tables and the API server's own log: nothing but
 * loopback was dialled, and the API server did reach pilot-discovery's webhooks on 127.0.0.1. */
export function expectLoopbackOnly(c: IstiodCluster): void {
  const r = c.istiod.net.report;
  expect(r.samples).toBeGreaterThan(10);
  expect(r.offLoopback, 'sockets to a non-loopback peer').toEqual([]);
  expect(r.openListeners, 'pilot-discovery listeners not bound to 127.0.0.1').toEqual([]);
  expect([...r.loopbackPeers]).toContain(`kube-apiserver -> 127.0.0.1:${c.istiod.ports!.webhook}`);
  const log = readFileSync(join(c.istiod.clusterDir, 'logs', 'kube-apiserver.log'), 'utf8');
  const dialled = [...log.matchAll(/dial tcp ([0-9a-f.:[\]]+):\d+/g)].map((m) => m[1]!);
  expect(dialled.filter((a) => !a.startsWith('127.') && a !== '[::1]')).toEqual([]);
}

export interface IstiodCluster {
  name: string;
  context: string;
  dir: string;
  env: Record<string, string>;
  kube: Kube;
  istiod: LocalIstiod;
  /** bin/meshup against this cluster (provider "existing": meshup neither creates nor deletes it). */
  meshup(args: string[], opts?: { input?: string }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  kubectl(args: string[], opts?: { input?: string; reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Stops pilot-discovery (and waits for it), then deletes the cluster and the temporary dir. */
  delete(): Promise<void>;
}

/**
 * `beside`: a cluster already made here, whose environment (kubeconfig, kwok and meshup state
 * directories) this one shares, as two clusters on one machine do; `suffix` tells them apart.
 */
export async function createIstiodCluster(prefix: string, o: { beside?: IstiodCluster; suffix?: string } = {}): Promise<IstiodCluster> {
  const { dir: base, env } = o.beside ? { dir: o.beside.dir, env: o.beside.env } : simEnv(prefix);
  const bin = env.MESHUP_KWOK_BIN_DIR!;
  if (!existsSync(join(bin, 'pilot-discovery'))) throw new Error(`no pilot-discovery in ${bin}: run test/cluster/build`);
  const name = `istiod${process.pid}${o.suffix ?? ''}`;
  const context = `kwok-${name}`;
  // The cluster's own files (its kwokctl config, pilot-discovery's directory) under the shared one.
  const dir = o.beside ? join(base, name) : base;
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'kwokctl.yaml');
  writeFileSync(config, kwokctlConfigYaml(kwokBinaries(env), { webhooks: true, stages: [...kwokDefaultStages(), ISTIOD_STAGE, ISTIOD_DELETE_STAGE] }));
  mkdirSync(join(dir, 'istiod'), { recursive: true });

  const kubectl: IstiodCluster['kubectl'] = async (args, o = {}) => {
    const r = await execa('kubectl', ['--context', context, ...args], { env, extendEnv: false, input: o.input ?? '', reject: false, timeout: 120_000 });
    const out = { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
    if (o.reject !== false && out.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${out.stderr}`);
    return out;
  };
  const deleteCluster = () =>
    execa('kwokctl', ['delete', 'cluster', '--name', name], { env, extendEnv: false, reject: false, timeout: 120_000, forceKillAfterDelay: 5000 });

  let istiod: LocalIstiod | undefined;
  try {
    // kwokctl picks its components' ports itself; clusters created at the same moment on one
    // machine can race for one ("bind: address already in use"), so a failed create gets one retry.
    const create = () =>
      execa('kwokctl', ['create', 'cluster', '--name', name, '--config', config, '--runtime', 'binary', '--wait', '2m'], {
        env,
        extendEnv: false,
        reject: false,
      });
    let made = await create();
    if (made.exitCode !== 0) {
      await deleteCluster();
      made = await create();
    }
    if (made.exitCode !== 0) throw new Error(`kwokctl create cluster failed:\n${String(made.stderr).split('\n').slice(-5).join('\n')}`);
    await kubectl(['apply', '-f', '-'], { input: kwokNodeYaml(`${name}-node-0`, 16, 65536) });
    const kube = await Kube.forContext(context, env);
    // kwok marks the node Ready at once; one that is not is said here, not as an `up` that waits.
    await until(
      `node ${name}-node-0 of ${name} to be Ready`,
      async () =>
        (await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/api/v1/nodes/${name}-node-0`))?.status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      60_000,
    );
    istiod = new LocalIstiod(kube, dir, bin, env, context, join(env.KWOK_WORKDIR!, 'clusters', name));
    istiod.watch();
    const it = istiod;
    return {
      name,
      context,
      dir,
      env,
      kube,
      istiod: it,
      kubectl,
      async meshup(args, o = {}) {
        const r = await execa(process.execPath, [MESHUP, ...args, '--provider', 'existing', '--context', context], {
          env,
          extendEnv: false,
          reject: false,
          cwd: dir,
          input: o.input ?? '',
          timeout: 590_000,
        });
        return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
      },
      async delete() {
        await it.close();
        await deleteCluster();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await istiod?.close();
    await deleteCluster();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
