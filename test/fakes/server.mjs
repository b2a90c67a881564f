// Serves the fake tools to their shell client (./client) from the test process: one TCP server
// on 127.0.0.1 per test process, any number of sealed worlds (each call names its FAKE_STATE).
// The fakes are the same functions bin/<tool> runs; calls of one world take turns as they do
// through bin/'s lock directory, and a fake that waits (a slow create) lets others run.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Call, Exit } from './lib.mjs';
import docker from './tools/docker.mjs';
import istioctl from './tools/istioctl.mjs';
import kind from './tools/kind.mjs';
import kubectl from './tools/kubectl.mjs';
import minikube from './tools/minikube.mjs';

const FAKES = { docker, istioctl, kind, kubectl, minikube };

/** One call at a time per world. */
class Turns {
  busy = false;
  /** @type {(() => void)[]} */
  waiting = [];
  async take() {
    if (!this.busy) {
      this.busy = true;
      return;
    }
    await new Promise((r) => this.waiting.push(r));
  }
  give() {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}
/** @type {Map<string, Turns>} */
const worlds = new Map();

// The header the client sends: tool, pid, cwd, FAKE_STATE, FAKE_ISTIOCTL_VERSION, stdin file, argc, args; each NUL-ended.
const FIXED = 7;

/** @param {import('node:net').Socket} socket */
function serve(socket) {
  let buf = Buffer.alloc(0);
  const gone = new AbortController();
  socket.on('close', () => gone.abort());
  socket.on('error', () => {});
  const onData = (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const fields = buf.toString('utf8').split('\0');
    const complete = fields.length - 1;
    if (complete < FIXED || complete < FIXED + Number(fields[FIXED - 1])) return;
    socket.off('data', onData);
    const [tool, pid, cwd, dir, istioctlVersion, input, argc] = fields;
    void answer(socket, gone.signal, { tool, pid: Number(pid), cwd, dir, istioctlVersion, input, args: fields.slice(FIXED, FIXED + Number(argc)) });
  };
  socket.on('data', onData);
}

async function answer(socket, signal, c) {
  const out = [];
  const err = [];
  let code = 0;
  const turns = worlds.get(c.dir) ?? new Turns();
  worlds.set(c.dir, turns);
  let mine = false;
  const take = async () => {
    await turns.take();
    mine = true;
  };
  const give = () => {
    if (!mine) return;
    mine = false;
    turns.give();
  };
  try {
    const fake = FAKES[c.tool];
    if (!fake) throw new Error(`no fake named ${c.tool}`);
    await take();
    // Killed while waiting its turn: a process that is gone changes nothing.
    if (signal.aborted) throw new Exit(143);
    await fake(
      new Call({
        tool: c.tool,
        args: c.args,
        env: { FAKE_STATE: c.dir, FAKE_ISTIOCTL_VERSION: c.istioctlVersion || undefined },
        cwd: c.cwd,
        pid: c.pid,
        stdin: () => (c.input ? readFileSync(c.input, 'utf8') : ''),
        stdout: (s) => out.push(s),
        stderr: (s) => err.push(s),
        unlock: give,
        relock: take,
        signal,
      }),
    );
  } catch (e) {
    if (e instanceof Exit) code = e.code;
    else {
      err.push(`fake ${c.tool} failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      code = 70;
    }
  } finally {
    give();
    if (c.input) rmSync(c.input, { force: true });
  }
  if (signal.aborted) return;
  try {
    if (err.length) writeFileSync(join(c.dir, `.call-${c.pid}.err`), err.join(''));
  } catch {
    // The world was cleaned up under a call a test left behind: nobody reads this answer.
  }
  socket.end(`${code}\n${out.join('')}`);
}

/** Starts the server; FAKE_PORT in a world's environment points its client at it. */
export async function serveFakes() {
  const server = createServer(serve);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  // Never what keeps a test process alive.
  server.unref();
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}
