// Shared plumbing of the fake tools. Each fake is a function of a call (tools/*.mjs) that reads
// and writes a JSON state file and appends to a call log, both under the call's FAKE_STATE
// directory. A fake that meets a call it does not know exits 99 with "fake <tool>: unexpected
// call", so a test can never fall through to a real program by accident.
//
// A call runs one of two ways, with the same code:
// - standalone (bin/<tool>): a node process per call, as any program meshup starts; the fakes of
//   one world then take turns through a lock directory;
// - served (server.mjs): the test process runs the fake for a small shell client (client) that
//   meshup starts instead; one process per call still, but a shell's start instead of node's.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown by exit() and fail(): ends the call with this status. */
export class Exit {
  /** @param {number} code */
  constructor(code) {
    this.code = code;
  }
}

/**
 * @typedef {object} Io
 * @property {string} tool
 * @property {string[]} args
 * @property {{ FAKE_STATE: string, FAKE_ISTIOCTL_VERSION?: string }} env
 * @property {string} cwd
 * @property {number} pid the process meshup started for this call
 * @property {() => string} stdin
 * @property {(s: string) => void} stdout
 * @property {(s: string) => void} stderr
 * @property {() => void} unlock lets other calls of the world run while this one stands for a slow operation
 * @property {() => Promise<void>} relock
 * @property {AbortSignal} signal aborted when the process meshup started is gone (killed)
 */

/** What a fake sees of its call: arguments, state, output, and the ways to end. */
export class Call {
  /** @param {Io} io */
  constructor(io) {
    this.io = io;
    this.tool = io.tool;
    this.args = io.args;
    this.env = io.env;
    this.cwd = io.cwd;
    this.pid = io.pid;
    this.dir = io.env.FAKE_STATE;
    this.file = join(this.dir, 'state.json');
  }

  load() {
    return existsSync(this.file) ? JSON.parse(readFileSync(this.file, 'utf8')) : {};
  }

  save(state) {
    writeFileSync(`${this.file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${this.file}.tmp`, this.file);
  }

  readStdin() {
    return this.io.stdin();
  }

  record(tool, args, stdin) {
    appendFileSync(join(this.dir, 'calls.jsonl'), `${JSON.stringify({ tool, args, stdin })}\n`);
  }

  /** A line on stdout. */
  out(s) {
    this.io.stdout(s.endsWith('\n') ? s : `${s}\n`);
  }

  /** Bytes on stdout, as they are. */
  write(s) {
    this.io.stdout(s);
  }

  err(s) {
    this.io.stderr(s);
  }

  /** @returns {never} */
  exit(code = 0) {
    throw new Exit(code);
  }

  /** @returns {never} */
  fail(msg, code = 1) {
    this.err(msg.endsWith('\n') ? msg : `${msg}\n`);
    throw new Exit(code);
  }

  /** @returns {never} */
  unexpected(args = this.args) {
    return this.fail(`fake ${this.tool}: unexpected call: ${args.join(' ')}`, 99);
  }

  unlock() {
    this.io.unlock();
  }

  relock() {
    return this.io.relock();
  }

  /** Waits as a slow operation would; ends the call when the process meshup started is killed. */
  sleep(ms) {
    return new Promise((resolve, reject) => {
      if (this.io.signal.aborted) return reject(new Exit(143));
      const t = setTimeout(resolve, ms);
      this.io.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Exit(143));
      });
    });
  }
}

/** Adds a context the way kind and minikube do: a cluster entry, a context, current-context. */
export function addContext(state, name, server) {
  state.kubeconfig ??= { contexts: [] };
  state.kubeconfig.contexts = state.kubeconfig.contexts.filter((c) => c.name !== name);
  state.kubeconfig.contexts.push({ name, cluster: name, server, reachable: true });
  state.kubeconfig.current = name;
}

export function removeContext(state, name) {
  if (!state.kubeconfig) return;
  state.kubeconfig.contexts = state.kubeconfig.contexts.filter((c) => c.name !== name);
  if (state.kubeconfig.current === name) state.kubeconfig.current = '';
}

/** Runs a call of a fake as this process (bin/<tool>): process I/O and a lock directory. */
export async function standalone(tool, fake) {
  const dir = process.env.FAKE_STATE;
  if (!dir) {
    process.stderr.write('fake tools need FAKE_STATE\n');
    process.exit(98);
  }
  // meshup runs fakes in parallel; one at a time keeps their read-modify-write of state.json whole.
  const lock = join(dir, 'lock');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let held = false;
  const relock = () => {
    for (let i = 0; ; i++) {
      try {
        mkdirSync(lock);
        held = true;
        return;
      } catch {
        if (i > 2000) return; // a lock left by a killed fake: go on rather than hang a test
        Atomics.wait(sleeper, 0, 0, 5);
      }
    }
  };
  const unlock = () => {
    if (!held) return;
    held = false;
    try {
      rmdirSync(lock);
    } catch {}
  };
  relock();
  process.on('exit', unlock);
  const call = new Call({
    tool,
    args: process.argv.slice(2),
    env: { FAKE_STATE: dir, FAKE_ISTIOCTL_VERSION: process.env.FAKE_ISTIOCTL_VERSION },
    cwd: process.cwd(),
    pid: process.pid,
    stdin: () => {
      try {
        return readFileSync(0, 'utf8');
      } catch {
        return '';
      }
    },
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    unlock,
    relock: async () => relock(),
    signal: new AbortController().signal,
  });
  try {
    await fake(call);
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    process.exitCode = e.code;
  }
}
