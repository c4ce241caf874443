// kohya's bucket list and assignment, worked out by hand from sd-scripts' formulas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketHistogram, bucketResolutions, FAMILIES, selectBucket } from '../../../extension/core/dataset/buckets';

const [sd15, sdxl] = FAMILIES;

describe('buckets', () => {
  it('lists sd15 buckets as sd-scripts makes them', () => {
    const r = bucketResolutions(sd15);
    // width 256 → height min(1024, (262144 // 256) // 64 * 64) = 1024; width 576 → 455 // 64 * 64 = 448;
    // width 704 → 372 // 64 * 64 = 320; width 832 → 315 // 64 * 64 = 256. Sorted by width, then height.
    assert.deepEqual(r.slice(0, 5), [[256, 832], [256, 896], [256, 960], [256, 1024], [320, 704]]);
    assert.ok(r.some(([w, h]) => w === 576 && h === 448));
    assert.ok(r.some(([w, h]) => w === 448 && h === 576));
    assert.ok(r.some(([w, h]) => w === 512 && h === 512));
    assert.ok(r.every(([w, h]) => w * h <= 512 * 512 && w % 64 === 0 && h % 64 === 0));
    assert.equal(new Set(r.map(String)).size, r.length);
  });
  it('puts an image in the bucket with the nearest aspect ratio', () => {
    assert.deepEqual(selectBucket(sd15, 512, 512), [512, 512]);
    assert.deepEqual(selectBucket(sd15, 3000, 3000), [512, 512]);
    // 768×512 is 1.5: 640×384 (1.667) is nearer than 576×448 (1.286)
    assert.deepEqual(selectBucket(sd15, 768, 512), [640, 384]);
    assert.deepEqual(selectBucket(sdxl, 832, 1216), [832, 1216]);
    assert.deepEqual(selectBucket(sdxl, 1024, 1024), [1024, 1024]);
  });
  it('counts images and repeats per bucket, largest first', () => {
    const h = bucketHistogram([{ width: 512, height: 512, repeats: 3 }, { width: 600, height: 600, repeats: 1 }, { width: 768, height: 512, repeats: 2 }]);
    assert.deepEqual(h.filter((b) => b.family === 'sd15'), [
      { family: 'sd15', width: 512, height: 512, count: 2, perEpoch: 4 },
      { family: 'sd15', width: 640, height: 384, count: 1, perEpoch: 2 },
    ]);
  });
});
