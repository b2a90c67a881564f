import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const downCommand: Declaration = (program, w) =>
  clusterOptions(program.command('down').description('remove the mesh and delete the cluster meshup created'))
    .option('--keep-cluster', 'remove only the mesh; keep the cluster')
    .option('--purge-crds', "also delete Istio's CRDs and the Gateway API CRDs meshup installed (and so every resource of them)")
    .addHelpText('after', examples('meshup down', 'meshup down --keep-cluster', 'meshup down --keep-cluster --purge-crds --yes'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await import('../../commands/down.js')).down, 'each-cluster'));
