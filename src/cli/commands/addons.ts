import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

const code = async () => import('../../commands/addons.js');

export const addonsCommand: Declaration = (program, w) => {
  const addons = clusterOptions(program.command('addons').description('list, enable and disable addons'))
    .addHelpText(
      'after',
      examples(
        'meshup addons                # same as meshup addons list',
        'meshup addons enable kiali grafana',
        'meshup addons disable kiali',
        'meshup addons enable   # checkbox in a terminal',
      ),
    )
    .option(...MEMBER_OPTION)
    .action(w.groupDefault(async () => (await code()).list, 'each-cluster'));
  clusterOptions(addons.command('list').description('addons with their state'))
    .addHelpText('after', examples('meshup addons list', 'meshup addons list --json'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).list, 'each-cluster'));
  clusterOptions(addons.command('enable [names...]').description('apply addons (and what they need) from the installed Istio release'))
    .option('--istio-dir <dir>', 'use an extracted Istio release on disk')
    .option('--istio-mirror <url>', 'base URL to download Istio releases from')
    .option('--adopt', "take over objects of the addons' names that meshup did not make (refused otherwise)")
    .addHelpText('after', examples('meshup addons enable kiali', 'meshup addons enable jaeger grafana'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).enable, 'each-cluster'));
  clusterOptions(addons.command('disable <names...>').description("delete exactly those addons' objects"))
    .addHelpText('after', examples('meshup addons disable kiali', 'meshup addons disable prometheus kiali grafana'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await code()).disable, 'each-cluster'));
  // Set last: subcommands copy their parent's settings when created, and must keep refusing extras.
  return addons.allowExcessArguments(true);
};
