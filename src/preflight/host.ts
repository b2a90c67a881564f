// Facts about the machine meshup runs on. Read once; an input to the checks so tests can vary it.

import { readFile, statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';

export interface HostFacts {
  platform: NodeJS.Platform;
  arch: string;
  cpus: number;
  memoryMiB: number;
  freeMemoryMiB: number;
  freeDiskMiB?: number;
  inotify?: { maxUserWatches: number; maxUserInstances: number };
}

async function readInt(file: string): Promise<number | undefined> {
  try {
    return Number((await readFile(file, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

export async function readHostFacts(diskPath: string): Promise<HostFacts> {
  let freeDiskMiB: number | undefined;
  try {
    const s = await statfs(diskPath);
    freeDiskMiB = Math.floor((s.bavail * s.bsize) / 1024 / 1024);
  } catch {
    freeDiskMiB = undefined;
  }
  let inotify: HostFacts['inotify'];
  if (process.platform === 'linux') {
    const [w, i] = await Promise.all([readInt('/proc/sys/fs/inotify/max_user_watches'), readInt('/proc/sys/fs/inotify/max_user_instances')]);
    if (w !== undefined && i !== undefined) inotify = { maxUserWatches: w, maxUserInstances: i };
  }
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    memoryMiB: Math.floor(totalmem() / 1024 / 1024),
    freeMemoryMiB: Math.floor(freemem() / 1024 / 1024),
    freeDiskMiB,
    inotify,
  };
}
