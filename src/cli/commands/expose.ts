import { Option } from 'commander';
import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const exposeCommand: Declaration = (program, w) =>
  clusterOptions(
    program
      .command('expose <service>')
      .description('route traffic from outside the mesh to a Service (Gateway API HTTPRoute, or Istio Gateway + VirtualService)'),
  )
    .option('-n, --namespace <ns>', 'namespace of the Service', 'default')
    .option('--port <n>', 'Service port (needed when it has several)')
    .option('--host <host>', 'host name to match (default: any)')
    .option('--path <prefix>', 'path prefix to route', '/')
    .addOption(
      new Option(
        '--api <api>',
        'gateway: an HTTPRoute on the Gateway API gateway meshup shares (istio-ingress/meshup-ingress); istio: a Gateway and VirtualService on istio-ingressgateway (default: gateway on ambient meshes and where the Gateway API CRDs are installed, else istio)',
      ).choices(['gateway', 'istio']),
    )
    .option('-o, --output <format>', 'print the objects (yaml; with --json, a JSON List) instead of applying them')
    .option('--delete', 'remove what meshup expose created for the Service (and the shared gateway with its last route)')
    .option('--adopt', 'take over objects of the names expose uses that meshup did not make (they are refused otherwise)')
    .addHelpText(
      'after',
      examples(
        'meshup expose productpage -n bookinfo --port 9080',
        'meshup expose web --host web.local --path /api',
        'meshup expose web --api istio',
        'meshup expose web -o yaml',
        'meshup expose --delete web',
      ),
    )
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await import('../../commands/expose.js')).expose, 'each-cluster'));
