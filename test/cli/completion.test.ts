// Shell completion as a shell runs it: the script `meshup completion bash` prints is sourced in a
// bash without bash-completion loaded (and with it, where this machine has it), the function it
// registers is called as bash calls it on Tab (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT),
// and COMPREPLY is read back. Its callback runs bin/meshup, so dist/bundle must be built (npm test
// does; here only when it is missing).
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadAddonCatalog } from '../../src/config/catalog.js';
import { DATAPLANES, PROVIDERS, SCHEMAS } from '../../src/config/schema.js';
import { which } from '../../src/util/which.js';
import { MESHUP, ROOT, type Sealed, sealed } from '../helpers/sealed.js';

const BASH = which('bash', process.env);
const ZSH = which('zsh', process.env);
const FISH = which('fish', process.env);
const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';

/** The printed bash script, made once: each Tab then costs one meshup process, as in a shell. */
let script = '';
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) await execa('npm', ['run', 'build'], { cwd: ROOT });
  script = (await execa(process.execPath, [MESHUP, 'completion', 'bash'])).stdout;
}, 300_000);

let w: Sealed;
beforeEach(() => {
  w = sealed();
  // `meshup` on the sealed PATH, as an installed one would be: the scripts call back by that name.
  writeExecutable('meshup', `#!/bin/sh\nexec node '${MESHUP}' "$@"\n`);
  writeFileSync(join(w.dir, 'meshup.bash'), script);
});
afterEach(() => w.cleanup());

