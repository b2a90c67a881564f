import { clusterOptions, clusterSetOptions, clusterSizeOptions, type Declaration, examples, meshOptions } from '../define.js';

export const planCommand: Declaration = (program, w) =>
  clusterSizeOptions(
    meshOptions(
      clusterSetOptions(clusterOptions(program.command('plan').description('show what `meshup up` would change, and the exact commands; changes nothing'))),
    ),
  )
    .option('--timeout <duration>', 'how long up would wait for readiness (default 10m; MESHUP_TIMEOUT)')
    .option('--adopt', "take over objects under meshup's names that meshup did not make (refused otherwise)")
    .option('--force', 'plan what up --force would do: too few resources, or Kubernetes outside the release’s range, warned instead of refused')
    .addHelpText(
      'after',
      `${examples('meshup plan', 'meshup plan --profile demo --addons kiali', 'meshup plan --json | jq .actions')}\nExit status: 0 when nothing would change, 10 when changes are pending, other codes on errors.\n`,
    )
    .action(w.action(async () => (await import('../../commands/plan.js')).planCommand));
