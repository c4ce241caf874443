// The tiny WD14-format tagger (scripts/make-tiny-tagger.py) run end to end through onnxruntime-node. Its
// scores are fixed functions of the channel means, so the test knows which tags must fire.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { TaggerError } from '../../../../extension/core/dataset/tagger/labels';
import { openTagger, tagImages } from '../../../../extension/core/dataset/tagger/run';
import { solid, tmpDir, TINY } from '../make-images';


let dir: string;
const files: Record<string, string> = {};

describe('tagImages with the tiny tagger', () => {
  before(async () => {
    dir = tmpDir('tagger');
    for (const [name, size, r, g, b, a] of [
      ['red', 32, 255, 0, 0, 1], ['cyan', 64, 0, 255, 255, 1], ['green', 32, 0, 255, 0, 1], ['clear', 32, 0, 0, 0, 0], ['black', 40, 0, 0, 0, 1],
    ] as const) {
      files[name] = path.join(dir, `${name}.png`);
      await solid(files[name], size, r, g, b, a);
    }
    fs.writeFileSync(path.join(dir, 'broken.png'), 'nope');
  });

  it('reads the input size, layout and labels from the model', async () => {
    const t = await openTagger(TINY, { device: 'cpu' });
    assert.deepEqual([t.size, t.layout, t.fixedBatch, t.input, t.output, t.provider], [32, 'nhwc', undefined, 'input_1:0', 'predictions_sigmoid', 'cpu']);
    assert.equal(t.labels.names.length, 12);
    assert.equal(t.labels.names[9], '^_^');
    assert.equal(t.labels.names[7], 'white background');
  });

  it('fires the tags the image calls for, in batches, in input order', async () => {
    const order = ['red', 'cyan', 'green', 'clear', 'black'];
    const r = await tagImages(order.map((n) => files[n]), { model: TINY }, { batchSize: 2, relativeTo: dir });
    assert.ok(r.provider === 'cpu' || r.provider === 'cuda');
    assert.equal(r.provider === 'cpu', r.cpuReason !== undefined);
    assert.deepEqual(r.results.map((x) => x.path), order.map((n) => `${n}.png`));
    const names = r.results.map((x) => x.tags.map((t) => t.tag));
    assert.deepEqual(names[0], ['general', 'red theme', '^_^', 'mid score']); // BGR order right: red, not blue
    assert.deepEqual(names[1], ['general', 'hatsune miku', 'green theme', 'blue theme', '^_^', 'mid score']);
    assert.deepEqual(names[2], ['general', 'green theme', '^_^', 'mid score']); // miku at 0.5 < 0.85
    assert.deepEqual(names[3], ['general', 'red theme', 'green theme', 'blue theme', 'white background', '^_^', 'mid score']); // transparent black is white
    assert.deepEqual(names[4], ['general', 'dark', '^_^', 'mid score']);
    const red = r.results[0].tags;
    assert.deepEqual(red.map((t) => t.category), ['rating', 'general', 'general', 'general']);
    assert.ok(Math.abs(red[0].score - 1 / (1 + Math.exp(-2))) < 1e-5);
    assert.ok(Math.abs(red[3].score - 0.4) < 1e-5);
  });

  it('applies configurable thresholds', async () => {
    const r = await tagImages([files.green, files.cyan], { model: TINY, general_threshold: 0.45, character_threshold: 0.4 }, { device: 'cpu' });
    assert.deepEqual(r.results[0].tags.map((t) => t.tag), ['general', 'hatsune miku', 'green theme', '^_^']);
    assert.equal(r.provider, 'cpu');
  });

  it('reports an unreadable image in its place and tags the rest', async () => {
    const r = await tagImages([files.red, path.join(dir, 'broken.png'), files.green], { model: TINY }, { device: 'cpu', batchSize: 8 });
    assert.equal(r.results[1].tags.length, 0);
    assert.match(r.results[1].error!, /unsupported image format/);
    assert.deepEqual(r.results[2].tags.map((t) => t.tag), ['general', 'green theme', '^_^', 'mid score']);
  });

  it('reads an NCHW model the same way and gives the same tags', async () => {
    const nchw = path.join(TINY, '../tiny-tagger-nchw');
    const t = await openTagger(nchw, { device: 'cpu' });
    assert.deepEqual([t.size, t.layout], [32, 'nchw']);
    const a = await tagImages([files.red, files.cyan], t);
    const b = await tagImages([files.red, files.cyan], { model: TINY }, { device: 'cpu' });
    assert.deepEqual(a.results.map((r) => r.tags.map((x) => x.tag)), b.results.map((r) => r.tags.map((x) => x.tag)));
  });

  it('refuses a model whose input is not an image', async () => {
    await assert.rejects(openTagger(path.join(TINY, '../not-a-tagger'), { device: 'cpu' }), /input `features` has shape \[batch, 10\]/);
  });

  it('refuses a selected_tags.csv that does not match the model, saying what to do', async () => {
    const bad = tmpDir('tagger-bad');
    fs.copyFileSync(path.join(TINY, 'model.onnx'), path.join(bad, 'model.onnx'));
    const csv = fs.readFileSync(path.join(TINY, 'selected_tags.csv'), 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(bad, 'selected_tags.csv'), csv.slice(0, -1).join('\n') + '\n');
    await assert.rejects(openTagger(bad, { device: 'cpu' }), (e: Error) => e instanceof TaggerError && /outputs 12 scores but .* lists 11 tags.*came with this/.test(e.message));
    fs.writeFileSync(path.join(bad, 'selected_tags.csv'), 'id,tag\n1,a\n');
    await assert.rejects(openTagger(bad, { device: 'cpu' }), /no `name` and `category` columns/);
    await assert.rejects(openTagger(path.join(bad, 'nope'), { device: 'cpu' }), /does not exist/);
  });
});
