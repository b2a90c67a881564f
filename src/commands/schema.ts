import { z } from 'zod';
import { SCHEMAS, type SchemaKind } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { App } from '../session/app.js';
import { closest } from '../util/suggest.js';
import { excerpt } from '../util/text.js';

export const SCHEMA_KINDS = Object.keys(SCHEMAS) as SchemaKind[];

export function jsonSchema(kind: SchemaKind): object {
  return { ...z.toJSONSchema(SCHEMAS[kind], { io: 'input', unrepresentable: 'any' }), title: `meshup ${kind}` };
}

/** Only the kinds meshup names; `in` would also accept toString, constructor, __proto__, ... */
export function isSchemaKind(kind: string): kind is SchemaKind {
  return (SCHEMA_KINDS as string[]).includes(kind);
}

export async function schema(app: App, kind = 'config'): Promise<void> {
  if (!isSchemaKind(kind)) {
    const near = closest(kind, SCHEMA_KINDS);
    throw new UsageError(`Unknown schema "${excerpt(kind)}"`, {
      details: [`valid schemas: ${SCHEMA_KINDS.join(', ')}`],
      fix: near ? `Did you mean: meshup schema ${near}` : `Use one of: ${SCHEMA_KINDS.map((k) => `meshup schema ${k}`).join(', ')}`,
    });
  }
  const doc = jsonSchema(kind);
  app.out.result(doc);
  if (!app.out.json) app.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
