// Cache keys follow content: of the cell, of the cells it uses, of the files it reads — not times or formatting.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRecipeText } from '../../../extension/core/recipe';
import { computeKeys } from '../../../extension/core/run/keys';

let dir: string;
const recipe = () => path.join(dir, 'r.lorabias');
const TEXT = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: a\n  images: a\n---\ndataset:\n  name: b\n  images: b\n---\n'
  + 'bias:\n  name: copier\n  model: base\n  dataset: a\n  rank: 8\n---\ntarget:\n  name: t\n  over: [copier]\n  dataset: b\n---\nexport:\n  lora: t\n  to: out/t.safetensors\n';
const keys = (text = TEXT, engine = 'e1') => [...computeKeys(parseRecipeText(text).cells, recipe(), engine).values()].map((k) => k.key);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-keys-'));
  for (const d of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, d, '1.png'), d);
    fs.writeFileSync(path.join(dir, d, '1.txt'), 'circle');
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cache keys', () => {
  it('are stable, and ignore comments, blank lines, key order and flow style', () => {
    const k = keys();
    assert.deepEqual(keys(), k);
    const restyled = TEXT.replace('  rank: 8\n', '  rank: 8   # bigger?\n\n').replace('  model: base\n  dataset: a\n', '  dataset: a\n  model: base\n').replace('over: [copier]', 'over:\n    - copier');
    assert.deepEqual(keys(restyled), k);
  });

  it('change for an edited cell and every cell downstream of it, and no other', () => {
    const k = keys();
    const k2 = keys(TEXT.replace('rank: 8', 'rank: 16'));
    assert.deepEqual(k.map((x, i) => x === k2[i]), [true, true, true, false, false, false]);
  });

  it('change when a dataset file\'s content changes, not when it is merely touched', () => {
    const k = keys();
    const file = path.join(dir, 'b', '1.txt');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    assert.deepEqual(keys(), k, 'touching a file changes nothing');
    fs.writeFileSync(file, 'square');
    const k2 = keys();
    assert.deepEqual(k.map((x, i) => x === k2[i]), [true, true, false, true, false, false], 'only dataset b, the target and the export');
    fs.writeFileSync(file, 'circle');
  });

  it('change for every cell when the engine changes', () => {
    const k = keys();
    const k2 = keys(TEXT, 'e2');
    assert.ok(k.every((x, i) => x !== k2[i]));
  });
});
