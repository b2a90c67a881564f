// How a command speaks. Human results go to stdout; progress and logs go to stderr; under
// --json stdout carries exactly one JSON document.
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import type { IO } from './io.js';

export class Output {
  readonly c: ChalkInstance;
  /** Whether the one JSON document has been written (the error boundary then adds none). */
  wroteResult = false;

  constructor(
    readonly io: IO,
    readonly json: boolean,
    color: boolean,
  ) {
    this.c = color ? new Chalk({ level: chalk.level || 1 }) : new Chalk({ level: 0 });
  }

  /** A line of result for a person; suppressed under --json. */
  print(line = ''): void {
    if (!this.json) this.io.stdout.write(`${line}\n`);
  }

  /** Progress and notes; always stderr. */
  log(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  warn(line: string): void {
    this.log(this.c.yellow(`warning: ${line}`));
  }

  /** The one JSON document of a --json run. */
  result(doc: unknown): void {
    if (!this.json) return;
    this.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    this.wroteResult = true;
  }

  /** For a command run inside another (`upgrade --finish` runs up's plan): its lines and logs go
   * out as this one's, its JSON document is left to the outer command's. */
  inner(): Output {
    return new InnerOutput(this.io, this.json, this.c.level > 0);
  }

  /** For one of several runs whose documents become one (a command on each cluster of a mesh):
   * its JSON document goes to `sink` instead of stdout. */
  collecting(sink: (doc: unknown) => void): Output {
    return new CollectingOutput(this.io, this.json, this.c.level > 0, sink);
  }
}

class CollectingOutput extends Output {
  constructor(
    io: IO,
    json: boolean,
    color: boolean,
    private readonly sink: (doc: unknown) => void,
  ) {
    super(io, json, color);
  }

  override result(doc: unknown): void {
    this.sink(doc);
  }
}

class InnerOutput extends Output {
  override result(): void {}
}
