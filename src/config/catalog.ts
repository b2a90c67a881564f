// Where meshup's bundled data lives and how a profile or addon is found by name or path.
import { readdir } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { excerpt } from '../util/text.js';
import { loadYamlFile } from './load.js';
import { type Addon, addonSchema, type Profile, profileSchema, type VersionCatalog, versionsSchema } from './schema.js';

/** The package root: dist/config/ (or src/config/ under tests) is two levels below it. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROFILES_DIR = join(PACKAGE_ROOT, 'profiles');
const ADDONS_DIR = join(PACKAGE_ROOT, 'addons');
/** The version catalog: Istio minors with their Kubernetes range and Gateway API release, and
 * what each kind and minikube release can make. */
export const VERSIONS_FILE = join(PACKAGE_ROOT, 'versions', 'catalog.yaml');

async function yamlNames(dir: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

const listProfileNames = () => yamlNames(PROFILES_DIR);
const listAddonNames = () => yamlNames(ADDONS_DIR);

function isPathLike(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.ya?ml$/.test(ref);
}

export interface LoadedProfile {
  profile: Profile;
  source: string;
}

/** How a "did you mean" names a profile: a flag for most commands, an argument for `profiles show`. */
export type ProfileSuggestion = (name: string) => string;
const asFlag: ProfileSuggestion = (n) => `--profile ${n}`;

/** A profile by bundled name, or a user's profile file by path (relative to cwd). */
export async function loadProfile(ref: string, cwd: string, suggest: ProfileSuggestion = asFlag): Promise<LoadedProfile> {
  if (isPathLike(ref)) {
    const file = isAbsolute(ref) ? ref : resolve(cwd, ref);
    return { profile: await loadYamlFile(file, profileSchema, 'profile'), source: file };
  }
  const names = await listProfileNames();
  if (!names.includes(ref)) {
    const near = closest(ref, names);
    throw new UsageError(`Unknown profile "${excerpt(ref)}"`, {
      details: [`valid profiles: ${names.join(', ')}`],
      fix: near ? `Did you mean ${suggest(near)}?` : `Pick one of the above, or pass a file: ${suggest('./my-profile.yaml')}`,
    });
  }
  const file = join(PROFILES_DIR, `${ref}.yaml`);
  return { profile: await loadYamlFile(file, profileSchema, 'profile'), source: file };
}

export async function loadAllProfiles(): Promise<Profile[]> {
  return Promise.all((await listProfileNames()).map((n) => loadYamlFile(join(PROFILES_DIR, `${n}.yaml`), profileSchema, 'profile')));
}

export async function loadAddonCatalog(): Promise<Map<string, Addon>> {
  const names = await listAddonNames();
  const addons = await Promise.all(names.map((n) => loadYamlFile(join(ADDONS_DIR, `${n}.yaml`), addonSchema, 'addon')));
  return new Map(addons.map((a) => [a.name, a]));
}

export function loadVersionCatalog(file = VERSIONS_FILE): Promise<VersionCatalog> {
  return loadYamlFile(file, versionsSchema, 'version catalog');
}

/** Checks names against the catalog; an unknown one is an error naming the known ones. */
export function checkAddonNames(names: readonly string[], catalog: Map<string, Addon>, where = '--addons'): void {
  const known = [...catalog.keys()];
  for (const n of names) {
    if (!catalog.has(n)) {
      const near = closest(n, known);
      throw new UsageError(`Unknown addon "${excerpt(n)}" in ${where}`, {
        details: [`known addons: ${known.join(', ')}`],
        fix: near ? `Did you mean ${near}?` : 'Use one of the known addons',
      });
    }
  }
}

/** Adds what the chosen addons depend on, dependencies first; returns the ones added. */
export function withDependencies(names: readonly string[], catalog: Map<string, Addon>): { ordered: string[]; added: string[] } {
  const ordered: string[] = [];
  const added: string[] = [];
  const visit = (n: string, requested: boolean) => {
    if (ordered.includes(n)) return;
    for (const d of catalog.get(n)?.dependsOn ?? []) visit(d, names.includes(d));
    ordered.push(n);
    if (!requested) added.push(n);
  };
  for (const n of names) visit(n, true);
  return { ordered, added };
}
