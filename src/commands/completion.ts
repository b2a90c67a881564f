// Shell completion, made by @bomb.sh/tab: `meshup completion <shell>` prints tab's script, and on
// every Tab the script runs `meshup complete -- <words>`, answered here from the commander program
// the CLI itself runs, plus the names meshup can offer. A person waits for each answer, so names
// come from directories and kubeconfig files read directly (no zod, no execa), and only namespaces
// ask the cluster, for a second at most.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RootCommand, type Command as TabCommand } from '@bomb.sh/tab';
import type { Command } from 'commander';
import { home } from '../config/paths.js';
import { UsageError } from '../errors.js';
import { readKubeconfigs } from '../exec/kube-endpoint.js';
import type { App } from '../session/app.js';
import { namespaceNames } from '../tools/kubectl.js';
import { closest } from '../util/suggest.js';
import { excerpt } from '../util/text.js';

const SHELLS = ['bash', 'zsh', 'fish'];

// Copies of config/schema.ts PROVIDERS, DATAPLANES and SCHEMAS' keys, which load zod; a test
// holds them equal.
const PROVIDERS = ['minikube', 'kind', 'existing', 'kwok'];
const DATAPLANES = ['sidecar', 'ambient'];
const SCHEMA_KINDS = ['profile', 'addon', 'config', 'versions'];

// The package root, found as config/catalog.ts finds it (not imported: it loads zod).
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function completion(app: App, shell: string): Promise<void> {
  if (!SHELLS.includes(shell)) {
    const near = closest(shell, SHELLS);
    throw new UsageError(`Unknown shell "${excerpt(shell)}"`, {
      details: [`valid shells: ${SHELLS.join(', ')}`],
      fix: near ? `Did you mean: meshup completion ${near}` : `Use one of: ${SHELLS.map((s) => `meshup completion ${s}`).join(', ')}`,
    });
  }
  const printed = captured(() => new RootCommand().setup('meshup', 'meshup', shell));
  const script = shell === 'bash' ? mendBash(printed) : printed;
  app.out.result({ shell, script });
  if (!app.out.json) app.io.stdout.write(script);
}

/** The script's callback: the words after `meshup`, the last one being completed ('' for a new word). */
export async function complete(app: App, program: Command, words: string[] = []): Promise<void> {
  // Asked only when a namespace is what is being completed: the one answer that costs a process.
  const namespaces = wantsNamespaces(words) ? await clusterNamespaces(app, contextOf(words)) : [];
  const tree = completionTree(program, offers(app, words, namespaces));
  app.io.stdout.write(captured(() => tree.parse([...words])));
}

interface Offers {
  /** Values of a flag, by its long name. */
  flags: Record<string, () => string[]>;
  /** Values of a command's arguments, by the command's path ('addons enable'). */
  args: Record<string, () => string[]>;
}

function offers(app: App, words: string[], clusterNamespaces: string[]): Offers {
  const current = words.at(-1) ?? '';
  const typed = new Set(words.slice(0, -1));
  const addons = () => yamlNames('addons');
  const namespaces = () => clusterNamespaces;
  return {
    flags: {
      provider: () => PROVIDERS,
      profile: () => yamlNames('profiles'),
      addons: () => listItems(current, addons()),
      namespaces: () => listItems(current, namespaces()),
      dataplane: () => DATAPLANES,
      context: () => kubeContexts(app.io.env, app.io.cwd),
      namespace: namespaces,
    },
    // Names already on the line are not offered again.
    args: Object.fromEntries(
      Object.entries({
        'addons enable': addons,
        'addons disable': addons,
        dashboard: addons,
        'injection enable': namespaces,
        'injection disable': namespaces,
        'profiles show': () => yamlNames('profiles'),
        schema: () => SCHEMA_KINDS,
        completion: () => SHELLS,
      }).map(([path, names]) => [path, () => names().filter((n) => !typed.has(n))]),
    ),
  };
}

