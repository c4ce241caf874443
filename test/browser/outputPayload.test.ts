// The payload the renderer receives (extension/vscode/outputPayload.ts), checked in node: what it embeds, that
// a cell's output stays under 1 MB whatever the pictures, and the live loss history.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { gridFallbackPng, OUTPUT_BUDGET, progressPayload, resultPayload, servableImage, smooth, thin } from '../../extension/vscode/outputPayload';
import { datasetResult, previewResult, targetResult } from './fixtures';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-payload-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const outputBytes = async (p: Awaited<ReturnType<typeof resultPayload>>, grid?: string) =>
  Buffer.byteLength(JSON.stringify(p)) + Buffer.byteLength(p.text) + (grid ? (await gridFallbackPng(grid)).length : 0);

describe('the renderer payload', () => {
  test('a preview carries a WebP tile and the absolute path of every picture, and which LoRA and weight each row shows', async () => {
    const r = await previewResult(path.join(dir, 'small'), 64);
    const p = await resultPayload(r);
    const thumbs = p.data.thumbs as string[][];
    const paths = p.data.paths as string[][];
    assert.equal(thumbs.length, 5);
    assert.ok(thumbs.flat().every((t) => t.startsWith('data:image/webp;base64,')));
    assert.ok(paths.flat().every((f) => path.isAbsolute(f) && fs.existsSync(f)));
    assert.deepEqual(p.data.rows, [-1, -0.5, 0, 0.5, 1].map((weight) => ({ lora: 'size', weight })));
    // 64-pixel pictures are enlarged ×4 with nearest-neighbour, so the swipe shows their pixels
    const meta = await sharp(Buffer.from(thumbs[0][0].split(',')[1], 'base64')).metadata();
    assert.equal(meta.width, 256);
    assert.deepEqual(p.data.rowLabels, r.display.data!.rowLabels, 'what the preview cell said is kept');
  });

  test('noisy pictures get smaller tiles, and the whole cell output stays under 1 MB', async () => {
    const d = path.join(dir, 'noisy');
    const r = await previewResult(d, 64);
    // replace the pictures with noise, the worst case for compression
    for (const f of (r.display.data!.images as string[][]).flat()) {
      await sharp(randomBytes(512 * 512 * 3), { raw: { width: 512, height: 512, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path.join(d, f));
    }
    const p = await resultPayload(r);
    assert.ok((p.data.thumbSize as number) < 256, `tile size ${p.data.thumbSize}`);
    const bytes = await outputBytes(p, r.artifacts.grid);
    assert.ok(bytes <= OUTPUT_BUDGET, `${bytes} bytes`);
  });

  test('a training loss list is thinned to 1000 points at most, keeping the last step, with its smoothed curve', async () => {
    const p = await resultPayload(targetResult(2500));
    const losses = p.data.losses as number[];
    const steps = p.data.lossSteps as number[];
    assert.ok(losses.length <= 1001);
    assert.equal(steps.length, losses.length);
    assert.equal(steps[0], 1);
    assert.equal(steps[steps.length - 1], 2500);
    assert.equal((p.data.smoothed as number[]).length, losses.length);
    assert.equal(p.data.steps, 2500);
  });

  test('a dataset embeds its thumbnails', async () => {
    const p = await resultPayload(await datasetResult(path.join(dir, 'ds')));
    assert.equal(p.images.filter((im) => im.thumb?.startsWith('data:image/webp')).length, 6);
  });

  test('thin keeps the first and last values; smooth leaves a constant series alone', () => {
    const t = thin(Array.from({ length: 2501 }, (_, i) => i), 1000);
    assert.equal(t.values[0], 0);
    assert.equal(t.values[t.values.length - 1], 2500);
    assert.ok(t.values.length <= 1001);
    assert.deepEqual(smooth([2, 2, 2, 2]).map((x) => +x.toFixed(12)), [2, 2, 2, 2]);
  });

  test('live progress keeps the losses seen so far, and a step that goes back starts a new curve', () => {
    let p = progressPayload('bias live-test', { step: 1, total: 10, loss: 0.5 });
    for (let s = 2; s <= 6; s++) p = progressPayload('bias live-test', { step: s, total: 10, loss: 0.5 / s });
    assert.deepEqual((p.progress.history as number[][]).map((x) => x[0]), [1, 2, 3, 4, 5, 6]);
    assert.equal(p.text, 'step 6/10 · loss 0.0833');
    p = progressPayload('bias live-test', { step: 2, total: 10, loss: 0.4 });
    assert.deepEqual(p.progress.history, [[2, 0.4]]);
    // without a loss (dataset scans, sampling) there is no curve
    assert.equal(progressPayload('dataset x', { step: 3, total: 9 }).progress.history, undefined);
  });

  test('a model being read shows which part and how many megabytes', () => {
    const p = progressPayload('model base', { phase: 'loading', what: 'UNet', step: 812, total: 2034, unit: 'MB' });
    assert.equal(p.text, 'loading UNet: 812/2034 MB');
  });

  test('the host serves only images that the notebook\'s own outputs name', async () => {
    const p = await resultPayload(await previewResult(path.join(dir, 'serve'), 32));
    const texts = [JSON.stringify({ title: 'other' }), JSON.stringify(p)];
    const tile = (p.data.paths as string[][])[1][0];
    assert.equal(servableImage(tile, texts), true);
    assert.equal(servableImage(p.artifacts.grid, texts), true);
    assert.equal(servableImage(path.join(dir, 'serve', 'elsewhere.png'), texts), false, 'an image no output names');
    assert.equal(servableImage(p.artifacts.images, texts), false, 'a file that is not an image');
    assert.equal(servableImage([path.dirname(tile), '..', 'size', path.basename(tile)].join(path.sep), texts), false, 'a path with ..');
    assert.equal(servableImage(path.relative(process.cwd(), tile), texts), false, 'a relative path');
    assert.equal(servableImage(42, texts), false);
  });
});
