// Tag leakage: known answers on fixed score tables, and the real tiny WD14-format tagger through onnxruntime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { tagChange, tagLeakage, tagScores } from '../../../extension/core/preview/tagLeakage';

const scores = (o: Record<string, number>) => new Map(Object.entries(o));

describe('tag leakage', () => {
  it('counts the concept\'s change as intended and every other tag\'s as unintended', () => {
    const before = scores({ 'large breasts': 0.2, cleavage: 0.1, sweater: 0.9 });
    const after = scores({ 'large breasts': 0.8, cleavage: 0.4, sweater: 0.9, smile: 0.1 });
    const c = tagChange(before, after, 'large breasts');
    assert.ok(Math.abs(c.intended - 0.6) < 1e-12);
    assert.ok(Math.abs(c.unintended - 0.4) < 1e-12, 'cleavage +0.3 and a new smile +0.1');
    const l = tagLeakage('naive', [{ before, after }, { before, after: scores({ 'large breasts': 0.5, cleavage: 0.1, sweater: 0.9 }) }], 'large breasts');
    assert.ok(Math.abs(l.ratio - (0.4 / 0.6 + 0) / 2) < 1e-9);
    assert.equal(l.pairs, 2);
  });

  it('reads every tag\'s probability with the real tiny tagger: turning a dark image red raises `red theme` most', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-tagleak-'));
    try {
      const grey = path.join(dir, "dark.png");
      const red = path.join(dir, 'red.png');
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 40, g: 40, b: 40 } } }).png().toFile(grey);
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 230, g: 40, b: 40 } } }).png().toFile(red);
      const model = path.resolve(__dirname, '../../fixtures/dataset/tiny-tagger');
      const s = await tagScores([grey, red], { model }, 'cpu');
      const before = s.get(grey)!;
      const after = s.get(red)!;
      assert.ok(before.size >= 6 && !before.has('general'), 'all general and character tags, no ratings');
      const change = (t: string) => Math.abs(after.get(t)! - before.get(t)!);
      const biggest = [...after.keys()].sort((a, b) => change(b) - change(a))[0];
      assert.equal(biggest, 'red theme');
      const asConcept = tagLeakage('x', [{ before, after }], 'red theme');
      const wrongConcept = tagLeakage('x', [{ before, after }], 'blue theme');
      assert.ok(asConcept.ratio < wrongConcept.ratio, `${asConcept.ratio} < ${wrongConcept.ratio}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
