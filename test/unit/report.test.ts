import { describe, expect, it } from 'vitest';
import { errorDocument, formatError } from '../../src/cli/report.js';
import { parseYaml } from '../../src/config/load.js';
import { configSchema, profileSchema } from '../../src/config/schema.js';
import { MeshupError, UsageError } from '../../src/errors.js';
import { describeValue, excerpt, excerptPath } from '../../src/util/text.js';

const plain = { red: (s: string) => s, dim: (s: string) => s, bold: (s: string) => s };

describe('excerpts of user input', () => {
  it('keeps short text, cuts long text in the middle, and never passes control characters', () => {
    expect(excerpt('kiali')).toBe('kiali');
    const e = excerpt('a'.repeat(50) + 'b'.repeat(50));
    expect([...e].length).toBe(80);
    expect(e).toMatch(/^a+…b+$/);
    expect(excerpt('x\u0000y\nz\u001b')).toBe('x?y\\nz?');
    expect(excerptPath(`/${'d'.repeat(200)}/meshup.yaml`)).toMatch(/^…d+\/meshup\.yaml$/);
    expect(describeValue(Infinity)).toBe('a number too large to use');
    expect(describeValue([1, 2])).toBe('a list of 2');
  });
});

describe('the error report', () => {
  it('clips every line and cuts long detail lists, in text and in JSON', () => {
    const e = new MeshupError(`boom ${'m'.repeat(10_000)}`, {
      details: Array.from({ length: 500 }, (_, i) => `line ${i} ${'d'.repeat(5000)}`),
      fix: 'f'.repeat(5000),
    });
    const d = errorDocument(e);
    expect(d.message.length).toBeLessThanOrEqual(300);
    expect(d.details.length).toBe(40);
    expect(d.details[39]).toBe('... 461 more lines');
    expect(d.fix[0]!.length).toBeLessThanOrEqual(300);
    const { text } = formatError(e, plain, false);
    expect(text.length).toBeLessThan(16 * 1024);
  });

  it('names an unknown error a bug, without a stack unless verbose', () => {
    const d = errorDocument(new TypeError('x is undefined'));
    expect(d).toEqual({ message: 'meshup failed unexpectedly: x is undefined', details: [], fix: [expect.stringContaining('report it')], exitCode: 1 });
    expect(errorDocument(new TypeError('y'), true).details.join('\n')).toContain('report.test.ts');
    expect(errorDocument(new UsageError('bad', { fix: 'do this' }))).toEqual({ message: 'bad', details: [], fix: ['do this'], exitCode: 2 });
  });
});

describe('config files: expected and found', () => {
  const problems = (text: string, schema: typeof configSchema | typeof profileSchema = configSchema) => {
    try {
      parseYaml(text, 'f.yaml', schema, schema === configSchema ? 'config file' : 'profile');
    } catch (e) {
      return (e as MeshupError).details;
    }
    return [];
  };

  it('reports a wrong type as a wrong type, at its position', () => {
    expect(problems('addons: kiali\n')).toEqual(['f.yaml:1:9: addons: expected a list such as [a, b], found the string "kiali" (write [kiali])']);
    expect(problems('resources:\n  cpus: four\n')).toEqual(['f.yaml:2:9: resources.cpus: expected a number, found the string "four"']);
    expect(problems('resources: { cpus: 1e400 }\n')).toEqual(['f.yaml:1:20: resources.cpus: expected a number, found a number too large to use']);
  });

  it('accepts an empty config file but not an empty profile', () => {
    expect(parseYaml('', 'f.yaml', configSchema, 'config file')).toEqual({});
    expect(parseYaml('# only a comment\n', 'f.yaml', configSchema, 'config file')).toEqual({});
    expect(problems('', profileSchema)).toEqual(['f.yaml:1:1: expected a map of profile settings, found an empty file']);
  });

  it('reports every unknown key, each with its own position', () => {
    expect(problems('provdier: kind\nadons: [kiali]\n')).toEqual([
      'f.yaml:1:1: unknown key "provdier" (did you mean "provider"?)',
      'f.yaml:2:1: unknown key "adons" (did you mean "addons"?)',
    ]);
  });
});
