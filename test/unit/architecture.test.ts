// The rules that keep src/ in shape (.dependency-cruiser.cjs, run by npm run lint) hold on the
// real tree, and do catch what they are for: a cycle through a type-only import, an upward
// import, and I/O reached from the planner.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(dir: string, runtime: boolean): { ok: boolean; out: string } {
  try {
    const out = execFileSync(CRUISE, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: dir,
      env: { ...process.env, MESHUP_CRUISE: runtime ? 'runtime' : '' },
      encoding: 'utf8',
    });
    return { ok: true, out };
  } catch (e) {
    return { ok: false, out: String((e as { stdout?: string }).stdout) };
  }
}

// A copy of the tree to break on purpose.
const copy = mkdtempSync(join(tmpdir(), 'meshup-arch-'));
for (const f of ['src', '.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, f), join(copy, f), { recursive: true });
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('the shape of src/', () => {
  it('holds on the tree as it is', { timeout: 60_000 }, () => {
    expect(cruise(ROOT, false)).toMatchObject({ ok: true });
    expect(cruise(ROOT, true)).toMatchObject({ ok: true });
  });

  it('refuses a cycle made only of type imports, an upward import, and I/O loaded by the planner', { timeout: 60_000 }, () => {
    writeFileSync(join(copy, 'src/util/zz-a.ts'), "import type { B } from './zz-b.js';\nexport type A = { b?: B };\n");
    writeFileSync(join(copy, 'src/util/zz-b.ts'), "import type { A } from './zz-a.js';\nexport type B = { a?: A };\n");
    writeFileSync(join(copy, 'src/tools/zz-up.ts'), "import type { Plan } from '../plan/types.js';\nexport type P = Plan;\n");
    writeFileSync(join(copy, 'src/plan/zz-io.ts'), "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    const structure = cruise(copy, false);
    expect(structure.ok).toBe(false);
    expect(structure.out).toMatch(/no-cycles: src\/util\/zz-a\.ts/);
    expect(structure.out).toMatch(/layer-tools: src\/tools\/zz-up\.ts → src\/plan\/types\.ts/);
    const purity = cruise(copy, true);
    expect(purity.ok).toBe(false);
    expect(purity.out).toMatch(/plan-is-pure: src\/plan\/zz-io\.ts → (node:)?fs/);
  });
});

/** A comparison with a provider's name: what only src/providers may do (the rest read capabilities). */
const PROVIDER_NAME_TEST =
  /(?:===|!==)\s*'(?:kind|minikube|existing|kwok)'|'(?:kind|minikube|existing|kwok)'\s*(?:===|!==)|case\s+'(?:kind|minikube|existing|kwok)'\s*:/;

describe('providers are capability records', () => {
  it('nothing outside src/providers compares a provider by its name', () => {
    const files = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('providers/'));
    const found = files.flatMap((f) =>
      readFileSync(join(ROOT, 'src', f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (PROVIDER_NAME_TEST.test(line) ? [`src/${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
    // The test itself sees what it looks for.
    expect(["if (spec.provider === 'kind')", "case 'minikube':", "'existing' !== p"].every((l) => PROVIDER_NAME_TEST.test(l))).toBe(true);
  });
});
