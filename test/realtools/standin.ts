// A sealed world for the real kind and minikube: their binaries (built by test/cluster/build),
// the Docker stand-in as `docker`, the real kubectl, and node on PATH; a temporary HOME,
// KUBECONFIG, MINIKUBE_HOME and XDG dirs; every proxy pointed at a closed loopback port so
// minikube's release check and any image pull fail at once instead of reaching the network.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { FAKES, MESHUP, ROOT, seedGatewayApiCache } from '../helpers/sealed.js';
import { simBinDir } from '../helpers/sim-env.mjs';

const STANDIN = resolve(import.meta.dirname, 'docker');

/** minikube v1.36.0's node image (pkg/drivers/kic/types.go): listed as present, so it never pulls. */
const KICBASE = 'gcr.io/k8s-minikube/kicbase:v0.0.47@sha256:6ed579c9292b4370177b7ef3c42cc4b4a6dcd0735a1814916cbc22c8bf38412b';

/** Where test/cluster/build links kind and minikube. */
function realtoolsBinDir(): string {
  return execFileSync('bash', [join(ROOT, 'test', 'cluster', 'build'), '--print-realtools-bin'], { encoding: 'utf8' }).trim();
}

export interface DockerCall {
  args: string[];
  stdin?: string;
  code: number;
  unexpected?: boolean;
}

interface Faults {
  daemonDown?: boolean;
  slowRunMs?: number;
  slowKubeadmMs?: number;
  nodeApiDown?: boolean;
  kubeadmFails?: string;
}

export interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
  ms: number;
}

export interface World {
  dir: string;
  env: Record<string, string>;
  /** Runs a program of the world (kind, minikube, docker, kubectl) with its env. */
  tool(file: string, args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<Run>;
  /** Runs bin/meshup in the world. */
  meshup(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<Run>;
  faults(f: Faults): void;
  /** Every docker call so far, in order. */
  calls(): DockerCall[];
  containers(): Record<
    string,
    { name: string; state: string; labels: Record<string, string>; publish: { hostIp: string; hostPort: number; containerPort: number; proto: string }[] }
  >;
  /** The same dirs with the fakes of test/fakes/bin as kind, minikube and kubectl. */
  withFakes(): World;
  cleanup(): void;
}

/** The run args the stand-in saw that publish ports: exactly as kind or minikube wrote them. */
export function publishFlags(calls: DockerCall[]): string[] {
  return calls.filter((c) => c.args[0] === 'run').flatMap((c) => c.args.filter((a) => a.startsWith('--publish')));
}

export function world(opts: { fakes?: boolean } = {}): World {
  const real = realtoolsBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'meshup-realtools-'));
  return build(dir, real, !!opts.fakes);
}

function build(dir: string, real: string, fakes: boolean): World {
  const bin = join(dir, fakes ? 'bin-fakes' : 'bin');
  const standin = join(dir, 'docker-state');
  for (const d of [bin, standin, join(dir, 'home'), join(dir, 'work'), join(dir, 'fake-state')]) mkdirSync(d, { recursive: true });
  if (!existsSync(join(bin, 'node'))) {
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(STANDIN, join(bin, 'docker'));
    symlinkSync(fakes ? join(FAKES, 'kubectl') : '/usr/bin/kubectl', join(bin, 'kubectl'));
    for (const t of ['kind', 'minikube']) symlinkSync(fakes ? join(FAKES, t) : join(real, t), join(bin, t));
    // An istioctl of the default version at hand: meshup checks it can get Istio before it
    // creates anything, and these tests are about what happens to the cluster.
    symlinkSync(fakes ? join(FAKES, 'istioctl') : join(simBinDir(), 'istioctl'), join(bin, 'istioctl'));
  }
  const closed = 'http://127.0.0.1:9';
  const env: Record<string, string> = {
    PATH: bin,
    HOME: join(dir, 'home'),
    KUBECONFIG: join(dir, 'home', 'kubeconfig'),
    XDG_CACHE_HOME: join(dir, 'home', '.cache'),
    XDG_STATE_HOME: join(dir, 'home', '.state'),
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    MINIKUBE_HOME: join(dir, 'home', '.minikube'),
    MINIKUBE_WANTUPDATENOTIFICATION: 'false',
    MINIKUBE_IN_STYLE: 'false',
    HTTPS_PROXY: closed,
    HTTP_PROXY: closed,
    https_proxy: closed,
    http_proxy: closed,
    DOCKER_STANDIN_DIR: standin,
    FAKE_STATE: join(dir, 'fake-state'),
    CI: 'true',
    NO_COLOR: '1',
    TMPDIR: tmpdir(),
    MESHUP_ISTIO_MIRROR: closed,
    MESHUP_GATEWAY_API_MIRROR: closed,
  };
  // The Gateway API CRDs up installs come from the cache, as the Istio release's istioctl does.
  seedGatewayApiCache(env);
  const stateFile = join(standin, 'state.json');
  if (!existsSync(stateFile)) writeFileSync(stateFile, JSON.stringify({ images: [KICBASE] }));
  const readState = () => (existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, any>) : {});
  const tool = async (file: string, args: string[], o: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<Run> => {
    const started = Date.now();
    const r = await execa(file, args, {
      env,
      extendEnv: false,
      reject: false,
      input: o.input ?? '',
      timeout: o.timeoutMs ?? 120_000,
      cwd: o.cwd ?? join(dir, 'work'),
      forceKillAfterDelay: 2000,
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1, ms: Date.now() - started };
  };
  const w: World = {
    dir,
    env,
    tool: (file, args, o) => tool(join(bin, file), args, o),
    meshup: (args, o) => tool(process.execPath, [MESHUP, ...args], { timeoutMs: o?.timeoutMs ?? 180_000, cwd: o?.cwd }),
    faults(f) {
      const s = readState();
      s.faults = { ...(s.faults ?? {}), ...f };
      writeFileSync(stateFile, JSON.stringify(s, null, 2));
    },
    calls() {
      const f = join(standin, 'calls.jsonl');
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as DockerCall)
        : [];
    },
    containers: () => readState().containers ?? {},
    withFakes: () => build(dir, real, true),
    cleanup() {
      // Stops any port forwarder a container left running, then removes the world.
      for (const c of Object.values(readState().containers ?? {}) as { forwarders?: number[] }[]) {
        for (const pid of c.forwarders ?? []) {
          try {
            process.kill(pid);
          } catch {}
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
}
