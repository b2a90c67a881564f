import { type Declaration, examples } from '../define.js';

export const profilesCommand: Declaration = (program, w) => {
  const profiles = program
    .command('profiles')
    .description('list the bundled profiles')
    .addHelpText('after', examples('meshup profiles', 'meshup profiles show demo', 'meshup profiles --json'))
    .action(w.groupDefault(async () => (await import('../../commands/profiles.js')).listProfiles));
  profiles
    .command('show <name>')
    .description('print a profile')
    .addHelpText('after', examples('meshup profiles show default', 'meshup profiles show ./my-profile.yaml'))
    .action(w.action(async () => (await import('../../commands/profiles.js')).showProfile));
  // Set last: subcommands copy their parent's settings when created, and must keep refusing extras.
  return profiles.allowExcessArguments(true);
};
