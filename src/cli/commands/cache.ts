import { type Declaration, examples } from '../define.js';

const code = async () => import('../../commands/cache.js');

export const cacheCommand: Declaration = (program, w) => {
  const cache = program
    .command('cache')
    .description("meshup's pull-through image caches and local registry, shared by every cluster and kept by down")
    .addHelpText('after', examples('meshup cache            # same as meshup cache status', 'meshup cache prune --yes', 'meshup cache prune --all --yes'))
    .action(w.groupDefault(async () => (await code()).status));
  cache
    .command('status')
    .description('each cache and the local registry: running or not, its port, its network and what it stores')
    .addHelpText('after', examples('meshup cache status', 'meshup cache status --json'))
    .action(w.action(async () => (await code()).status));
  cache
    .command('prune')
    .description('remove the caches and what they store (the local registry too with --all)')
    .option('--all', 'also remove the local registry and the images you pushed to it')
    .addHelpText('after', examples('meshup cache prune --yes', 'meshup cache prune --all --yes'))
    .action(w.action(async () => (await code()).prune));
  return cache.allowExcessArguments(true);
};
