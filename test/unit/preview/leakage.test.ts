// Leakage figures on synthetic image pairs whose answers are known by construction.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { change, differenceMask, leakage, maskFromImage, Raster, readRaster, shapesLeakage } from '../../../extension/core/preview/leakage';

/** A 20×20 grey image; `paint(x, y)` may return a new value for a pixel (all three channels). */
function raster(paint: (x: number, y: number) => number | undefined = () => undefined, base = 100): Raster {
  const data = new Uint8Array(20 * 20 * 3);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) data.fill(paint(x, y) ?? base, (y * 20 + x) * 3, (y * 20 + x) * 3 + 3);
  return { width: 20, height: 20, data };
}
const inSquare = (x: number, y: number) => x >= 5 && x < 15 && y >= 5 && y < 15; // 100 of 400 pixels
const mask = Uint8Array.from({ length: 400 }, (_, i) => (inSquare(i % 20, Math.floor(i / 20)) ? 1 : 0));

describe('leakage', () => {
  it('is 0 for a change only inside the mask, with the change measured exactly', () => {
    const after = raster((x, y) => (inSquare(x, y) ? 100 + 51 : undefined));
    const l = leakage('clean', [{ before: raster(), after }], mask);
    assert.equal(l.ratio, 0);
    assert.equal(l.unintended, 0);
    assert.ok(Math.abs(l.intended - 51 / 255) < 1e-12);
  });

  it('is the outside change over the inside change, averaged over pairs', () => {
    // Inside +102 (0.4), outside +25.5 → ratio 0.25; second pair: inside +51 (0.2), outside +51 (0.2) → ratio 1.
    const a = raster((x, y) => (inSquare(x, y) ? 202 : 125.5));
    const b = raster((x, y) => (inSquare(x, y) ? 151 : 151));
    const one = change(raster(), a, mask);
    assert.ok(Math.abs(one.inside - 0.4) < 1e-12 && Math.abs(one.outside - 25 / 255) < 1e-12);
    const l = leakage('leaky', [{ before: raster(), after: a }, { before: raster(), after: b }], mask);
    assert.ok(Math.abs(l.ratio - (25 / 102 + 1) / 2) < 1e-9, String(l.ratio));
    assert.equal(l.pairs, 2);
  });

  it('finds the edited region where two images differ, and reads a mask image', async () => {
    const a = raster();
    const b = raster((x, y) => (inSquare(x, y) ? 255 : undefined));
    assert.deepEqual([...differenceMask(a, b)], [...mask]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-leak-'));
    try {
      const file = path.join(dir, 'mask.png');
      await sharp(Buffer.from(raster((x, y) => (inSquare(x, y) ? 255 : 0), 0).data), { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(file);
      assert.deepEqual([...maskFromImage(await readRaster(file))], [...mask]);
      const big = await readRaster(file, { width: 40, height: 40 });
      assert.equal(maskFromImage(big).reduce((s, v) => s + v, 0), 400, 'scaled ×2 with nearest-neighbour: 4× the pixels');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses images of different sizes instead of comparing the wrong pixels', () => {
    assert.throws(() => change(raster(), { width: 10, height: 10, data: new Uint8Array(300) }, mask), /differ in size/);
  });

  it('reads the engine\'s tiny-shapes figures into typed rows, missing values as null', () => {
    const rows = shapesLeakage('size', [
      { weight: 1, size_change: 0.8, color_shift: 0.05, background_change: 0.002, shape_change: 0.1, color_per_size: 0.0625, background_per_size: 0.0025, pairs: 8, valid: 8 },
      { weight: -1, size_change: 0.01, color_shift: 0.02, background_change: null, color_per_size: null, pairs: 8, valid: 7 },
    ]);
    assert.deepEqual(rows[0], { lora: 'size', weight: 1, sizeChange: 0.8, colorShift: 0.05, backgroundChange: 0.002, shapeChange: 0.1, colorPerSize: 0.0625, backgroundPerSize: 0.0025, pairs: 8, valid: 8 });
    assert.equal(rows[1].colorPerSize, null);
    assert.equal(rows[1].backgroundChange, null);
    assert.equal(rows[1].shapeChange, null);
    assert.deepEqual(shapesLeakage('x', undefined), []);
  });
});
