// docs/ against the code: the generated pages (src/cli/reference.ts) must be what `npm run docs`
// writes today, the README stays small and routes to every command's page, and no link in the
// Markdown points at a file or a heading that is not there.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { docsPages, ENVIRONMENT_VARIABLES, GENERATED_MARK } from '../../src/cli/reference.js';
import { loadAddonCatalog, loadAllProfiles } from '../../src/config/catalog.js';
import { gatewayApiFor, KNOWN_ISTIO_MINORS } from '../helpers/versions.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const STALE = 'docs/ is stale: run npm run docs';

const sink = () => new Writable({ write: (_c, _e, done) => done() });
const never = async (): Promise<never> => {
  throw new Error('the docs never run a command');
};
const program = buildProgram({ stdout: sink(), stderr: sink(), stdin: Readable.from([]), env: {}, cwd: ROOT }, never, never);
const pages = docsPages({ program, profiles: await loadAllProfiles(), addons: [...(await loadAddonCatalog()).values()] });
// What --help lists: no hidden commands, no implicit `help`.
const commands = program
  .createHelp()
  .visibleCommands(program)
  .filter((c) => program.commands.includes(c));

function markdownFiles(): string[] {
  const found = ['README.md', 'CONTRIBUTING.md'].filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  return found;
}

/** Markdown without its code: links and headings in code are not links and headings. */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** The anchors GitHub gives a page's headings. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of md.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

describe('generated docs', () => {
  it('are current', () => {
    expect(pages.size).toBeGreaterThan(commands.length);
    for (const [path, text] of pages) {
      const onDisk = existsSync(join(ROOT, path)) ? read(path) : '(missing)';
      expect(onDisk, `${STALE} (${path})`).toBe(text);
    }
  });

  it('leave no page behind for a command that is gone', () => {
    const generated = readdirSync(join(ROOT, 'docs', 'commands'))
      .map((f) => `docs/commands/${f}`)
      .filter((p) => read(p).startsWith(GENERATED_MARK));
    expect(
      generated.filter((p) => !pages.has(p)),
      STALE,
    ).toEqual([]);
  });

  it('say they are generated', () => {
    for (const [path, text] of pages) expect(text.startsWith(GENERATED_MARK), path).toBe(true);
  });

  it('give every command a page, and the index links to each', () => {
    expect(commands.map((c) => c.name())).toEqual(expect.arrayContaining(['up', 'plan', 'down', 'addons', 'waypoint']));
    const index = pages.get('docs/commands/README.md')!;
    for (const c of commands) {
      expect(pages.has(`docs/commands/${c.name()}.md`), c.name()).toBe(true);
      expect(index).toContain(`](${c.name()}.md)`);
    }
  });

  it("show a command's options, defaults, global flags and examples", () => {
    const up = pages.get('docs/commands/up.md')!;
    expect(up).toContain('`-p, --profile <name|file>`');
    expect(up).toMatch(/\[Global flags\]\(README\.md#global-flags\):.*`--dry-run`/);
    expect(up).toContain('meshup up --provider kind --profile demo --yes');
    expect(pages.get('docs/commands/README.md')).toMatch(/^- `--dry-run`: /m);
    expect(pages.get('docs/commands/expose.md')).toMatch(/`--api <api>`: .*one of `gateway`, `istio`/);
    expect(pages.get('docs/commands/expose.md')).toMatch(/`-n, --namespace <ns>`: .*default: `default`/);
    expect(pages.get('docs/commands/plan.md')).toContain('10 when changes are pending');
  });

  it("put a group's subcommands on its page", () => {
    const addons = pages.get('docs/commands/addons.md')!;
    for (const sub of ['list', 'enable', 'disable']) expect(addons).toContain(`## meshup addons ${sub}`);
    expect(addons).toContain('meshup addons disable [options] <names...>');
  });

  it('list every key of meshup.yaml and every MESHUP_* variable', () => {
    const config = pages.get('docs/configuration.md')!;
    for (const key of ['provider', 'clusterName', 'resources.memory', 'gateway.hostHttpPort', 'gatewayApiMirror']) {
      expect(config).toContain(`| \`${key}\` |`);
    }
    for (const v of ENVIRONMENT_VARIABLES) expect(config).toContain(`| \`${v.name}\` |`);
    expect(config).toContain('| `with.NAME.restart` |');
    // A key the schema does not describe shows up here with no meaning: describe it in schema.ts.
    const undescribed = config
      .split('\n')
      .map((l) => /^\| `([^`]+)` \| [^|]+ \| ([^|]*) \|$/.exec(l))
      .filter((m) => m && !/^[^\s(]/.test(m[2]!))
      .map((m) => m![1]);
    expect(undescribed).toEqual([]);
    expect(config).toMatch(/^\| `demo` \| demo \| sidecar \|/m);
  });
});

describe('the environment table', () => {
  it('names exactly the MESHUP_* variables src/ reads', () => {
    const read = new Set<string>();
    for (const f of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(ROOT, 'src', f), 'utf8').matchAll(/env(?:\.|\[')(MESHUP_[A-Z_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(10);
    expect(ENVIRONMENT_VARIABLES.map((v) => v.name).sort()).toEqual([...read].sort());
  });
});

describe('the hand-written pages', () => {
  it('keep the Istio to Gateway API table of src/gatewayapi/version.ts', () => {
    const table = new Map<number, string>();
    for (const m of read('docs/ambient-and-gateway-api.md').matchAll(/^\| ([\d., ]+) \| (v[\d.]+) \|$/gm)) {
      for (const v of m[1]!.split(',')) table.set(Number(v.trim().split('.')[1]), m[2]!);
    }
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(KNOWN_ISTIO_MINORS);
    for (const [minor, release] of table) expect(release, `Istio 1.${minor}`).toBe(gatewayApiFor(`1.${minor}.0`));
  });
});

describe('the README', () => {
  const readme = read('README.md');

  it('fits in 10 KiB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(10240);
  });

  it('starts with the two commands', () => {
    expect(readme).toMatch(
      /^# meshup\n\n.+\n\n```sh\nnpm ci && npm run build && \.\/bin\/meshup up {10}# install, then create a cluster and a mesh\nnpm ci && npm test {35}# run the unit and CLI tests\n```/,
    );
  });

  it("links to every command's page", () => {
    for (const c of commands) expect(readme, c.name()).toContain(`(docs/commands/${c.name()}.md)`);
  });
});

describe('links', () => {
  const files = markdownFiles();

  it('are checked in the README, CONTRIBUTING.md and every page of docs/', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/configuration.md', 'docs/how-it-works.md', 'docs/commands/up.md']));
  });

  it('point at files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of files) {
      const md = read(file);
      for (const m of prose(md).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1]!;
        if (/^[a-z]+:/i.test(link)) continue;
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path ? relative(ROOT, resolve(ROOT, dirname(file), path)) : file;
        if (!existsSync(join(ROOT, target))) broken.push(`${file}: ${link} (no ${target})`);
        else if (anchor && target.endsWith('.md') && !anchors(read(target)).has(anchor)) broken.push(`${file}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
