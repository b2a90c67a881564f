// Reads a YAML file and validates it against a schema. Every problem is reported as
// file:line:col with the offending key, so a user can jump straight to it.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export interface Located {
  file: string;
  line: number;
  col: number;
}

export async function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`Cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      fix: `Check the path, or create it (meshup --help shows the ${what} format)`,
    });
  }
  return parseYaml(text, file, schema, what);
}

export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S, what: string): z.output<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.push(`${file}:${pos.line}:${pos.col}: ${firstLine(err.message)}`);
  }
  if (problems.length) throw invalid(file, what, problems);

  const data = doc.toJS() ?? {};
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path as (string | number)[];
    let at = locate(doc, lc, path);
    let message = issue.message;
    let key = path.join('.');
    if (issue.code === 'unrecognized_keys') {
      const k = (issue as { keys: string[] }).keys[0]!;
      at = locateKey(doc, lc, path, k) ?? at;
      key = path.join('.');
      message = `unknown key "${k}"`;
    } else if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
      message = 'is required';
    }
    problems.push(`${file}:${at.line}:${at.col}: ${key ? `${key}: ` : ''}${message}`);
  }
  throw invalid(file, what, problems);
}

function invalid(file: string, what: string, problems: string[]): ConfigError {
  return new ConfigError(`Invalid ${what} ${file}`, {
    details: problems,
    fix: `Fix the ${problems.length === 1 ? 'line' : 'lines'} above; the JSON Schema in schema/ lets an editor check it as you type`,
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
