import { clusterOptions, type Declaration, examples } from '../define.js';

export const statusCommand: Declaration = (program, w) =>
  clusterOptions(program.command('status').description('show the cluster, the mesh and the addons'))
    .addHelpText('after', examples('meshup status', 'meshup status --json'))
    .action(w.action(async () => (await import('../../commands/status.js')).status));
