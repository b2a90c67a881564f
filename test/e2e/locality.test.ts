// Issue 24's case end to end: a kubeconfig context named like kind's whose server is a remote
// address is refused with exit 4, and nothing is sent to it. bin/meshup runs in a network
// namespace with no interfaces (`unshare -n`, as root; `unshare -rn` otherwise), so no connection
// can be made at all, and with a PATH of fake tools that only write down that they were started:
// the refusal comes before any kubectl or istioctl. A context on loopback, run the same way, does
// get that far: the fakes would have seen a call.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MESHUP } from '../helpers/sealed.js';

/** The unshare arguments that give a process an empty network namespace here, or why none can. */
function isolation(): { args: string[] } | { why: string } {
  if (process.platform !== 'linux') return { why: `network namespaces are Linux's (this is ${process.platform})` };
  const unshare = ['/usr/bin/unshare', '/bin/unshare'].find(existsSync);
  if (!unshare) return { why: 'unshare (util-linux) is not installed' };
  const args = process.getuid?.() === 0 ? [unshare, '-n'] : [unshare, '-r', '-n'];
  try {
    execFileSync(args[0]!, [...args.slice(1), 'true'], { stdio: 'pipe' });
  } catch (e) {
    return { why: `${args.join(' ')} is not allowed here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}` };
  }
  return { args };
}

const iso = isolation();
const why = 'why' in iso ? iso.why : undefined;
if (why) console.warn(`locality e2e skipped: ${why}`);

const dir = mkdtempSync(join(tmpdir(), 'meshup-locality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fakes = join(dir, 'bin');
const started = join(dir, 'started.log');
mkdirSync(fakes);
mkdirSync(join(dir, 'home'));
mkdirSync(join(dir, 'work'));
// Each fake writes down that it was started, and fails: meshup gets no answer from any of them.
for (const tool of ['kubectl', 'istioctl', 'kind', 'minikube', 'docker', 'kwokctl']) {
  writeFileSync(join(fakes, tool), `#!/bin/sh\necho "${tool} $*" >> "${started}"\nexit 99\n`, { mode: 0o755 });
}
const kubeconfig = join(dir, 'home', 'kubeconfig');
const context = (name: string, server: string) => ({ name, server });
const KUBECONFIG_TEXT = (contexts: { name: string; server: string }[]) =>
  [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${contexts[0]!.name}`,
    'contexts:',
    ...contexts.flatMap((c) => [`- name: ${c.name}`, `  context: { cluster: ${c.name}, user: ${c.name} }`]),
    'clusters:',
    ...contexts.flatMap((c) => [`- name: ${c.name}`, `  cluster: { server: "${c.server}", insecure-skip-tls-verify: true }`]),
    'users:',
    ...contexts.flatMap((c) => [`- name: ${c.name}`, '  user: { token: secret }']),
    '',
  ].join('\n');
writeFileSync(
  kubeconfig,
  KUBECONFIG_TEXT([
    context('kind-prod', 'https://203.0.113.10:6443'),
    context('kind-meshup', 'https://203.0.113.10:6443'),
    context('kind-dev', 'https://127.0.0.1:1'),
  ]),
);

async function isolated(args: string[]) {
  rmSync(started, { force: true });
  const [cmd, ...pre] = (iso as { args: string[] }).args;
  const r = await execa(cmd!, [...pre, process.execPath, MESHUP, ...args, '--verbose'], {
    env: {
      PATH: fakes,
      HOME: join(dir, 'home'),
      KUBECONFIG: kubeconfig,
      XDG_CACHE_HOME: join(dir, 'home', '.cache'),
      XDG_STATE_HOME: join(dir, 'home', '.state'),
      CI: 'true',
      NO_COLOR: '1',
      MESHUP_ISTIO_MIRROR: 'http://127.0.0.1:9',
      MESHUP_GATEWAY_API_MIRROR: 'http://127.0.0.1:9',
    },
    extendEnv: false,
    cwd: join(dir, 'work'),
    reject: false,
    timeout: 60_000,
  });
  return { exitCode: r.exitCode, stderr: String(r.stderr), stdout: String(r.stdout), started: existsSync(started) ? readFileSync(started, 'utf8') : '' };
}

describe.skipIf(!!why)(`a local-looking context with a remote server${why ? ` (skipped: ${why})` : ''}`, () => {
  it.each([
    [['status', '--provider', 'existing', '--context', 'kind-prod'], 'kind-prod'],
    [['up', '--provider', 'existing', '--context', 'kind-prod', '--yes'], 'kind-prod'],
    // A cluster meshup creates: its context, once in the kubeconfig, is judged the same way.
    [['up', '--provider', 'kind', '--yes'], 'kind-meshup'],
    [['status', '--provider', 'kind'], 'kind-meshup'],
  ])('meshup %j is refused with exit 4, before any tool is started or anything is sent', async (args, name) => {
    const r = await isolated(args);
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toContain(`error: Refusing to use context "${name}": its server https://203.0.113.10:6443 is not on this machine`);
    expect(r.stderr).toContain(`fix: If this really is a disposable cluster, allow it by name: --allow-context ${name}`);
    expect(r.stdout).toBe('');
    // --verbose echoes every program started and every request sent: there is none.
    expect(r.stderr).not.toMatch(/^\$ /m);
    expect(r.started).toBe('');
  });

  it('a context on loopback gets past the check, run the same way: the fakes see its first call', async () => {
    const r = await isolated(['status', '--provider', 'existing', '--context', 'kind-dev']);
    expect(r.stderr).not.toContain('Refusing');
    expect(r.started).toMatch(/^kubectl /m);
  });

  it('allowed by name, the remote one is used as asked (and, here, cannot be reached)', async () => {
    const r = await isolated(['status', '--provider', 'existing', '--context', 'kind-prod', '--allow-context', 'kind-prod']);
    expect(r.stderr).not.toContain('Refusing');
    expect(r.started).toMatch(/^kubectl /m);
  });
});
