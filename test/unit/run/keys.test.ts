// Cache keys follow content: of the cell, of the cells it uses, of the files it reads — not times or formatting.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRecipeText } from '../../../extension/core/recipe';
import { InputHasher } from '../../../extension/core/run/inputHashes';
import { computeKeys } from '../../../extension/core/run/keys';

let dir: string;
const recipe = () => path.join(dir, 'r.lorabias');
const TEXT = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: a\n  images: a\n---\ndataset:\n  name: b\n  images: b\n---\n'
  + 'bias:\n  name: copier\n  model: base\n  dataset: a\n  rank: 8\n---\ntarget:\n  name: t\n  over: [copier]\n  dataset: b\n---\nexport:\n  lora: t\n  to: out/t.safetensors\n';
const keys = async (text = TEXT, engine = 'e1') => [...(await computeKeys(parseRecipeText(text).cells, recipe(), engine)).values()].map((k) => k.key);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-keys-'));
  for (const d of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, d, '1.png'), d);
    fs.writeFileSync(path.join(dir, d, '1.txt'), 'circle');
    fs.mkdirSync(path.join(dir, d, 'sub'));
    fs.writeFileSync(path.join(dir, d, 'sub', '2.txt'), 'x'.repeat(1000));
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cache keys', () => {
  it('are stable, and ignore comments, blank lines, key order and flow style', async () => {
    const k = await keys();
    assert.deepEqual(await keys(), k);
    const restyled = TEXT.replace('  rank: 8\n', '  rank: 8   # bigger?\n\n').replace('  model: base\n  dataset: a\n', '  dataset: a\n  model: base\n').replace('over: [copier]', 'over:\n    - copier');
    assert.deepEqual(await keys(restyled), k);
  });

  it('change for an edited cell and every cell downstream of it, and no other', async () => {
    const k = await keys();
    const k2 = await keys(TEXT.replace('rank: 8', 'rank: 16'));
    assert.deepEqual(k.map((x, i) => x === k2[i]), [true, true, true, false, false, false]);
  });

  it('change when a dataset file\'s content changes, not when it is merely touched', async () => {
    const k = await keys();
    const file = path.join(dir, 'b', '1.txt');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    assert.deepEqual(await keys(), k, 'touching a file changes nothing');
    fs.writeFileSync(file, 'square');
    const k2 = await keys();
    assert.deepEqual(k.map((x, i) => x === k2[i]), [true, true, false, true, false, false], 'only dataset b, the target and the export');
    fs.writeFileSync(file, 'circle');
  });

  it('change for every cell when the engine changes', async () => {
    const k = await keys();
    const k2 = await keys(TEXT, 'e2');
    assert.ok(k.every((x, i) => x !== k2[i]));
  });

  it('are those earlier versions computed for the same recipe and files, so their cache entries stay valid', async () => {
    // computed by lorabias before input files were read asynchronously (2026-11 versions)
    assert.deepEqual(await keys(), [
      'c80f843f5f8e53d42679f81400bb5ca1573c80dcf314bc31a68b7acc1c38838d', '5795723a81215f59a66873e38a2d5e9387952ab568c8ee6dd32daf0b1236583e',
      'e1a14e51ed4a35894efe34e057c668998d000f237e8b4529111c078f555af3ec', 'a4a7936c59ee5a73512a3333f0b8b33582ebd0d486a830acb5e7b7a82e9f225f',
      '719e95c79e3628dadf19df5fcd12bc8a33118ef2895e9bd7e3129b2104a1ab74', '83127a0d6586b89408c10a13a72620e711cd25a40a856e692580776f598b3082',
    ]);
  });

  it('for some cells key only them and what they use, without reading the other cells\' files', async () => {
    const cells = parseRecipeText(TEXT).cells;
    const all = await computeKeys(cells, recipe(), 'e1');
    const hasher = await InputHasher.open();
    const some = await computeKeys(cells, recipe(), 'e1', { only: [3], hasher }); // the bias: model, dataset a, bias
    assert.deepEqual([...some.keys()], [0, 1, 3]);
    for (const [i, k] of some) assert.equal(k.key, all.get(i)!.key);
    assert.equal(hasher.stats.filesHashed, 3, 'only dataset a\'s three files were read');
    const target = await computeKeys(cells, recipe(), 'e1', { only: [4] });
    assert.deepEqual([...target.keys()], [0, 1, 2, 3, 4]);
  });

  it('are computed without blocking the event loop while input files are read', async () => {
    const big = path.join(dir, 'big');
    fs.mkdirSync(big);
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(big, `${i}.png`), Buffer.alloc(2 ** 20, i));
    let turns = 0;
    let running = true;
    const spin = () => { turns++; if (running) setImmediate(spin); };
    setImmediate(spin);
    const keyed = await computeKeys(parseRecipeText('dataset:\n  name: big\n  images: big\n').cells, recipe(), 'e1');
    running = false;
    assert.equal(keyed.size, 1);
    assert.ok(turns >= 8, `the event loop turned ${turns} times while 8 MB were read`);
  });
});
