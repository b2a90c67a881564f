import { stringify } from 'yaml';
import { loadAllProfiles, loadProfile } from '../config/catalog.js';
import { formatMiB, parseMiB } from '../config/quantity.js';
import type { App } from '../session/app.js';
import { table } from '../ui/table.js';

export async function listProfiles(app: App): Promise<void> {
  const profiles = await loadAllProfiles();
  app.out.result(profiles);
  app.out.print(
    table(
      ['NAME', 'ISTIO', 'CPUS', 'MEMORY', 'ADDONS', 'DESCRIPTION'],
      profiles.map((p) => [
        p.name,
        p.istio.profile,
        String(p.cluster.cpus),
        formatMiB(parseMiB(p.cluster.memory) ?? 0),
        p.addons.join(',') || '-',
        p.description,
      ]),
    ),
  );
}

export async function showProfile(app: App, name: string): Promise<void> {
  const { profile, source } = await loadProfile(name, app.io.cwd, (n) => `meshup profiles show ${n}`);
  app.out.result({ source, profile });
  app.out.print(`# ${source}`);
  app.out.print(stringify(profile).trimEnd());
}
