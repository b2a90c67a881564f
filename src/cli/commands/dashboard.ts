import { clusterOptions, type Declaration, examples, MEMBER_OPTION } from '../define.js';

export const dashboardCommand: Declaration = (program, w) =>
  clusterOptions(program.command('dashboard <addon>').description("port-forward an addon's UI to 127.0.0.1 and open it"))
    .option('--port <n>', 'local port (default: a free one)')
    .option('--no-browser', 'print the URL only')
    .addHelpText('after', examples('meshup dashboard kiali', 'meshup dashboard grafana --port 3000 --no-browser'))
    .option(...MEMBER_OPTION)
    .action(w.action(async () => (await import('../../commands/dashboard.js')).dashboard, 'one-cluster'));