/** tab's picture of meshup: every visible command, flag and argument, with what each can take. */
function completionTree(program: Command, offers: Offers): RootCommand {
  const root = new RootCommand();
  // Global flags (--context, --json, ...) are taken after any subcommand, as commander takes them.
  root.optionLookupMode = 'parent-first';
  const values = (list: () => readonly string[]) => (complete: (value: string, description: string) => void) => {
    for (const v of list()) complete(v, '');
  };
  const describe = (node: TabCommand, cmd: Command, path: string) => {
    const help = cmd.createHelp();
    for (const o of help.visibleOptions(cmd)) {
      if (!o.long) continue;
      const name = o.long.slice(2);
      const alias = o.short?.slice(1);
      // tab tells a flag that takes a value by its having a handler.
      if (o.required || o.optional) node.option(name, o.description, values(offers.flags[name] ?? (() => o.argChoices ?? [])), alias);
      else node.option(name, o.description, alias);
    }
    for (const a of cmd.registeredArguments) node.argument(a.name(), values(offers.args[path] ?? (() => a.argChoices ?? [])), a.variadic);
    for (const sub of help.visibleCommands(cmd)) {
      const subPath = path ? `${path} ${sub.name()}` : sub.name();
      describe(root.command(subPath, sub.description()), sub, subPath);
    }
  };
  describe(root, program, '');
  return root;
}

/** The bundled profiles or addons: the names of their files. */
function yamlNames(dir: 'profiles' | 'addons'): string[] {
  try {
    return readdirSync(join(PACKAGE_ROOT, dir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A comma-separated list (--addons, --namespaces) completes its last item. */
function listItems(current: string, names: string[]): string[] {
  const head = current.slice(0, current.lastIndexOf(',') + 1);
  const done = head.split(',');
  return names.filter((n) => !done.includes(n)).map((n) => head + n);
}

/** The contexts of the kubeconfig files kubectl reads; none when one of them does not parse. */
function kubeContexts(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const names = (readKubeconfigs(env, home(env), cwd) ?? []).flatMap(({ doc }) => (Array.isArray(doc.contexts) ? doc.contexts.map((c) => c?.name) : []));
  return [...new Set(names.filter((n): n is string => typeof n === 'string'))];
}

/** The --context given earlier on the line, which the namespaces should come from. */
function contextOf(words: string[]): string | undefined {
  const before = words.slice(0, -1);
  for (const [i, w] of before.entries()) {
    if (w === '--context' && i + 1 < before.length) return before[i + 1];
    if (w.startsWith('--context=')) return w.slice('--context='.length);
  }
  return undefined;
}

const NAMESPACE_FLAGS = new Set(['-n', '--namespace', '--namespaces']);

/** Whether the word being completed is a namespace: after a namespace flag, or an argument of
 * `injection enable|disable`. */
function wantsNamespaces(words: string[]): boolean {
  const current = words.at(-1) ?? '';
  return (
    NAMESPACE_FLAGS.has(words.at(-2) ?? '') ||
    current.startsWith('--namespaces=') ||
    (words.includes('injection') && (words.includes('enable') || words.includes('disable')))
  );
}

/** The cluster's namespaces, or none: kubectl gets a second and is stopped after it, and no
 * failure is ever shown (a Tab must not print errors or hang on an unreachable cluster). */
async function clusterNamespaces(app: App, context: string | undefined): Promise<string[]> {
  const runner = context ? app.runner().forContext(context) : app.runner();
  return namespaceNames(runner, 1000).catch(() => []);
}

/** tab prints with console.log; meshup prints through its IO, which tests and --json read. */
function captured(print: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    print();
  } finally {
    console.log = log;
  }
  return lines.map((l) => `${l}\n`).join('');
}

// tab's bash script (0.0.23) takes its words from bash-completion's _get_comp_words_by_ref, which
// is missing where that package is not loaded (macOS's bash, slim images): there the words come
// as bash split them. And its readonly constants fail loudly when the script is sourced again (a
// re-read ~/.bashrc, another tab-made script): the values are the same, so the error is silenced.
const WORDS_FUNCTION = `
__meshup_words() {
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n "=:" cur prev words cword
    else
        words=("\${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=\${COMP_WORDS[COMP_CWORD]}
        prev=\${COMP_WORDS[COMP_CWORD-1]}
    fi
}
`;

function mendBash(script: string): string {
  return `${script
    .replace(/^readonly (ShellCompDirective\w+=\d+)$/gm, 'readonly $1 2>/dev/null')
    .replace('_get_comp_words_by_ref -n "=:" cur prev words cword', '__meshup_words')}${WORDS_FUNCTION}`;
}
