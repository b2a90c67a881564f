// The questions `up` asks in a terminal. All of them happen before any task starts, and only
// for what flags, env and the config file left open.

import { formatMiB, parseMiB } from '../config/quantity.js';
import type { Addon, Profile, ProviderName } from '../config/schema.js';
import type { DockerInfo } from '../tools/docker.js';
import { type IO, promptsOf } from './io.js';

export interface Asked {
  provider?: ProviderName;
  profile?: string;
  addons?: string[];
}

export interface AskInput {
  io: IO;
  askProvider: boolean;
  installedProviders: ProviderName[];
  askProfile: boolean;
  /** The profile offered first: what the cluster recorded, else the default. */
  profileDefault: string;
  profiles: Profile[];
  docker?: DockerInfo;
  askAddons: boolean;
  /** Pre-set addons; may depend on the profile chosen above. */
  addonDefaults: (profile?: string) => string[];
  catalog: Map<string, Addon>;
}

export async function askUp(input: AskInput): Promise<Asked> {
  const { select, checkbox } = await promptsOf(input.io);
  const ctx = { input: input.io.stdin, output: input.io.stderr, clearPromptOnDone: false };
  const out: Asked = {};
  if (input.askProvider && input.installedProviders.length > 1) {
    out.provider = await select<ProviderName>(
      { message: 'Which cluster provider?', choices: input.installedProviders.map((p) => ({ name: p, value: p })) },
      ctx,
    );
  } else if (input.askProvider && input.installedProviders.length === 1) {
    out.provider = input.installedProviders[0];
  }
  if (input.askProfile) {
    const dockerMiB = input.docker ? Math.floor(input.docker.memoryBytes / 1024 / 1024) : undefined;
    out.profile = await select<string>(
      {
        message: input.docker ? `Which profile? (Docker has ${input.docker.cpus} CPUs, ${formatMiB(dockerMiB!)})` : 'Which profile?',
        default: input.profiles.some((p) => p.name === input.profileDefault) ? input.profileDefault : 'default',
        choices: input.profiles.map((p) => {
          const mem = parseMiB(p.cluster.memory) ?? 0;
          const fits = !input.docker || (input.docker.cpus >= p.cluster.cpus && (dockerMiB ?? 0) >= mem);
          const has = input.docker ? ` (Docker has ${input.docker.cpus} CPUs, ${formatMiB(dockerMiB!)})` : '';
          return {
            name: `${p.name.padEnd(8)} ${p.cluster.cpus} CPUs, ${formatMiB(mem)}${fits ? '' : ` - more than Docker has${has}`}`,
            value: p.name,
            description: p.description,
          };
        }),
      },
      ctx,
    );
  }
  if (input.askAddons) {
    const preset = new Set(input.addonDefaults(out.profile));
    out.addons = await checkbox<string>(
      {
        message: 'Which addons?',
        choices: [...input.catalog.values()].map((a) => ({ name: `${a.name} - ${a.description}`, value: a.name, checked: preset.has(a.name) })),
      },
      ctx,
    );
  }
  return out;
}
