// meshup's questions, rendered in the test process by @inquirer/testing (the prompts' own test
// library) instead of a terminal: the real select, checkbox and confirm prompts, each answered
// with keypresses. Pass `prompts` to runInProcess (with tty: true) and take each question as
// meshup asks it with next(); a question that never comes fails the test instead of hanging it.

import { checkbox, confirm, select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import type { Prompts } from '../../src/ui/io.js';

type Rendered = Awaited<ReturnType<typeof render>>;

interface Question extends Rendered {
  kind: 'select' | 'checkbox' | 'confirm';
  message: string;
  /** Presses these keys in order ('down', 'space', 'enter', ...). */
  press(...keys: string[]): void;
  /** Ctrl-C, as a terminal in raw mode delivers it: a key, not a signal. */
  interrupt(): void;
}

export interface Questions {
  prompts: Prompts;
  /** Every question asked so far, in order. */
  asked: Question[];
  /** The next question; rejects when `running` ends first (meshup asked nothing more). */
  next(running: Promise<{ exitCode: number; stderr: string }>): Promise<Question>;
}

export function questions(): Questions {
  const asked: Question[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  const ask =
    (kind: Question['kind'], prompt: (config: never) => Promise<unknown>) =>
    async (config: { message: string }): Promise<unknown> => {
      const r = await render(prompt as never, config as never);
      asked.push({
        ...r,
        kind,
        message: config.message,
        press: (...keys) => {
          for (const k of keys) r.events.keypress(k);
        },
        interrupt: () => r.events.keypress({ name: 'c', ctrl: true }),
      });
      wake?.();
      return r.answer;
    };
  return {
    prompts: { select: ask('select', select), checkbox: ask('checkbox', checkbox), confirm: ask('confirm', confirm) } as unknown as Prompts,
    asked,
    async next(running) {
      while (taken >= asked.length) {
        const ended = await Promise.race([new Promise<false>((r) => (wake = () => r(false))), running.then((x) => x)]);
        if (ended) throw new Error(`meshup ended (exit ${ended.exitCode}) without asking question ${taken + 1}:\n${ended.stderr}`);
      }
      return asked[taken++]!;
    },
  };
}
