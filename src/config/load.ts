// Reads a YAML file and validates it against a schema. Every problem is reported as
// file:line:col with the offending key, what was expected and what was found, so a user can
// jump straight to it. Files are read bounded: something that is not text, or far too large to
// be a config file, is refused before it is parsed, and no message quotes more than an excerpt.
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { describeValue, excerpt, excerptPath } from '../util/text.js';
import { aliasBomb, firstAlias, isAliasBomb, TOO_DEEP, tooDeep } from '../util/yaml.js';

/** meshup's own files are a few KiB; anything above this is not one. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Where a user learns the format of each kind of file. */
const FORMAT_HELP: Record<string, string> = {
  'config file': '`meshup schema config` prints the format; docs/configuration.md explains it',
  profile: '`meshup schema profile` prints the format; docs/configuration.md explains it under "Profile files"',
  addon: '`meshup schema addon` prints the format; docs/configuration.md explains it under "Addon files"',
};

function formatHelp(what: string): string[] {
  const h = FORMAT_HELP[what];
  return h ? [h] : [];
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** What a path that is not a regular file is, in words; undefined for a regular file. */
export function notRegular(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'it is a directory';
  if (st.isFIFO()) return 'it is a named pipe (FIFO), not a regular file';
  if (st.isCharacterDevice()) return 'it is a character device, not a regular file';
  if (st.isBlockDevice()) return 'it is a block device, not a regular file';
  if (st.isSocket()) return 'it is a socket, not a regular file';
  return 'it is not a regular file';
}

/**
 * Reads a text file of at most `limit` bytes. Only a regular file is read: a directory, a named
 * pipe or a device is refused by its stat before it is opened (opening a FIFO waits for a writer,
 * past Ctrl-C). Refuses files that are larger, and content that is not UTF-8 text.
 */
export async function readTextFile(file: string, what: string, limit = MAX_FILE_BYTES, pipeFix?: string): Promise<string> {
  const shown = excerptPath(file);
  const refuse = (problem: string, fix: string[]) => new ConfigError(`Cannot read ${what} ${shown}: ${problem}`, { fix });
  const cannot = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : excerpt((e as Error).message);
    return refuse(problem, [code === 'ENOENT' ? 'Check the path, or create the file' : 'Check the path and its permissions', ...formatHelp(what)]);
  };
  const irregular = (st: Stats) => {
    const kind = notRegular(st);
    if (!kind) return undefined;
    const aFile = what.endsWith(' file') ? what : `${what} file`;
    return refuse(
      kind,
      st.isDirectory()
        ? [`Name a ${aFile}, not a directory`]
        : st.isFIFO()
          ? [`Name a regular ${aFile}${pipeFix ? `, or ${pipeFix}` : ': to pass it through a pipe, save it to a file first'}`]
          : [`Name a regular ${aFile}`],
    );
  };
  const before = await stat(file).catch((e: unknown) => {
    throw cannot(e);
  });
  const wrong = irregular(before);
  if (wrong) throw wrong;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Non-blocking: a FIFO put in its place since the stat opens without waiting for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannot(e);
  }
  let bytes: Buffer;
  try {
    const st = await handle.stat();
    const changed = irregular(st);
    if (changed) throw changed;
    if (st.size > limit)
      throw refuse(`it is ${size(st.size)}, larger than any ${what} (at most ${size(limit)})`, [
        `Check that this is the ${what} you meant`,
        ...formatHelp(what),
      ]);
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    for (;;) {
      let r: { bytesRead: number };
      try {
        r = await handle.read(buf, n, buf.length - n, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw refuse(code === 'EISDIR' ? 'it is a directory' : excerpt((e as Error).message), [`Name a ${what} file`]);
      }
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
      if (n > limit) throw refuse(`it is larger than any ${what} (at most ${size(limit)})`, [`Check that this is the ${what} you meant`, ...formatHelp(what)]);
    }
    bytes = buf.subarray(0, n);
  } finally {
    await handle.close();
  }
  return decodeText(bytes, file, what);
}

