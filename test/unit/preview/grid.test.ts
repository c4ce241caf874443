// The preview grid: every image lands exactly in its cell, labels are drawn, and the PNG says where it came from.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { composeGrid, gridLayout, pngText } from '../../../extension/core/preview/grid';

let dir: string;
const COLOURS: [number, number, number][] = [[220, 30, 30], [30, 160, 60], [40, 70, 220], [230, 200, 30], [120, 0, 160], [0, 150, 150]];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-grid-'));
  for (const [i, [r, g, b]] of COLOURS.entries()) {
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g, b } } }).png().toFile(path.join(dir, `${i}.png`));
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

it('places each image in its cell, scaled without blurring, with labels in the header and the first column', async () => {
  const images = [[0, 1, 2], [3, 4, 5]].map((row) => row.map((i) => path.join(dir, `${i}.png`)));
  const out = path.join(dir, 'grid.png');
  const rowLabels = ['slider -1', 'slider +1'];
  const L = await composeGrid({ images, rowLabels, colLabels: ['seed 1\ncircle', 'seed 2\ncircle', 'seed 3\ncircle'], cell: 64, comment: 'recipe r.lorabias, cell 6' }, out);
  assert.deepEqual(L, gridLayout(2, 3, 64, rowLabels));
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [L.width, L.height]);
  const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 3; c++) {
      const left = L.labelWidth + L.gap + c * (L.cell + L.gap);
      const top = L.headerHeight + L.gap + r * (L.cell + L.gap);
      // Every pixel of the cell, corners included, is the image's colour (nearest-neighbour scaling).
      for (const [x, y] of [[left, top], [left + 63, top], [left, top + 63], [left + 63, top + 63], [left + 32, top + 32]]) {
        assert.deepEqual(px(x, y), COLOURS[r * 3 + c], `cell ${r},${c} at ${x},${y}`);
      }
      assert.deepEqual(px(left - 1, top + 10), [255, 255, 255], 'a white gap before each cell');
    }
  }
  const dark = (x0: number, y0: number, x1: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (px(x, y).every((v) => v < 128)) n++;
    return n;
  };
  for (let c = 0; c < 3; c++) {
    const left = L.labelWidth + L.gap + c * (L.cell + L.gap);
    assert.ok(dark(left, 0, left + L.cell, L.headerHeight) > 20, `column ${c} has a label`);
  }
  for (let r = 0; r < 2; r++) {
    const top = L.headerHeight + L.gap + r * (L.cell + L.gap);
    assert.ok(dark(0, top, L.labelWidth, top + L.cell) > 20, `row ${r} has a label`);
  }
  assert.equal(dark(0, 0, L.labelWidth, L.headerHeight), 0, 'the corner stays empty');
  assert.deepEqual(pngText(fs.readFileSync(out)), { Comment: 'recipe r.lorabias, cell 6' });
});

it('leaves a missing image\'s cell blank', async () => {
  const out = path.join(dir, 'gap.png');
  const L = await composeGrid({ images: [[path.join(dir, '0.png'), undefined]], rowLabels: ['a'], colLabels: ['x', 'y'], cell: 32 }, out);
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  const at = (L.headerHeight + L.gap + 16) * info.width + L.labelWidth + L.gap + (L.cell + L.gap) + 16;
  assert.deepEqual([...data.subarray(at * 3, at * 3 + 3)], [255, 255, 255]);
});
