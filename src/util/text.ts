// Quoting user input in messages: never more than a short excerpt, never control characters.
// A path or a value typed (or pasted, or read from a binary file) can be any size; what meshup
// prints about it stays one short line.

const EXCERPT_CHARS = 80;

/** Printable form of s, at most max characters; the middle is cut and marked with "…". */
export function excerpt(s: string, max = EXCERPT_CHARS): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : '?'));
  const chars = [...clean];
  if (chars.length <= max) return clean;
  const head = Math.ceil((max - 1) * 0.6);
  const tail = max - 1 - head;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

/** A path, shortened from the left so the file name stays visible. */
export function excerptPath(p: string, max = EXCERPT_CHARS): string {
  const clean = excerpt(p, Number.MAX_SAFE_INTEGER);
  const chars = [...clean];
  return chars.length <= max ? clean : `…${chars.slice(chars.length - (max - 1)).join('')}`;
}

/** Describes a value read from YAML or JSON by its type, with a short excerpt. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string "${excerpt(v, 40)}"`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${excerpt(String(v), 40)}` : 'a number too large to use';
  if (typeof v === 'boolean') return `${v}`;
  if (Array.isArray(v)) return v.length ? `a list of ${v.length}` : 'an empty list';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}