/** UTF-8 text without NUL bytes, or a ConfigError naming where the binary data starts. */
export function decodeText(bytes: Uint8Array, file: string, what: string): string {
  const notText = (at: string) =>
    new ConfigError(`Cannot read ${what} ${excerptPath(file)}: it is not a text file (${at})`, {
      fix: [`Check that this is the ${what} you meant: it must be YAML text`, ...formatHelp(what)],
    });
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw notText(`a zero byte at offset ${nul}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notText('it is not valid UTF-8');
  }
}

export async function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): Promise<z.output<S>> {
  return parseYaml(await readTextFile(file, what), file, schema, what);
}

export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S, what: string): z.output<S> {
  const shown = excerptPath(file);
  const deep = tooDeep(text);
  if (deep) throw invalid(file, what, [`${shown}:${deep.line}:${deep.col}: ${TOO_DEEP}`]);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.push(`${shown}:${pos.line}:${pos.col}: ${excerpt(firstLine(err.message), 160)}`);
  }
  if (problems.length) throw invalid(file, what, problems);

  if (doc.contents === null) {
    // An empty file (or one of comments only) is fine where every key is optional.
    const empty = schema.safeParse({});
    if (empty.success) return empty.data;
    throw new ConfigError(`Invalid ${what} ${shown}`, {
      details: [`${shown}:1:1: expected a map of ${what} settings, found an empty file`],
      fix: formatHelp(what).length ? formatHelp(what) : [`Write the ${what} as YAML`],
    });
  }
  const data = toJS(doc, lc, shown, (problem) => invalid(file, what, [problem]));
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (problems.length >= 20) break;
    const path = issue.path as (string | number)[];
    const at = locate(doc, lc, path);
    const key = excerpt(path.join('.'), 60);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path);
      for (const k of (issue as { keys: string[] }).keys.slice(0, 20)) {
        const pos = locateKey(doc, lc, path, k) ?? at;
        const near = known && closest(k, known);
        problems.push(`${shown}:${pos.line}:${pos.col}: ${key ? `${key}: ` : ''}unknown key "${excerpt(k, 40)}"${near ? ` (did you mean "${near}"?)` : ''}`);
      }
      continue;
    }
    const message = explain(issue, valueAt(data, path), path.length === 0 ? what : undefined);
    problems.push(`${shown}:${at.line}:${at.col}: ${key ? `${key}: ` : ''}${message}`);
  }
  const total = result.error.issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys.length : 1), 0);
  if (total > problems.length) problems.push(`... and ${total - problems.length} more`);
  throw invalid(file, what, problems);
}

const EXPECTED: Record<string, string> = {
  array: 'a list such as [a, b]',
  object: 'a map of key: value lines',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** One zod issue as "expected X, found Y", the found value quoted as an excerpt. */
function explain(issue: z.core.$ZodIssue, value: unknown, topLevel?: string): string {
  const found = describeValue(value);
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) return 'is required';
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return 'is required';
      const expected =
        topLevel && issue.expected === 'object' ? `a map of ${topLevel} settings (key: value lines)` : (EXPECTED[issue.expected] ?? issue.expected);
      if (typeof value === 'number' && !Number.isFinite(value)) return `expected ${expected}, found a number too large to use`;
      const hint = issue.expected === 'array' && (typeof value === 'string' || typeof value === 'number') ? ` (write [${excerpt(String(value), 40)}])` : '';
      return `expected ${expected}, found ${found}${hint}`;
    }
    case 'too_small':
    case 'too_big': {
      const i = issue as { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string };
      const bound = issue.code === 'too_small' ? i.minimum : i.maximum;
      if (i.origin === 'array' || i.origin === 'string') {
        const unit = i.origin === 'array' ? 'item(s)' : 'character(s)';
        return `expected ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)} ${unit}, found ${found}`;
      }
      const limit =
        typeof bound === 'number' && bound >= Number.MAX_SAFE_INTEGER
          ? 'a usable size'
          : `${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(bound)}`;
      return `expected a number ${limit}${i.inclusive === false ? ' (exclusive)' : ''}, found ${found}`;
    }
    case 'invalid_value': {
      const values = (issue as { values: unknown[] }).values.map(String);
      const near = typeof value === 'string' ? closest(value, values) : undefined;
      return `expected one of ${values.join(', ')}, found ${found}${near ? ` (did you mean ${near}?)` : ''}`;
    }
    case 'invalid_format':
      return `${issue.message.startsWith('must') ? issue.message : `expected a valid ${(issue as { format?: string }).format ?? 'value'}`}, found ${found}`;
    case 'invalid_union': {
      const branches = ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).flat();
      const types = [
        ...new Set(
          branches
            .filter((b) => b.code === 'invalid_type' && b.path.length === 0)
            .map((b) => EXPECTED[(b as { expected: string }).expected] ?? (b as { expected: string }).expected),
        ),
      ];
      if (typeof value === 'number' && !Number.isFinite(value)) return `expected ${types.join(' or ') || 'a usable value'}, found a number too large to use`;
      return `expected ${types.join(' or ') || 'another value'}, found ${found}`;
    }
    default:
      return `${excerpt(issue.message, 120)}, found ${found}`;
  }
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The keys an object schema at path allows, for "did you mean" on an unknown key. */
function knownKeys(schema: z.ZodType, path: (string | number)[]): string[] | undefined {
  let s: unknown = schema;
  for (const p of [...path, undefined]) {
    // Unwrap optional/default/nullable wrappers.
    for (let i = 0; i < 5 && s && typeof s === 'object' && 'unwrap' in s && typeof (s as { unwrap: unknown }).unwrap === 'function' && !('shape' in s); i++) {
      s = (s as { unwrap(): unknown }).unwrap();
    }
    if (p === undefined) break;
    const shape = (s as { shape?: Record<string, unknown> })?.shape;
    if (!shape || typeof p !== 'string') return undefined;
    s = shape[p];
  }
  const shape = (s as { shape?: Record<string, unknown> })?.shape;
  return shape ? Object.keys(shape) : undefined;
}

/**
 * A parsed document's value. An alias bomb (aliases of aliases, each level multiplying the one
 * before) is refused where `yaml` stops expanding it, with the place of its first alias.
 */
export function toJS(doc: Document, lc: LineCounter, shown: string, refuse: (problem: string) => Error): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    if (!isAliasBomb(e)) throw e;
    const alias = firstAlias(doc);
    const at = lc.linePos(alias?.offset ?? 0);
    throw refuse(`${shown}:${at.line}:${at.col}: ${aliasBomb(alias?.source)}`);
  }
}

function invalid(file: string, what: string, problems: string[]): ConfigError {
  return new ConfigError(`Invalid ${what} ${excerptPath(file)}`, {
    details: problems,
    fix: [`Fix the ${problems.length === 1 ? 'line' : 'lines'} above`, ...formatHelp(what)],
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** The position of the node at path, or of its nearest existing parent. */
function locate(doc: Document, lc: LineCounter, path: (string | number)[]): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as Node | undefined;
    if (node && (node as { range?: [number, number, number] }).range) {
      return lc.linePos(node.range![0]);
    }
  }
  return { line: 1, col: 1 };
}

function locateKey(doc: Document, lc: LineCounter, path: (string | number)[], key: string) {
  const parent = (path.length ? doc.getIn(path, true) : doc.contents) as Node | undefined;
  if (!isMap(parent)) return undefined;
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) {
      return lc.linePos(item.key.range[0]);
    }
  }
  return undefined;
}
