import { z } from 'zod';
import type { App } from '../cli/app.js';
import { UsageError } from '../errors.js';
import { SCHEMAS, type SchemaKind } from '../config/schema.js';

export function jsonSchema(kind: SchemaKind): object {
  return { ...z.toJSONSchema(SCHEMAS[kind], { io: 'input', unrepresentable: 'any' }), title: `meshup ${kind}` };
}

export async function schema(app: App, kind = 'config'): Promise<void> {
  if (!(kind in SCHEMAS)) throw new UsageError(`Unknown schema "${kind}"`, { fix: `Use one of: ${Object.keys(SCHEMAS).join(', ')}` });
  app.io.stdout.write(`${JSON.stringify(jsonSchema(kind as SchemaKind), null, 2)}\n`);
}
