// What a program says of its own version: the argument shape and the reading are its descriptor's
// (exec/tools.ts); no cluster is asked.
import type { Runner } from '../exec/runner.js';
import { type ToolName, toolDescriptor } from '../exec/tools.js';

/** `bin`: a binary other than the one on PATH (the istioctl of a release). */
export async function toolVersion(runner: Runner, tool: ToolName, bin?: string): Promise<string> {
  const { version } = toolDescriptor(tool);
  const r = await runner.run({ readOnly: true, tool, bin, args: [...version.args], noContext: true, timeoutMs: 20_000 });
  return version.parse(r.stdout);
}
