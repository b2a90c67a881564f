// The one place meshup starts programs. It owns dry-run, verbose echo, timeouts, Ctrl-C,
// kube-context pinning and the translation of spawn failures and known stderr into typed errors.
// Commands and tool modules receive a Runner; tests pass one whose PATH holds fake tools.
// A runner is bound to one kube context for life: forContext() gives a bound copy and leaves the
// original as it was, so two clusters (or two istioctl builds, which callers name per call) can
// be driven side by side in one process. Bound copies share one core: the history, the children
// Ctrl-C stops, and the API server connections.
// It also makes the one kind of call that is not a program: a read straight from the pinned
// context's API server (apiGet; tools/kubeapi.ts builds the requests), with the same echo, time
// limit and Ctrl-C, and kubectl behind it for whatever it cannot read.

import { request as plainRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { setPriority } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { home } from '../config/paths.js';
import { CommandFailedError, InterruptedError, MeshupError, ToolMissingError } from '../errors.js';
import { type LockHolder, withLockIfPossible } from '../util/lockfile.js';
import { serialized } from '../util/mutex.js';
import { anySignal } from '../util/time.js';
import { type KubeEndpoint, kubeconfigPath, resolveKubeEndpoint } from './kube-endpoint.js';
import { formatCommand } from './quote.js';
import { installHint, matchKnownError, type ToolName, toolDescriptor } from './tools.js';

export interface RunSpec {
  tool: ToolName;
  args: readonly string[];
  /** Declares the call changes nothing. Every other call counts as changing, so --dry-run
   * prints it instead of running it: a call someone forgot to classify fails safe. */
  readOnly?: boolean;
  input?: string;
  timeoutMs?: number;
  /** Exit codes that are answers, not failures (minikube status's bitmask, say). */
  okExitCodes?: readonly number[];
  /** Extra environment for this call. */
  env?: Record<string, string>;
  /** What meshup was doing, for the error message. */
  step?: string;
  /** Skip --context pinning: for calls that choose no cluster (kubectl config, version --client). */
  noContext?: boolean;
  /** The program to start instead of the tool's name: the istioctl of a release (istio/acquire.ts). */
  bin?: string;
  /** What a dry run should pretend the command printed, so later read-only logic can continue. */
  dryRunStdout?: string;
  /** Each line of output (stdout and stderr) as it arrives, one still being written included, for
   * progress; the result still holds it all. */
  onLine?: (line: string) => void;
  /** Stops this call alone (it then fails with InterruptedError), e.g. work started ahead of a
   * step that failed. Ctrl-C stops every call whatever this is. */
  signal?: AbortSignal;
  /** Work no step waits for yet (rendering the listing for the next run's check): it runs at the
   * lowest CPU priority, so on a machine with few cores it takes only what the cluster's creation
   * and the install leave idle. */
  background?: boolean;
}

export interface ApiGetSpec {
  /** The API path with its query, e.g. /api/v1/namespaces/istio-system/pods. */
  path: string;
  /** The Accept header: JSON unless said otherwise (a metadata-only list, say). */
  accept?: string;
  step?: string;
  timeoutMs?: number;
  /** false: not echoed under --verbose (a poll that repeats the read before it). */
  echo?: boolean;
}

/** A server-side apply of one object: a PATCH whose body is the whole object as the caller wants
 * it (what `kubectl apply --server-side` sends for each object it reads). */
export interface ApiApplySpec {
  /** The object's own path with the apply's query (fieldManager, force, fieldValidation). */
  path: string;
  body: string;
  step?: string;
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  body: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** True when --dry-run printed the command instead of running it. */
  skipped: boolean;
}

export interface RunnerOptions {
  env: NodeJS.ProcessEnv;
  /** Working directory of every child (the CLI's io.cwd, never process.cwd() implicitly). */
  cwd?: string;
  dryRun?: boolean;
  verbose?: boolean;
  /** Where echoes and dry-run commands go (stderr in the CLI). */
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Paths that replace a tool's name for every call (tests); a call's own `bin` comes first. */
  binaries?: Partial<Record<ToolName, string>>;
  defaultTimeoutMs?: number;
}

export interface CommandRecord {
  command: string;
  mutates: boolean;
  skipped: boolean;
  exitCode?: number;
  ms?: number;
}

/** What every copy of a runner shares (made by the constructor; internal to this module's class). */
export interface RunnerCore {
  opts: RunnerOptions;
  history: CommandRecord[];
  live: Set<ResultPromise>;
  spawnWaiters: { match: (spec: RunSpec) => boolean; resolve: () => void }[];
  /** Each context's API server, resolved once (again after a failure). */
  endpoints: Map<string, { ep: KubeEndpoint; agent?: Agent }>;
  /** Every agent made, closed by stopAll: one replaced after a failure may still carry reads. */
  agents: Agent[];
  /** Contexts whose direct reads were refused for good (credentials, certificates). */
  kubectlOnly: Set<string>;
  /** The cores of this runner's clean-up copies: Ctrl-C leaves them be, a second one kills them too. */
  cleanups: RunnerCore[];
}

const newCore = (opts: RunnerOptions, history: CommandRecord[] = []): RunnerCore => ({
  opts,
  history,
  live: new Set(),
  spawnWaiters: [],
  endpoints: new Map(),
  agents: [],
  kubectlOnly: new Set(),
  cleanups: [],
});

// Each child leads a process group of its own (not on Windows, where that would open a console),
// so that what it starts in turn can be signalled with it: an interrupt reaches the whole tree, as
// a terminal's Ctrl-C reaches its foreground group, and a second Ctrl-C kills all of it.
const GROUPS = process.platform !== 'win32';

/** How long a stopped child has to end before it is killed (execa's forceKillAfterDelay). */
const FORCE_KILL_MS = 3000;

/** Sends a signal to a child and everything in its process group (once each); the child alone
 * when it has no group of its own, or the group is gone. */
function signalTree(child: ResultPromise, signal: NodeJS.Signals): void {
  if (GROUPS && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
      return;
    } catch {}
  }
  child.kill(signal);
}

