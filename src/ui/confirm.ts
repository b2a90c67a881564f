// Confirmation before destroying something: --yes answers it; without a terminal meshup refuses
// rather than guess.
import { UsageError } from '../errors.js';
import { canPrompt, type IO, promptsOf } from './io.js';

export async function confirmOrRefuse(io: IO, yes: boolean, question: string, flagHint = '--yes'): Promise<boolean> {
  if (yes) return true;
  if (!canPrompt(io)) {
    throw new UsageError(`${question} Refusing without confirmation: no terminal to ask in`, { fix: `Pass ${flagHint} to confirm` });
  }
  const { confirm } = await promptsOf(io);
  return confirm({ message: question, default: false }, { input: io.stdin, output: io.stderr });
}
