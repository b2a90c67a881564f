// What a command's spec is made of, each read once per command however often the spec is
// resolved again (with the cluster's record, an answer, an edit): the config file, the bundled
// addon catalog and profiles, and the cluster meshup last used on this machine. Every command
// gets one, so the readers (and zod) load only when a command first asks.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { LoadedProfile } from '../config/catalog.js';
import type { Flags } from '../config/flags.js';
import type { Addon, MeshupConfig, Profile, VersionCatalog } from '../config/schema.js';
import type { LastTarget } from '../state/target.js';

const catalogModule = () => import('../config/catalog.js');

export interface ConfigFile {
  config: MeshupConfig;
  /** Its absolute path; undefined when there is none (no --config, MESHUP_CONFIG or ./meshup.yaml). */
  file?: string;
}

export class Sources {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly cwd: string,
    private readonly flags: Pick<Flags, 'config'>,
  ) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.memo.set(key, p);
    }
    return p;
  }

  /** meshup.yaml: --config, then MESHUP_CONFIG, then ./meshup.yaml if present. */
  configFile(): Promise<ConfigFile> {
    return this.once('config', async () => {
      const explicit = this.flags.config ?? this.env.MESHUP_CONFIG;
      const file = explicit ? (isAbsolute(explicit) ? explicit : resolve(this.cwd, explicit)) : resolve(this.cwd, 'meshup.yaml');
      if (!explicit && !existsSync(file)) return { config: {} };
      const [{ loadYamlFile }, { configSchema }] = await Promise.all([import('../config/load.js'), import('../config/schema.js')]);
      return { config: await loadYamlFile(file, configSchema, 'config file'), file };
    });
  }

  catalog(): Promise<Map<string, Addon>> {
    return this.once('catalog', async () => (await catalogModule()).loadAddonCatalog());
  }

  /** The version catalog (versions/catalog.yaml). */
  versions(): Promise<VersionCatalog> {
    return this.once('versions', async () => (await catalogModule()).loadVersionCatalog());
  }

  /** A bundled profile by name, or a profile file (relative to `base`). */
  profile(ref: string, base: string): Promise<LoadedProfile> {
    return this.once(`profile\0${ref}\0${base}`, async () => (await catalogModule()).loadProfile(ref, base));
  }

  allProfiles(): Promise<Profile[]> {
    return this.once('profiles', async () => (await catalogModule()).loadAllProfiles());
  }

  lastTarget(): Promise<LastTarget | undefined> {
    return this.once('last-target', async () => (await import('../state/target.js')).readLastTarget(this.env));
  }
}
