// Manifest streams (Istio's rendered control plane, the Gateway API CRDs, an addon) are parsed
// with js-yaml: on a megabyte of CRDs it needs a quarter of the CPU the `yaml` package does
// (measured in a fresh process: 0.2 s against 0.8 s), and a cold `up` parses two such streams
// while its cluster starts on the same cores. Both read YAML 1.2's core schema, and give the
// same objects for Istio's and the Gateway API's real manifests. `yaml` stays where positions
// matter (config files, inject), and for a stream js-yaml refuses: it tells which document is
// broken, and how.
//
// Hostile YAML is bounded on both paths. Aliases: js-yaml reads none (it would share one object
// between them, and whatever walks or prints the result then multiplies it), so a stream with
// any goes to `yaml`, whose maxAliasCount stops an alias bomb while it is being expanded. Depth:
// `yaml` recurses once per level and runs out of stack somewhere past a thousand, so nesting is
// measured first with js-yaml's parser, which counts it.
import { CORE_SCHEMA, loadAll, parseEvents, YAMLException } from 'js-yaml';
import { type Document, isAlias, LineCounter, parseAllDocuments, visit } from 'yaml';

/** The deepest nesting meshup reads: far above any real manifest's (a CRD's schema nests a few
 * dozen levels), far below where the `yaml` parser runs out of stack. */
const MAX_YAML_DEPTH = 200;

/** One document of a stream: its value, or why it could not be read. */
export interface StreamDocument {
  value: unknown;
  error?: string;
}

/** Where `text` nests deeper than MAX_YAML_DEPTH (1-based), if it does. A syntax error before
 * that point ends the measurement: `yaml` reports it, and copes with what follows (its parser
 * turns a stack overflow into an error of the document). */
export function tooDeep(text: string): { line: number; col: number } | undefined {
  try {
    parseEvents(text, { maxDepth: MAX_YAML_DEPTH });
  } catch (e) {
    if (e instanceof YAMLException && /maxDepth/.test(e.reason)) return { line: (e.mark?.line ?? 0) + 1, col: (e.mark?.column ?? 0) + 1 };
  }
  return undefined;
}

export const TOO_DEEP = `it nests collections more than ${MAX_YAML_DEPTH} levels deep`;

/** What `yaml` throws from toJS() when aliases expand past maxAliasCount. */
export const isAliasBomb = (e: unknown) => e instanceof ReferenceError && /alias/i.test(e.message);

/** The first alias of a document, for a message about its aliases. */
export function firstAlias(doc: Document): { source: string; offset: number } | undefined {
  let found: { source: string; offset: number } | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      found = { source: node.source, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}

export const aliasBomb = (alias: string | undefined) =>
  `its aliases${alias ? ` (*${alias.slice(0, 40)})` : ''} expand to too many copies: meshup refuses YAML that multiplies like this (an alias bomb)`;

/** Where a document of a stream starts: a line that begins with `---` and then a space or its end,
 * a marker wherever it stands (YAML forbids such a line inside a scalar). */
const DOCUMENT_START = /^(?=---(?:[ \t\r\n]|$))/m;

export function yamlStream(text: string): StreamDocument[] {
  try {
    // A document at a time: js-yaml lists every event of what it is given before it builds an
    // object, so a whole stream's events (the rendered control plane and the Gateway API bundle
    // are a megabyte each) were alive at once; a fresh process parsing the release's manifests
    // peaked at 90 MiB whole and 80 a document at a time, with the same values. A directive
    // (%YAML, %TAG) belongs to the document after it, so a stream with one is read whole.
    const documents = /^%/m.test(text) ? [text] : text.split(DOCUMENT_START);
    const out: StreamDocument[] = [];
    for (const d of documents) for (const value of loadAll(d, null, { schema: CORE_SCHEMA, maxAliases: 0, maxDepth: MAX_YAML_DEPTH })) out.push({ value });
    return out;
  } catch {
    const deep = tooDeep(text);
    if (deep) return [{ value: undefined, error: `${TOO_DEEP} (line ${deep.line})` }];
    // prettyErrors off: its excerpts are built with regular expressions that a stream nested
    // hundreds of thousands deep (past a syntax error tooDeep stops at) exhausts memory with.
    const lc = new LineCounter();
    return parseAllDocuments(text, { lineCounter: lc, prettyErrors: false }).map((d) => {
      if (d.errors.length) {
        const e = d.errors[0]!;
        const at = lc.linePos(e.pos[0]);
        return { value: undefined, error: `${e.message.split('\n')[0]!} at line ${at.line}, column ${at.col}` };
      }
      try {
        return { value: d.toJS() };
      } catch (e) {
        if (isAliasBomb(e)) return { value: undefined, error: aliasBomb(firstAlias(d)?.source) };
        throw e;
      }
    });
  }
}

/** Objects as one stream kubectl apply reads: JSON documents, which it parses faster than YAML. */
export const toYamlStream = (objs: readonly Record<string, unknown>[]) => objs.map((o) => JSON.stringify(o)).join('\n---\n');
