// Invalid recipes give exact, located, plain messages; valid ones give none.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkRecipeBytes, checkRecipeText, filePosition } from '../../../extension/core/recipe';
import { computeKeys } from '../../../extension/core/run/keys';
import { INVALID_CASES } from './invalid-cases';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-validate-'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.mkdirSync(path.join(dir, 'models'));
  fs.writeFileSync(path.join(dir, 'models/base.safetensors'), '');
  fs.writeFileSync(path.join(dir, 'models/base.ckpt'), '');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const opts = () => ({ recipePath: path.join(dir, 'r.lorabias'), exists: (p: string) => fs.existsSync(p) });

describe('invalid recipes', () => {
  it('has at least 40 cases', () => assert.ok(INVALID_CASES.length >= 40));
  for (const c of INVALID_CASES) {
    it(`locates: ${c.name}`, () => {
      const { file, problems } = checkRecipeText(c.text, opts());
      const same = problems.filter((p) => p.code === c.expect.code);
      assert.equal(same.length, 1, JSON.stringify(problems, null, 1));
      const p = same[0];
      const pos = filePosition(p, file.cellLines);
      const message = c.expect.message.replace('TMP', dir);
      assert.deepEqual(
        { line: pos.line + 1, col: pos.col + 1, severity: p.severity, code: p.code, message: p.message, fix: p.fix?.newText },
        { line: c.expect.line, col: c.expect.col, severity: c.expect.severity ?? 'error', code: c.expect.code, message, fix: c.expect.fix },
      );
    });
  }
});

describe('bad files', () => {
  const timed = (bytes: Uint8Array) => {
    const t0 = performance.now();
    const r = checkRecipeBytes(bytes, opts());
    return { ...r, ms: performance.now() - t0 };
  };

  it('answers a 10 MB file with one file-level message, quickly', () => {
    const r = timed(Buffer.alloc(10 * 1024 * 1024, 'model:\n  name: x\n'));
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].cell, -1);
    assert.match(r.problems[0].message, /^the file is 10\.0 MB; a recipe is a small text file/);
    assert.ok(r.ms < 1000, `${r.ms} ms`);
  });

  it('answers binary garbage with one file-level message', () => {
    let seed = 1;
    const bytes = Uint8Array.from({ length: 50000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
    const r = timed(bytes);
    assert.deepEqual(r.problems.map((p) => [p.cell, p.code]), [[-1, 'not-text']]);
    assert.ok(r.ms < 1000);
  });

  it('answers Shift-JIS text by naming the first byte that is not UTF-8', () => {
    const sjis = Buffer.from([0x6d, 0x61, 0x72, 0x6b, 0x64, 0x6f, 0x77, 0x6e, 0x3a, 0x20, 0x93, 0xfa, 0x96, 0x7b]);
    const r = timed(sjis);
    assert.equal(r.problems[0].message, 'this is not UTF-8 text (byte 10): a recipe is a YAML text file; if it was saved in another encoding (e.g. Shift-JIS), save it as UTF-8');
  });

  it('answers an empty file with a warning that says what to add', () => {
    for (const text of ['', '\n\n', '---\n']) {
      const r = checkRecipeText(text);
      assert.deepEqual(r.problems.map((p) => [p.cell, p.severity, p.code]), [[-1, 'warning', 'empty-recipe']], JSON.stringify(text));
    }
  });

  it('limits the problems of a cell full of garbage and locates each inside the cell', () => {
    const garbage = 'model:\n' + Array.from({ length: 500 }, (_, i) => `  k${i}: [${'{'.repeat(i % 3)}`).join('\n');
    const r = checkRecipeText(garbage);
    assert.ok(r.problems.length > 0 && r.problems.length <= 50, String(r.problems.length));
    for (const p of r.problems) assert.ok(p.line >= 0 && p.line <= 500);
  });

  it('checks a file with a million aliases quickly', () => {
    const levels = ['a: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const r = timed(Buffer.from('preview:\n  lora: t\n  ' + levels.join('\n  ') + '\n'));
    assert.equal(r.problems[0].code, 'alias-bomb');
    assert.ok(r.ms < 1000);
  });
});

describe('keys that are lists or mappings', () => {
  it('are reported on their own line, with no Node warning on stderr (also when cache keys are computed)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const text = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n  ? [a, b]\n  : 1\n';
      const r = checkRecipeText(text, opts());
      assert.deepEqual(r.problems.map((p) => [p.code, filePosition(p, r.file.cellLines).line + 1]), [['complex-key', 4]]);
      await computeKeys(r.file.cells, path.join(dir, 'r.lorabias'), 'e1');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });
});

describe('valid recipes', () => {
  const recipes = path.resolve(__dirname, '../../../recipes');
  for (const f of fs.readdirSync(recipes).filter((f) => f.endsWith('.lorabias') && !f.startsWith('.'))) {
    it(`${f} has no problems`, () => {
      const full = path.join(recipes, f);
      const r = checkRecipeBytes(fs.readFileSync(full), { recipePath: full, exists: (p) => fs.existsSync(p) });
      assert.deepEqual(r.problems, []);
    });
  }
});
