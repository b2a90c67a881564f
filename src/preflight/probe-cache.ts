// Versions of the tools meshup found, remembered by binary path, size and mtime: a re-run on an
// unchanged machine need not spawn each tool just to hear the same version again.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../config/paths.js';
import { writeFileAtomic } from '../util/fs.js';
import { which } from '../util/which.js';

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
  version: string;
}

type Cache = Record<string, Entry>;

export class ProbeCache {
  private data: Cache = {};
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(env: NodeJS.ProcessEnv): Promise<ProbeCache> {
    const c = new ProbeCache(join(cacheDir(env), 'tool-versions.json'), env);
    try {
      c.data = JSON.parse(await readFile(c.file, 'utf8')) as Cache;
    } catch {
      c.data = {};
    }
    return c;
  }

  private identity(tool: string, binary?: string): Omit<Entry, 'version'> | undefined {
    const path = binary?.includes('/') ? binary : which(binary ?? tool, this.env);
    if (!path) return undefined;
    try {
      const s = statSync(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return undefined;
    }
  }

  get(tool: string, binary?: string): string | undefined {
    const id = this.identity(tool, binary);
    const e = this.data[tool];
    return id && e && e.path === id.path && e.size === id.size && e.mtimeMs === id.mtimeMs ? e.version : undefined;
  }

  set(tool: string, version: string, binary?: string): void {
    const id = this.identity(tool, binary);
    if (!id) return;
    this.data[tool] = { ...id, version };
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (this.dirty) await writeFileAtomic(this.file, `${JSON.stringify(this.data, null, 2)}\n`).catch(() => undefined);
  }
}
