import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const ingressCommand: Declaration = (program, w) =>
  clusterOptions(program.command('ingress').description("the ingress gateway's host and port, from this machine"))
    .option('--env', 'print INGRESS_HOST, INGRESS_PORT, SECURE_INGRESS_PORT and GATEWAY_URL exports')
    .option('--gateway <name>', "a Kubernetes Gateway API gateway (class istio) instead of Istio's ingress gateway")
    // No commander default: --gateway meshup-ingress alone means meshup's own, in istio-ingress.
    .option('-n, --namespace <ns>', 'namespace of --gateway (default: default; istio-ingress for meshup-ingress)')
    .option(
      '--tunnel',
      "where the node address is hidden (minikube's docker driver on macOS and Windows), run and keep up the provider's tunnel to the gateway until Ctrl-C",
    )
    .addHelpText(
      'after',
      examples(
        'meshup ingress',
        'eval "$(meshup ingress --env)" && curl "http://$GATEWAY_URL/"',
        'meshup ingress --json',
        'meshup ingress --gateway bookinfo-gateway -n bookinfo',
        'meshup ingress --tunnel     # minikube, docker driver, macOS or Windows',
      ),
    )
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await import('../../commands/ingress.js')).ingress, 'each-cluster'));