/** Signals the child's whole tree, and kills what is still there FORCE_KILL_MS later, as execa
 * does the child alone. */
function stopTree(child: ResultPromise, signal: NodeJS.Signals): void {
  signalTree(child, signal);
  const force = setTimeout(() => signalTree(child, 'SIGKILL'), FORCE_KILL_MS);
  void child.finally(() => clearTimeout(force));
}

/** Stops the child's whole tree when `abort` fires (execa's cancelSignal stops the child alone). */
function onAbortStopTree(child: ResultPromise, abort: AbortSignal | undefined, signal: NodeJS.Signals): void {
  if (!abort || !GROUPS) return;
  const stop = () => stopTree(child, signal);
  abort.addEventListener('abort', stop, { once: true });
  void child.finally(() => abort.removeEventListener('abort', stop));
}

export class Runner {
  readonly dryRun: boolean;
  readonly verbose: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Every command run or planned, in order, by this runner and its bound copies: --json reports
   * it and tests read it. */
  readonly history: CommandRecord[];
  /** The kube context every kubectl and istioctl call names, whatever current-context becomes;
   * undefined for a runner that drives no cluster (yet). */
  readonly context: string | undefined;
  private readonly core: RunnerCore;
  private readonly opts: RunnerOptions;

  constructor(opts: RunnerOptions);
  constructor(core: RunnerCore, context?: string);
  constructor(from: RunnerOptions | RunnerCore, context?: string) {
    this.core = 'history' in from ? from : newCore(from);
    this.opts = this.core.opts;
    this.context = context;
    this.dryRun = this.opts.dryRun ?? false;
    this.verbose = this.opts.verbose ?? false;
    this.env = this.opts.env;
    this.history = this.core.history;
  }

