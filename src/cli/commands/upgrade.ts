import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const upgradeCommand: Declaration = (program, w) =>
  clusterOptions(
    program.command('upgrade').description('upgrade Istio as a canary: the new version beside the old, namespaces moved, then --finish or --rollback'),
  )
    .option('--to <version>', 'the Istio version to upgrade to (run again to resume an upgrade under way)')
    .option('--namespaces <list>', 'move only these namespaces to the new revision this time (default: all of the mesh)')
    .option('--finish', 'remove the old version once every namespace runs the new one; the addons and Gateway API CRDs follow')
    .option('--rollback', 'move everything back to the old version and remove the new one')
    .option('--in-place', 'replace the control plane in place instead (a patch, or the next minor)')
    .option('--force', 'plan what the version catalog says cannot work (warned instead of refused)')
    .option('--timeout <duration>', 'how long to wait for readiness (default 10m; MESHUP_TIMEOUT)')
    .addHelpText(
      'after',
      examples(
        'meshup upgrade --to 1.31.1 --dry-run          # the plan and its commands',
        'meshup upgrade --to 1.31.1 --namespaces shop  # one namespace first',
        'meshup upgrade --to 1.31.1                    # the rest (or resume after Ctrl-C)',
        'meshup upgrade --finish',
        'meshup upgrade --rollback',
        'meshup upgrade --to 1.31.2 --in-place',
      ),
    )
    .option(...MEMBER_OPTION)
    // On a mesh of several clusters each one's canary carries its mesh values (cluster ID, network).
    .action(w.action(async () => (await import('../../commands/upgrade.js')).upgrade, 'each-cluster'));
