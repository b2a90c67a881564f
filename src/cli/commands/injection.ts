import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

const code = async () => import('../../commands/injection.js');

export const injectionCommand: Declaration = (program, w) => {
  const injection = clusterOptions(program.command('injection').description('which namespaces are in the mesh: sidecar injection, or ambient enrolment'))
    .addHelpText(
      'after',
      examples('meshup injection             # same as meshup injection list', 'meshup injection enable shop --restart', 'meshup injection disable shop'),
    )
    .option(...MEMBER_OPTION)
    .action(w.groupDefault(async () => (await code()).list, 'each-cluster'));
  clusterOptions(injection.command('enable <namespaces...>').description("label namespaces for the mesh's dataplane mode (creating missing ones)"))
    .option('--restart', 'restart workloads whose running pods do not match the mode (no sidecar, or a sidecar in ambient mode)')
    .addHelpText('after', examples('meshup injection enable default shop', 'meshup injection enable shop --restart'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).enable, 'each-cluster'));
  clusterOptions(injection.command('disable <namespaces...>').description("remove the mesh labels meshup set (never a user's own)"))
    .addHelpText('after', examples('meshup injection disable shop'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).disable, 'each-cluster'));
  clusterOptions(injection.command('list').description('namespaces in the mesh, their mode, and running pods that do not match it'))
    .addHelpText('after', examples('meshup injection list', 'meshup injection list --json'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).list, 'each-cluster'));
  // Set last: subcommands copy their parent's settings when created, and must keep refusing extras.
  return injection.allowExcessArguments(true);
};
