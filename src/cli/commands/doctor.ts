import { clusterOptions, type Declaration, examples, meshOptions } from '../define.js';

export const doctorCommand: Declaration = (program, w) =>
  meshOptions(clusterOptions(program.command('doctor').description('check this machine for what the chosen setup needs')))
    .addHelpText('after', examples('meshup doctor', 'meshup doctor --provider kind --profile demo', 'meshup doctor --json'))
    .action(w.action(async () => (await import('../../commands/doctor.js')).doctor));
