import type { App } from '../../session/app.js';
import { type Declaration, examples } from '../define.js';

const code = async () => import('../../commands/completion.js');

export const completionCommand: Declaration = (program, w) => {
  // What the printed scripts run on every Tab (@bomb.sh/tab's protocol); not for people, so
  // hidden. It answers from this very program, whole by the time it runs.
  program.command('complete [words...]', { hidden: true }).action(
    w.action(async () => {
      const { complete } = await code();
      return (app: App, words: string[]) => complete(app, program, words);
    }),
  );
  return program
    .command('completion <shell>')
    .description('print the shell completion script for bash, zsh or fish')
    .addHelpText(
      'after',
      examples(
        'source <(meshup completion bash)          # this shell; add the line to ~/.bashrc to keep it',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own variable, printed as it is typed
        'meshup completion zsh > "${fpath[1]}/_meshup"   # then start a new zsh',
        'meshup completion fish > ~/.config/fish/completions/meshup.fish',
      ),
    )
    .action(w.action(async () => (await code()).completion));
};
