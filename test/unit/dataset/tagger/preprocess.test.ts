// WD14 preprocessing checked value by value on small known images: alpha onto white, centred white padding
// (PIL's `(side - w) // 2`), BGR order, float 0–255, NHWC or NCHW, and the resize to the model's size.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { preprocess } from '../../../../extension/core/dataset/tagger/preprocess';

const W = [255, 255, 255];
const png = (w: number, h: number, ch: 1 | 3 | 4, px: number[]) => sharp(Buffer.from(px), { raw: { width: w, height: h, channels: ch } }).png().toBuffer();
/** Composite of colour c with alpha a (0–255) onto white, rounded: the reference `alpha_composite` on white. */
const onWhite = (c: number, a: number) => Math.round((c * a) / 255 + 255 * (1 - a / 255));

describe('WD14 preprocessing', () => {
  it('composites alpha onto white, pads a wide image top and bottom, and writes BGR floats in NHWC', async () => {
    const img = await png(4, 2, 4, [
      255, 0, 0, 255, /**/ 0, 255, 0, 255, /**/ 0, 0, 255, 255, /**/ 10, 20, 30, 0,
      100, 150, 200, 128, /**/ 0, 0, 0, 255, /**/ 255, 255, 255, 255, /**/ 1, 2, 3, 255,
    ]);
    const out = await preprocess(img, 4);
    assert.ok(out instanceof Float32Array);
    const half = [onWhite(200, 128), onWhite(150, 128), onWhite(100, 128)]; // BGR of (100,150,200) at alpha 128
    assert.deepEqual(half, [227, 202, 177]);
    assert.deepEqual(Array.from(out), [
      ...W, ...W, ...W, ...W, // padding row (top = (4 - 2) // 2 = 1)
      0, 0, 255, /**/ 0, 255, 0, /**/ 255, 0, 0, /**/ ...W, // red, green, blue in BGR; a transparent pixel is white
      ...half, /**/ 0, 0, 0, /**/ ...W, /**/ 3, 2, 1,
      ...W, ...W, ...W, ...W, // padding row
    ]);
  });

  it('pads a tall image left and right, and an odd remainder goes after (bottom/right)', async () => {
    const tall = await preprocess(await png(1, 2, 3, [10, 20, 30, 40, 50, 60]), 2);
    assert.deepEqual(Array.from(tall), [30, 20, 10, ...W, 60, 50, 40, ...W]); // left = (2 - 1) // 2 = 0
    const odd = await preprocess(await png(3, 2, 3, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]), 3);
    assert.deepEqual(Array.from(odd), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, ...W, ...W, ...W]);
  });

  it('resizes to the model size and lays out NCHW planes when asked', async () => {
    const flat = await png(8, 8, 3, Array.from({ length: 64 }, () => [40, 80, 120]).flat());
    const nhwc = await preprocess(flat, 4);
    assert.equal(nhwc.length, 4 * 4 * 3);
    assert.deepEqual(Array.from(nhwc), Array.from({ length: 16 }, () => [120, 80, 40]).flat());
    const nchw = await preprocess(flat, 4, 'nchw');
    assert.deepEqual(Array.from(nchw), [...Array(16).fill(120), ...Array(16).fill(80), ...Array(16).fill(40)]);
  });

  it('turns a greyscale image into three equal channels', async () => {
    const out = await preprocess(await png(2, 2, 1, [0, 50, 100, 255]), 2);
    assert.deepEqual(Array.from(out), [0, 0, 0, 50, 50, 50, 100, 100, 100, 255, 255, 255]);
  });

  it('refuses a truncated image', async () => {
    const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#884422' } }).jpeg().toBuffer();
    await assert.rejects(preprocess(jpg.subarray(0, jpg.length >> 1), 4));
  });
});
