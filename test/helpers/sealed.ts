// A sealed world for running meshup: only the fake tools and node on PATH, a temporary HOME,
// KUBECONFIG and XDG dirs, CI set and no TTY. No test built on it can reach a real cluster.
// run() calls the CLI's main() in this process (see inprocess.ts); spawn() starts bin/meshup,
// for the few tests about the process itself (signals, the entry script).
// The tools on PATH are test/fakes/client under each tool's name: a shell that hands the call to
// the fake server this module starts in the test process (test/fakes/server.mjs), so a fake
// costs a shell's start rather than node's, and meshup still starts a real process per call.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { type ToolName, toolDescriptor } from '../../src/exec/tools.js';
import { BUNDLE_FILE, bundleCacheDir, OBJECTS_FILE } from '../../src/gatewayapi/bundle.js';
import { objectsOf } from '../../src/gatewayapi/crds.js';
import { serveFakes } from '../fakes/server.mjs';
import { smallBundle } from './gateway-api.mjs';
import type { InProcessOptions } from './inprocess.js';
import { VERSIONS } from './versions.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MESHUP = join(ROOT, 'bin', 'meshup');
export const FAKES = join(ROOT, 'test', 'fakes', 'bin');
const CLIENT = join(ROOT, 'test', 'fakes', 'client');

// One per test process, for every world it makes.
const fakeServer = await serveFakes();

export interface Call {
  tool: string;
  args: string[];
  stdin?: string;
}

export interface Sealed {
  dir: string;
  env: Record<string, string>;
  /** Sets the fake tools' world (merged into state.json). */
  state(patch: Record<string, unknown>): void;
  readState(): Record<string, any>;
  calls(): Call[];
  run(args: string[], opts?: InProcessOptions): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  spawn(args: string[], opts?: { input?: string; env?: Record<string, string>; cwd?: string }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Hides a fake tool, as if it were not installed. */
  hide(tool: string): void;
  cleanup(): void;
}

/**
 * Puts a small Gateway API bundle (helpers/gateway-api.mjs) in meshup's cache for every release
 * meshup's table names, as a run that downloaded them would leave it, so `up` has the CRDs at hand
 * without a mirror.
 */
export function seedGatewayApiCache(env: Record<string, string>, versions = VERSIONS.istio.map((r) => r.gatewayApi.version)): void {
  for (const v of new Set(versions)) {
    const dir = bundleCacheDir(env, v);
    const text = smallBundle(v);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, BUNDLE_FILE), text);
    const parsed = parseAllDocuments(text).flatMap((d) => (d.toJS() as Record<string, unknown> | null) ?? []) as Record<string, unknown>[];
    writeFileSync(join(dir, OBJECTS_FILE), JSON.stringify(objectsOf(parsed)));
  }
}

/** gatewayApiCache: false leaves meshup's Gateway API cache empty (by default it is seeded). */
export function sealed(opts: { tools?: string[]; gatewayApiCache?: boolean } = {}): Sealed {
  const dir = mkdtempSync(join(tmpdir(), 'meshup-test-'));
  const bin = join(dir, 'bin');
  const state = join(dir, 'fake-state');
  mkdirSync(bin);
  mkdirSync(state);
  mkdirSync(join(dir, 'home'));
  mkdirSync(join(dir, 'work'));
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const t of opts.tools ?? ['docker', 'kind', 'minikube', 'kubectl', 'istioctl']) symlinkSync(CLIENT, join(bin, t));
  const env: Record<string, string> = {
    PATH: bin,
    HOME: join(dir, 'home'),
    KUBECONFIG: join(dir, 'home', 'kubeconfig'),
    XDG_CACHE_HOME: join(dir, 'home', '.cache'),
    XDG_STATE_HOME: join(dir, 'home', '.state'),
    FAKE_STATE: state,
    FAKE_PORT: String(fakeServer.port),
    CI: 'true',
    NO_COLOR: '1',
    TMPDIR: tmpdir(),
    NODE_PATH: join(ROOT, 'node_modules'),
    // Downloads go to loopback only: port 9 (discard) refuses, unless a test serves releases.
    MESHUP_ISTIO_MIRROR: 'http://127.0.0.1:9',
    MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9',
    // No registry answers in a world of fakes: the caches are turned on by the tests of them.
    MESHUP_CACHE: '0',
  };
  if (opts.gatewayApiCache !== false) seedGatewayApiCache(env);
  const stateFile = join(state, 'state.json');
  const readState = () => (existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {});
  return {
    dir,
    env,
    state(patch) {
      writeFileSync(stateFile, JSON.stringify({ ...readState(), ...patch }, null, 2));
    },
    readState,
    calls() {
      const f = join(state, 'calls.jsonl');
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Call)
        : [];
    },
    async run(args, o = {}) {
      const { runInProcess } = await import('./inprocess.js');
      return runInProcess(this, args, o);
    },
    async spawn(args, o = {}) {
      const r = await execa(process.execPath, [MESHUP, ...args], {
        env: { ...env, ...o.env },
        extendEnv: false,
        cwd: o.cwd ?? join(dir, 'work'),
        input: o.input ?? '',
        reject: false,
        timeout: 60_000,
      });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
    },
    hide(tool) {
      rmSync(join(bin, tool), { force: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls that change something: what --dry-run and refusals must never make. The tools'
 * descriptors decide; a call of a shape no descriptor knows fails the test, so a new kind of
 * call is never counted as harmless by default. */
export function mutatingCalls(calls: Call[]): Call[] {
  return calls.filter((c) => {
    const args = c.args[0] === '--context' ? c.args.slice(2) : c.args;
    const changes = toolDescriptor(c.tool as ToolName).changes(args);
    if (changes === undefined) throw new Error(`the dry-run oracle does not know ${c.tool} ${args.join(' ')}: classify it in src/exec/tools.ts`);
    return changes;
  });
}
