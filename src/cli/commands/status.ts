import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const statusCommand: Declaration = (program, w) =>
  clusterOptions(program.command('status').description('show the cluster, the mesh and the addons'))
    .addHelpText('after', examples('meshup status', 'meshup status --json'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await import('../../commands/status.js')).status, 'each-cluster'));