  /** A copy bound to this context, sharing everything else; this runner is left as it is. */
  forContext(context: string): Runner {
    return new Runner(this.core, context);
  }

  /** A runner for clean-up after an interrupt: same settings and context, but Ctrl-C no longer
   * stops it. Its calls are in the same history. */
  forCleanup(): Runner {
    const core = newCore({ ...this.opts, signal: undefined, defaultTimeoutMs: 120_000 }, this.core.history);
    this.core.cleanups.push(core);
    return new Runner(core, this.context);
  }

  /** The program a call starts: its own `bin`, else the runner's, else the tool's name on PATH. */
  binaryFor(tool: ToolName, bin?: string): string {
    return bin ?? this.opts.binaries?.[tool] ?? tool;
  }

  get signal(): AbortSignal | undefined {
    return this.opts.signal;
  }

  /** The final argument list, with the pinned context for kube tools. */
  argsFor(spec: RunSpec): string[] {
    if (!toolDescriptor(spec.tool).kube || spec.noContext) return [...spec.args];
    if (!this.context) {
      throw new MeshupError(`internal: ${spec.tool} called before a kube context was pinned (a runner bound by forContext)`);
    }
    return ['--context', this.context, ...spec.args];
  }

  describe(spec: RunSpec): string {
    return formatCommand(this.binaryFor(spec.tool, spec.bin), this.argsFor(spec), spec.input);
  }

  async run(spec: RunSpec): Promise<RunResult> {
    this.throwIfAborted();
    if (spec.signal?.aborted) throw new InterruptedError();
    const file = this.binaryFor(spec.tool, spec.bin);
    const args = this.argsFor(spec);
    const shown = formatCommand(file, args, spec.input);
    // A call declared read-only that the tool's descriptor knows to change something would run
    // under --dry-run: refused, as a bug, before it starts.
    if (spec.readOnly && toolDescriptor(spec.tool).changes(spec.args)) {
      throw new MeshupError(`internal: ${shown} is declared read-only, but ${spec.tool} changes things with it`);
    }
    const record: CommandRecord = { command: shown, mutates: !spec.readOnly, skipped: false };
    this.core.history.push(record);

    if (!spec.readOnly && this.dryRun) {
      record.skipped = true;
      this.spawned(spec);
      this.opts.log(`[dry-run] ${shown}`);
      return { stdout: spec.dryRunStdout ?? '', stderr: '', exitCode: 0, skipped: true };
    }
    if (this.verbose) this.opts.log(`$ ${shown}`);
    // Two cluster tools rewriting one kubeconfig at once would lose a context: they take turns, in
    // this process and across processes (a lock file beside the kubeconfig: two meshups at once).
    if (toolDescriptor(spec.tool).writesKubeconfig?.(spec.args)) {
      const kubeconfig = kubeconfigPath(this.env, this.opts.cwd);
      const onWait = (h: LockHolder | undefined) =>
        this.opts.log(`waiting for ${h ? `pid ${h.pid} (${h.command})` : 'another meshup'} to finish rewriting ${kubeconfig}`);
      return serialized(`kubeconfig\0${kubeconfig}`, () =>
        withLockIfPossible(`${kubeconfig}.meshup-lock`, shown, { wait: true, signal: this.opts.signal, onWait }, () =>
          this.spawn(spec, file, args, shown, record),
        ),
      );
    }
    return this.spawn(spec, file, args, shown, record);
  }

