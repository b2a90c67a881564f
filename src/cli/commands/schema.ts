import { type Declaration, examples } from '../define.js';

export const schemaCommand: Declaration = (program, w) =>
  program
    .command('schema [kind]')
    .description('print the JSON Schema of profile, addon or config files')
    .addHelpText('after', examples('meshup schema config > meshup.schema.json', 'meshup schema profile'))
    .action(w.action(async () => (await import('../../commands/schema.js')).schema));