function writeExecutable(name: string, text: string): void {
  const file = join(w.dir, 'bin', name);
  rmSync(file, { force: true });
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** A kubectl that answers `get namespaces -o name`, noting the arguments it was given. */
function fakeKubectl(body = 'printf "namespace/default\\nnamespace/istio-system\\nnamespace/shop\\n"'): string {
  const argsFile = join(w.dir, 'kubectl-args');
  writeExecutable('kubectl', `#!/bin/sh\necho "$@" > '${argsFile}'\n${body}\n`);
  return argsFile;
}

// Sources the script (after bash-completion when $BASH_COMPLETION names it), then plays one Tab.
// Bash splits the line at spaces here (none of these lines has a quote, = or :), a trailing space
// starting a new word.
const TAB = `
if [ -n "\${BASH_COMPLETION:-}" ]; then source "$BASH_COMPLETION" || exit 89; fi
source meshup.bash || exit 90
spec=$(complete -p meshup) || exit 91
fn=\${spec##*-F }; fn=\${fn%% *}
COMP_LINE=$1; COMP_POINT=\${#1}; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
"$fn" meshup "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

async function tab(line: string, env: Record<string, string> = {}): Promise<string[]> {
  const r = await execa(BASH!, ['--norc', '--noprofile', '-c', TAB, 'bash', line, ...line.split(' ')], {
    env: { ...w.env, ...env },
    extendEnv: false,
    cwd: w.dir,
    reject: false,
    timeout: 30_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  // compopt only works while bash itself is completing; anything else on stderr is a fault.
  expect(r.stderr.split('\n').filter((l) => l && !l.includes('compopt: not currently executing completion function'))).toEqual([]);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe.skipIf(!BASH)('meshup completion bash', () => {
  it('completes subcommands, nested ones, and flags (global ones too)', async () => {
    const top = await tab('meshup ');
    expect(top).toEqual(expect.arrayContaining(['up', 'plan', 'down', 'status', 'addons', 'injection', 'waypoint', 'schema', 'completion']));
    expect(top).not.toContain('complete');
    expect(await tab('meshup st')).toEqual(['status']);
    expect(await tab('meshup addons ')).toEqual(['disable', 'enable', 'list']);
    expect(await tab('meshup injection ')).toEqual(['disable', 'enable', 'list']);
    expect(await tab('meshup waypoint ap')).toEqual(['apply']);
    expect(await tab('meshup up --pro')).toEqual(['--profile', '--provider']);
    expect(await tab('meshup addons enable --istio-')).toEqual(['--istio-dir', '--istio-mirror']);
    expect(await tab('meshup status --js')).toEqual(['--json']);
    expect(await tab('meshup down --keep')).toEqual(['--keep-cluster']);
  });

  it('completes the values meshup knows: profiles, addons, providers, dataplanes, schemas, shells', async () => {
    const addons = [...(await loadAddonCatalog()).keys()].sort();
    expect(await tab('meshup up --profile ')).toEqual(['ambient', 'default', 'demo', 'minimal']);
    expect(await tab('meshup plan -p de')).toEqual(['default', 'demo']);
    expect(await tab('meshup profiles show m')).toEqual(['minimal']);
    expect(await tab('meshup addons enable ')).toEqual(addons);
    expect(await tab('meshup addons enable kiali ')).toEqual(addons.filter((a) => a !== 'kiali'));
    expect(await tab('meshup addons disable pro')).toEqual(['prometheus']);
    expect(await tab('meshup dashboard ')).toEqual(addons);
    expect(await tab('meshup up --addons kiali,')).toEqual(addons.filter((a) => a !== 'kiali').map((a) => `kiali,${a}`));
    expect(await tab('meshup up --provider ')).toEqual([...PROVIDERS].sort());
    expect(await tab('meshup doctor --dataplane ')).toEqual([...DATAPLANES].sort());
    expect(await tab('meshup schema ')).toEqual(Object.keys(SCHEMAS).sort());
    expect(await tab('meshup completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(await tab('meshup expose web --api ')).toEqual(['gateway', 'istio']);
  });

  it('completes --context from the kubeconfig files, without starting kubectl', async () => {
    const argsFile = fakeKubectl();
    const second = join(w.dir, 'home', 'second.yaml');
    writeFileSync(
      w.env.KUBECONFIG!,
      'apiVersion: v1\nkind: Config\ncontexts:\n- name: kind-dev\n  context: {cluster: kind-dev}\n- name: minikube\n  context: {cluster: minikube}\n',
    );
    writeFileSync(second, 'contexts:\n- name: kind-staging\n  context: {cluster: kind-staging}\n');
    const kubeconfig = `${w.env.KUBECONFIG}:${second}`;
    expect(await tab('meshup --context ', { KUBECONFIG: kubeconfig })).toEqual(['kind-dev', 'kind-staging', 'minikube']);
    expect(await tab('meshup status --context kind-', { KUBECONFIG: kubeconfig })).toEqual(['kind-dev', 'kind-staging']);
    expect(existsSync(argsFile)).toBe(false);
    // No kubeconfig at all: nothing to offer, and no error either.
    expect(await tab('meshup --context ', { KUBECONFIG: join(w.dir, 'none') })).toEqual([]);
  });

  it("completes namespaces from kubectl, on the line's --context", async () => {
    const argsFile = fakeKubectl();
    expect(await tab('meshup expose web -n ')).toEqual(['default', 'istio-system', 'shop']);
    expect(await tab('meshup --context kind-dev waypoint apply --namespace s')).toEqual(['shop']);
    expect(readFileSync(argsFile, 'utf8').trim()).toBe('--context kind-dev get namespaces -o name --request-timeout=1s');
    expect(await tab('meshup injection enable default ')).toEqual(['istio-system', 'shop']);
    expect(await tab('meshup up --namespaces default,')).toEqual(['default,istio-system', 'default,shop']);
  });

  it('offers no namespaces, silently and within a second or so, when kubectl fails or hangs', async () => {
    fakeKubectl('echo "Unable to connect to the server" >&2; exit 1');
    expect(await tab('meshup expose web -n ')).toEqual([]);
    fakeKubectl('exec /bin/sleep 20');
    const started = Date.now();
    expect(await tab('meshup expose web -n ')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
    w.hide('kubectl');
    expect(await tab('meshup expose web -n ')).toEqual([]);
  });

  it.skipIf(!existsSync(BASH_COMPLETION))('works the same with bash-completion loaded', async () => {
    const env = { BASH_COMPLETION };
    expect(await tab('meshup addons ', env)).toEqual(['disable', 'enable', 'list']);
    expect(await tab('meshup up --pro', env)).toEqual(['--profile', '--provider']);
    expect(await tab('meshup up --profile ', env)).toEqual(['ambient', 'default', 'demo', 'minimal']);
  });

  it('sources quietly, again and again', async () => {
    const r = await execa(
      BASH!,
      ['--norc', '--noprofile', '-c', 'source <(meshup completion bash) && source <(meshup completion bash) && complete -p meshup'],
      {
        env: w.env,
        extendEnv: false,
        reject: false,
      },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^complete -F \S+ meshup$/);
  });
});

describe('meshup completion', () => {
  it('prints the script of each shell it knows', async () => {
    expect((await w.run(['completion', 'bash'])).stdout).toContain('complete -F');
    expect((await w.run(['completion', 'zsh'])).stdout).toMatch(/^#compdef meshup\n/);
    expect((await w.run(['completion', 'fish'])).stdout).toContain('complete -c meshup');
  });

  it('refuses an unknown shell as a usage error, naming the known ones', async () => {
    const r = await w.run(['completion', 'powershell']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Unknown shell "powershell"');
    expect(r.stderr).toContain('valid shells: bash, zsh, fish');
    const near = await w.run(['completion', 'bsh']);
    expect(near.exitCode).toBe(2);
    expect(near.stderr).toContain('Did you mean: meshup completion bash');
  });

  it.skipIf(!ZSH)('loads in zsh and registers its function', async () => {
    const r = await execa(ZSH!, ['-f', '-c', 'autoload -U compinit && compinit -u -D && source <(meshup completion zsh) && print -r -- $_comps[meshup]'], {
      env: w.env,
      extendEnv: false,
      reject: false,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('_meshup');
  });

  it.skipIf(!FISH)('completes in fish', async () => {
    const r = await execa(FISH!, ['--no-config', '-c', 'meshup completion fish | source; complete -C "meshup addons "'], {
      env: w.env,
      extendEnv: false,
      reject: false,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['enable', 'disable', 'list']));
  });
});
