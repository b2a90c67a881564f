// Renders argument arrays as text a POSIX shell reads back to the same arguments, so that
// --dry-run and --verbose print commands a user can copy and paste.

const SAFE = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(file: string, args: readonly string[], input?: string): string {
  const line = [file, ...args].map(quoteArg).join(' ');
  if (input === undefined) return line;
  // A heredoc keeps stdin visible and pasteable; the marker cannot clash with YAML content.
  const marker = 'MESHUP_EOF';
  const body = input.endsWith('\n') ? input : `${input}\n`;
  return `${line} <<'${marker}'\n${body}${marker}`;
}