  private async spawn(spec: RunSpec, file: string, args: string[], shown: string, record: CommandRecord): Promise<RunResult> {
    const started = Date.now();
    const child = execa(file, args, {
      input: spec.input,
      env: { ...this.env, ...spec.env },
      extendEnv: false,
      cwd: this.opts.cwd,
      reject: false,
      stripFinalNewline: true,
      timeout: spec.timeoutMs ?? this.opts.defaultTimeoutMs ?? 10 * 60_000,
      cancelSignal: anySignal(this.opts.signal, spec.signal),
      forceKillAfterDelay: FORCE_KILL_MS,
      maxBuffer: 256 * 1024 * 1024,
      stdin: spec.input === undefined ? 'ignore' : 'pipe',
      detached: GROUPS,
    });
    this.core.live.add(child);
    // Ctrl-C reaches what the child started too, as from a terminal; a call stopped on its own
    // has its tree sent the TERM execa sends the child. What stays is killed as the child is.
    onAbortStopTree(child, this.opts.signal, 'SIGINT');
    onAbortStopTree(child, spec.signal, 'SIGTERM');
    // A child that has already exited, or a system without priorities, runs as it is.
    if (spec.background && child.pid !== undefined) {
      try {
        setPriority(child.pid, 19);
      } catch {}
    }
    this.spawned(spec);
    if (spec.onLine) followLines(child, spec.onLine);
    const r = await child.finally(() => this.core.live.delete(child));
    record.ms = Date.now() - started;
    record.exitCode = r.exitCode;

    if (r.isCanceled || this.opts.signal?.aborted || spec.signal?.aborted) throw new InterruptedError();
    // A spawn that failed has no exit code, only the system's error code.
    const code = (r as { code?: string }).code;
    if (code === 'ENOENT') throw new ToolMissingError(file, installHint(spec.tool));
    if (r.exitCode === undefined && (code === 'ENOEXEC' || code === 'EACCES')) {
      throw new CommandFailedError(`${spec.step ? `${spec.step}: ` : ''}${file} cannot be executed (${code})`, shown, [], undefined, {
        fix:
          code === 'ENOEXEC'
            ? `It is built for another CPU architecture or OS (this is ${process.platform}/${process.arch})`
            : `Make it executable: chmod +x ${file}`,
      });
    }
    const exitCode = r.exitCode ?? -1;
    const stdout = String(r.stdout ?? '');
    const stderr = String(r.stderr ?? '');
    if (r.timedOut) {
      throw new CommandFailedError(
        `${spec.step ? `${spec.step}: ` : ''}${spec.tool} did not finish within ${Math.round((spec.timeoutMs ?? 0) / 1000)}s`,
        shown,
        tail(stderr || stdout),
        undefined,
        { fix: 'Run it again with --verbose to watch it; a slow machine may need a longer --timeout' },
      );
    }
    if (exitCode !== 0 && !spec.okExitCodes?.includes(exitCode)) {
      throw this.failure(spec, shown, exitCode, stdout, stderr);
    }
    return { stdout, stderr, exitCode, skipped: false };
  }

  /** A GET straight from the pinned context's API server: no kubectl process, no discovery, and
   * the Accept header is the caller's (the API server can send metadata only). Undefined when the
   * context's credentials need kubectl (an exec plugin, say), when MESHUP_DIRECT_API=0, or when
   * the request fails before any answer: the caller then reads with kubectl, whose errors are
   * the ones meshup knows how to explain. Any HTTP answer is returned, whatever its status. */
  apiGet(spec: ApiGetSpec): Promise<ApiResponse | undefined> {
    return this.apiCall('GET', spec.path, { accept: spec.accept ?? 'application/json' }, undefined, spec.timeoutMs, spec.echo !== false);
  }

  /** A server-side apply straight to the pinned context's API server, answered as apiGet is. It
   * changes the cluster, so under --dry-run it is never sent (undefined: the caller goes to
   * kubectl, which prints the command instead); the caller's apply is then kubectl's as a whole,
   * which is safe to repeat, as a server-side apply is. */
  apiApply(spec: ApiApplySpec): Promise<ApiResponse | undefined> {
    if (this.dryRun) return Promise.resolve(undefined);
    return this.apiCall('PATCH', spec.path, { accept: 'application/json', 'content-type': 'application/apply-patch+yaml' }, spec.body, spec.timeoutMs, true);
  }

