import { clusterOptions, clusterSetOptions, clusterSizeOptions, type Declaration, examples, meshOptions } from '../define.js';

export const upCommand: Declaration = (program, w) =>
  clusterSizeOptions(
    meshOptions(clusterSetOptions(clusterOptions(program.command('up').description('create or reuse a cluster and converge it to a working mesh')))),
  )
    .option('--force', 'go on when the preflight finds too few resources, or Kubernetes is outside the Istio release’s range (warned in the plan)')
    .option('--rotate-ca', "on a mesh of several clusters, make the mesh's root and each cluster's intermediate CA again (istiod restarts to sign with it)")
    .option('--adopt', "take over objects under meshup's names that meshup did not make (refused otherwise)")
    // No commander default: it would hide MESHUP_TIMEOUT; options resolution falls back to 10m.
    .option('--timeout <duration>', 'how long to wait for readiness (default: 10m, or MESHUP_TIMEOUT)')
    .addHelpText(
      'after',
      examples(
        'meshup up                                   # asks in a terminal, defaults otherwise',
        'meshup up --provider kind --profile demo --yes',
        'meshup up --provider minikube --addons kiali,prometheus --namespaces default,shop',
        'meshup up --provider existing --context docker-desktop',
        'meshup up --dry-run                         # print what it would do',
      ),
    )
    .action(w.action(async () => (await import('../../commands/up.js')).up));
