import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

const code = async () => import('../../commands/waypoint.js');

export const waypointCommand: Declaration = (program, w) => {
  const waypoint = clusterOptions(program.command('waypoint').description('L7 proxies of an ambient mesh, per namespace'))
    .addHelpText(
      'after',
      examples('meshup waypoint             # same as meshup waypoint list', 'meshup waypoint apply -n shop', 'meshup waypoint remove -n shop'),
    )
    .option(...MEMBER_OPTION)
    .action(w.groupDefault(async () => (await code()).listCmd, 'each-cluster'));
  clusterOptions(waypoint.command('apply [name]').description("create a namespace's waypoint (default name: waypoint) and route the namespace through it"))
    .option('-n, --namespace <ns>', 'namespace of the waypoint', 'default')
    .option('--for <traffic>', 'traffic it handles: service, workload, all or none (default: service)')
    .option('--no-enroll', 'create it without labelling the namespace to use it')
    .option('--adopt', 'take over a Gateway of that name that meshup did not make (it is refused otherwise)')
    .addHelpText('after', examples('meshup waypoint apply -n shop', 'meshup waypoint apply reviews-waypoint -n shop --for all'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).applyCmd, 'each-cluster'));
  clusterOptions(waypoint.command('remove [name]').description('remove a waypoint meshup created, and the namespace label it set'))
    .option('-n, --namespace <ns>', 'namespace of the waypoint', 'default')
    .addHelpText('after', examples('meshup waypoint remove -n shop'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).removeCmd, 'each-cluster'));
  clusterOptions(waypoint.command('list').description('waypoints, what they handle, and which namespaces use them'))
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('-A, --all-namespaces', 'every namespace (the default without -n)')
    .addHelpText('after', examples('meshup waypoint list', 'meshup waypoint list -n shop --json'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).listCmd, 'each-cluster'));
  // Set last: subcommands copy their parent's settings when created, and must keep refusing extras.
  return waypoint.allowExcessArguments(true);
};
