import { clusterOptions, type Declaration, examples } from '../define.js';

export const injectCommand: Declaration = (program, w) =>
  clusterOptions(program.command('inject').description("add sidecars to a manifest with the cluster's injector settings (istioctl kube-inject)"))
    .option('-f, --filename <file>', 'manifest to inject (- for stdin)')
    .option('-o, --output <file>', 'write the result here instead of stdout')
    .addHelpText('after', examples('meshup inject -f app.yaml | kubectl apply -f -', 'meshup inject -f app.yaml -o app-injected.yaml'))
    .action(w.action(async () => (await import('../../commands/inject.js')).inject));