  /** The same apply as a server-side dry run (dryRun=All): the API server answers with the object
   * as the apply would leave it, and stores nothing. It changes nothing, so --dry-run sends it too. */
  apiDryRunApply(spec: ApiApplySpec): Promise<ApiResponse | undefined> {
    const path = `${spec.path}${spec.path.includes('?') ? '&' : '?'}dryRun=All`;
    const headers = { accept: 'application/json', 'content-type': 'application/apply-patch+yaml' };
    return this.apiCall('PATCH', path, headers, spec.body, spec.timeoutMs, false, false);
  }

  private async apiCall(
    method: 'GET' | 'PATCH',
    path: string,
    extraHeaders: Record<string, string>,
    body: string | undefined,
    timeoutMs: number | undefined,
    echo: boolean,
    mutates = method !== 'GET',
  ): Promise<ApiResponse | undefined> {
    this.throwIfAborted();
    const context = this.context;
    if (!context) throw new MeshupError('internal: an API call before a kube context was pinned (a runner bound by forContext)');
    const { endpoints, kubectlOnly } = this.core;
    if (this.env.MESHUP_DIRECT_API === '0' || kubectlOnly.has(context)) return undefined;
    // Resolved once per context; a context not in the kubeconfig yet (its cluster is still being
    // created) is looked up again next time.
    if (!endpoints.has(context)) {
      const ep = resolveKubeEndpoint(this.env, home(this.env), context, this.opts.cwd);
      const agent =
        ep?.server.startsWith('https:') &&
        new Agent({ keepAlive: true, ca: ep.ca, cert: ep.cert, key: ep.key, rejectUnauthorized: !ep.insecure, servername: ep.serverName });
      if (agent) this.core.agents.push(agent);
      if (ep) endpoints.set(context, { ep, agent: agent || undefined });
    }
    const target = endpoints.get(context);
    if (!target) return undefined;
    const url = `${target.ep.server}${path}`;
    const shown = `${method} ${url}`;
    const record: CommandRecord = { command: shown, mutates, skipped: false };
    this.core.history.push(record);
    if (this.verbose && echo) this.opts.log(`$ ${shown}`);
    const started = Date.now();
    const headers: Record<string, string> = { ...extraHeaders, 'User-Agent': 'meshup' };
    if (target.ep.token) headers.Authorization = `Bearer ${target.ep.token}`;
    const signal = anySignal(this.opts.signal, AbortSignal.timeout(timeoutMs ?? this.opts.defaultTimeoutMs ?? 30_000));
    const once = () =>
      new Promise<ApiResponse>((resolve, reject) => {
        const req = (target.agent ? request : plainRequest)(url, { method, headers, agent: target.agent, signal }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          r.on('error', reject);
        });
        req.on('error', (e: NodeJS.ErrnoException) => reject(Object.assign(e, { reused: req.reusedSocket })));
        req.end(body);
      });
    try {
      // A kept-alive socket the server closed meanwhile fails at once: one more try, on a new one.
      const res = await once().catch((e: NodeJS.ErrnoException & { reused?: boolean }) => {
        if (e.reused && e.code === 'ECONNRESET') return once();
        throw e;
      });
      record.exitCode = res.status;
      // Credentials the API server refuses will not do better next time.
      if (res.status === 401) kubectlOnly.add(context);
      return res;
    } catch (e) {
      if (this.opts.signal?.aborted) throw new InterruptedError();
      const code = (e as NodeJS.ErrnoException).code ?? '';
      // A certificate Node cannot verify (a CA only in the system's store, which Go reads and Node
      // does not, say) will not verify next time either: kubectl reads this context from now on.
      if (/CERT|TLS|SSL|SIGNATURE/.test(code)) kubectlOnly.add(context);
      // A cluster created again since gets a new address and certificates: resolve them anew.
      if (endpoints.get(context) === target) endpoints.delete(context);
      if (this.verbose) this.opts.log(`  (no answer: ${(e as Error).message}; kubectl instead)`);
      return undefined;
    } finally {
      record.ms = Date.now() - started;
    }
  }

  /** Starts a long-running child (a port-forward); it is stopped by stopAll() and on Ctrl-C. */
  start(spec: RunSpec): ResultPromise {
    this.throwIfAborted();
    const file = this.binaryFor(spec.tool, spec.bin);
    const args = this.argsFor(spec);
    if (this.verbose) this.opts.log(`$ ${formatCommand(file, args)}`);
    this.core.history.push({ command: formatCommand(file, args), mutates: !spec.readOnly, skipped: false });
    const child = execa(file, args, {
      env: { ...this.env, ...spec.env },
      extendEnv: false,
      cwd: this.opts.cwd,
      reject: false,
      cancelSignal: this.opts.signal,
      forceKillAfterDelay: FORCE_KILL_MS,
      stdin: 'ignore',
      buffer: false,
      detached: GROUPS,
    });
    this.core.live.add(child);
    onAbortStopTree(child, this.opts.signal, 'SIGINT');
    this.spawned(spec);
    void child.finally(() => this.core.live.delete(child));
    return child;
  }

  /** Resolves once a command that `match` accepts has been started (or printed, under --dry-run):
   * for work that should begin only after a slow command is under way. */
  whenStarted(match: (spec: RunSpec) => boolean): Promise<void> {
    return new Promise((resolve) => this.core.spawnWaiters.push({ match, resolve }));
  }

  private spawned(spec: RunSpec): void {
    for (const w of this.core.spawnWaiters.filter((x) => x.match(spec))) {
      this.core.spawnWaiters.splice(this.core.spawnWaiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Stops every child still running; used on interrupt and before exit. */
  async stopAll(): Promise<void> {
    for (const a of this.core.agents) a.destroy();
    const children = [...this.core.live];
    for (const c of children) stopTree(c, 'SIGTERM');
    await Promise.allSettled(children);
  }

  /** A second Ctrl-C: stop waiting, for good. Every child and what it started is killed (clean-up
   * included), and its output is no longer read: a process outside its group that still holds the
   * pipe (a daemon it left) would otherwise keep the call waiting. */
  killAll(): void {
    for (const core of [this.core, ...this.core.cleanups]) {
      for (const c of core.live) {
        signalTree(c, 'SIGKILL');
        for (const stream of [c.stdin, c.stdout, c.stderr]) stream?.destroy();
      }
    }
  }

  private throwIfAborted(): void {
    if (this.opts.signal?.aborted) throw new InterruptedError();
  }

  private failure(spec: RunSpec, shown: string, exitCode: number, stdout: string, stderr: string): MeshupError {
    const output = `${stderr}\n${stdout}`;
    const known = matchKnownError(spec.tool, output);
    const what = known?.message ?? `${spec.tool} exited with code ${exitCode}`;
    return new CommandFailedError(`${spec.step ? `${spec.step}: ` : ''}${what}`, shown, tail(stderr || stdout), exitCode, {
      fix: known?.fix ?? `Run the command above yourself to see its full output, or re-run meshup with --verbose`,
    });
  }
}

/** Calls `onLine` with every non-empty line of a child's output as it arrives; a progress bar's
 * carriage returns end lines too. A line still being written is reported at once, then again
 * only if more of it comes: off a terminal, a progress bar (istioctl's, pb v3 with "\n" as its
 * return symbol) starts each message with the end of the one before, so a status waits for the
 * next one to be ended, which can be seconds later. */
function followLines(child: ResultPromise, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    let reported = '';
    const report = (text: string) => {
      const t = text.trim();
      if (t && t !== reported) onLine(t);
    };
    stream?.on('data', (chunk: Buffer | string) => {
      const parts = (partial + String(chunk)).split(/\r\n|\r|\n/);
      partial = parts.pop() ?? '';
      for (const l of parts) {
        report(l);
        reported = '';
      }
      report(partial);
      reported = partial.trim();
    });
    stream?.on('end', () => report(partial));
  }
}

export function tail(text: string, lines = 8): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-lines);
}
