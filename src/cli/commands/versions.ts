import { type Declaration, examples } from '../define.js';

export const versionsCommand: Declaration = (program, w) =>
  program
    .command('versions')
    .description('the Istio versions meshup knows, the Kubernetes each supports, and what kind and minikube make for it')
    .addHelpText('after', examples('meshup versions', 'meshup versions --json'))
    .action(w.action(async () => (await import('../../commands/versions.js')).versions));
