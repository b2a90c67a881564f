// Shared plumbing of the fake tools: a JSON state file and a call log under $FAKE_STATE.
// A fake that meets a call it does not know exits 99 with "fake <tool>: unexpected call", so a
// test can never fall through to a real program by accident.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.FAKE_STATE;
if (!dir) {
  process.stderr.write('fake tools need FAKE_STATE\n');
  process.exit(98);
}
const file = join(dir, 'state.json');

// meshup runs fakes in parallel; one at a time keeps their read-modify-write of state.json whole.
const lock = join(dir, 'lock');
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let held = false;

export function relock() {
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
}

/** Lets other fakes run while this one stands for a slow operation. */
export function unlock() {
  if (!held) return;
  held = false;
  try {
    rmdirSync(lock);
  } catch {}
}

relock();
process.on('exit', unlock);

export function load() {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

export function save(state) {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

export function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

export function record(tool, args, stdin) {
  appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify({ tool, args, stdin })}\n`);
}

export function out(s) {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

export function fail(msg, code = 1) {
  process.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`);
  process.exit(code);
}

export function unexpected(tool, args) {
  fail(`fake ${tool}: unexpected call: ${args.join(' ')}`, 99);
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
