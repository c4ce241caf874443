// Perceptual hashes: a resized or re-encoded copy stays within the near-duplicate distance, different
// pictures do not, and a same-layout picture in another colour is not called a duplicate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { distance, findDuplicates, hex, NEAR_DISTANCE, signature, type ImageSignature } from '../../../extension/core/dataset/phash';
import { structured } from './make-images';

async function sig(img: sharp.Sharp): Promise<ImageSignature> {
  const buf = await img.png().toBuffer();
  return signature(await sharp(buf).flatten({ background: '#fff' }).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer());
}

describe('phash', () => {
  it('keeps resized and re-encoded copies close and different pictures far', async () => {
    const a = await sig(structured(41, 512, 512));
    const small = await sig(structured(41, 512, 512).resize(300, 300));
    const jpeg = await sig(sharp(await structured(41, 512, 512).jpeg({ quality: 60 }).toBuffer()));
    assert.ok(distance(a, small) <= NEAR_DISTANCE, `resize: ${distance(a, small)}`);
    assert.ok(distance(a, jpeg) <= NEAR_DISTANCE, `jpeg: ${distance(a, jpeg)}`);
    for (let s = 42; s < 50; s++) {
      const d = distance(a, await sig(structured(s, 512, 512)));
      assert.ok(d > 3 * NEAR_DISTANCE, `seed ${s}: ${d}`);
    }
    assert.match(hex(a), /^[0-9a-f]{16}$/);
  });

  it('groups exact and near duplicates once each, and keeps colour variants apart', () => {
    const s = (hi: number, lo: number, m = 100): ImageSignature => ({ hi, lo, mean: [m, m, m] });
    const groups = findDuplicates([
      { path: 'a', sha: '1', sig: s(0xf0f0f0f0, 0x0f0f0f0f) },
      { path: 'b', sha: '1', sig: s(0xf0f0f0f0, 0x0f0f0f0f) }, // exact copy of a
      { path: 'c', sha: '2', sig: s(0xf0f0f0f1, 0x0f0f0f0f) }, // 1 bit from a
      { path: 'd', sha: '3', sig: s(0xf0f0f0f3, 0x0f0f0f0f) }, // 2 bits from a, 1 from c
      { path: 'e', sha: '4', sig: s(0xf0f0f0f0, 0x0f0f0f0f, 200) }, // same layout, other colour
      { path: 'f', sha: '5', sig: s(0x12345678, 0x9abcdef0) },
    ]);
    assert.deepEqual(groups, [
      { kind: 'exact', files: ['a', 'b'], distance: 0 },
      { kind: 'near', files: ['a', 'c', 'd'], distance: 2 },
    ]);
  });
});
