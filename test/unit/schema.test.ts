import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../../src/commands/schema.js';
import { loadAddonCatalog, loadAllProfiles } from '../../src/config/catalog.js';

const root = join(import.meta.dirname, '..', '..');

describe('published JSON Schemas', () => {
  it.each(['profile', 'addon', 'config'] as const)('schema/%s.schema.json matches the code (regenerate with npm run schema)', (kind) => {
    const file = JSON.parse(readFileSync(join(root, 'schema', `${kind}.schema.json`), 'utf8')) as object;
    expect(file).toEqual(jsonSchema(kind));
  });

  it('bundled profiles and addons validate', async () => {
    expect((await loadAllProfiles()).map((p) => p.name)).toEqual(['ambient', 'default', 'demo', 'minimal']);
    expect([...(await loadAddonCatalog()).keys()]).toEqual(['grafana', 'jaeger', 'kiali', 'loki', 'prometheus']);
  });
});
