// `npm run docs`: writes the generated pages of docs/ (cli/reference.ts) and removes generated
// command pages whose command is gone. Run from dist/ after the build; never part of the CLI.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadAddonCatalog, loadAllProfiles } from '../config/catalog.js';
import { buildProgram } from './program.js';
import { docsPages, GENERATED_MARK } from './reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// The program is only read, never run: its IO goes nowhere and its commands cannot start.
const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
const never = async (): Promise<never> => {
  throw new Error('docs read the command tree; they never run a command');
};
const program = buildProgram({ stdout: sink(), stderr: sink(), stdin: Readable.from([]), env: {}, cwd: ROOT }, never, never);
const pages = docsPages({ program, profiles: await loadAllProfiles(), addons: [...(await loadAddonCatalog()).values()] });

let written = 0;
for (const [path, text] of pages) {
  const file = join(ROOT, path);
  if ((await readFile(file, 'utf8').catch(() => undefined)) === text) continue;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  written++;
  console.log(`wrote ${path}`);
}
const commandsDir = join(ROOT, 'docs', 'commands');
for (const name of await readdir(commandsDir)) {
  const path = `docs/commands/${name}`;
  if (pages.has(path) || !name.endsWith('.md')) continue;
  if (!(await readFile(join(commandsDir, name), 'utf8')).startsWith(GENERATED_MARK)) continue;
  await rm(join(commandsDir, name));
  console.log(`removed ${path}`);
}
console.log(`${pages.size} generated pages, ${written} changed`);
