// A dataset cell with a tagger: predicted tags fill in for missing captions; caption files are written only
// when asked, never over an existing one unless `overwrite`, which first keeps a `.bak`; a tagger whose CSV
// does not match is reported and the scan still completes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scanDataset } from '../../../../extension/core/dataset/dataset';
import { snapshot, solid, tmpDir, TINY } from '../make-images';

async function folder() {
  const root = tmpDir('apply');
  fs.mkdirSync(path.join(root, 'imgs'));
  await solid(path.join(root, 'imgs/red.png'), 32, 255, 0, 0);
  fs.writeFileSync(path.join(root, 'imgs/red.txt'), 'my, own, tags');
  await solid(path.join(root, 'imgs/cyan.png'), 32, 0, 255, 255);
  return root;
}
const CYAN = 'hatsune miku, green theme, blue theme, ^_^, mid score';

describe('a dataset with a tagger', () => {
  it('tags every image, uses the tags where there is no caption, and writes nothing by default', async () => {
    const root = await folder();
    const snap = snapshot(root);
    const progress: unknown[] = [];
    const r = await scanDataset({ images: 'imgs', min_size: 16, tagger: { model: TINY } }, root, { thumbnails: 0, onProgress: (...a) => progress.push(a) });
    assert.deepEqual(snapshot(root), snap);
    assert.deepEqual(progress, [[1, 2, 'read'], [2, 2, 'read'], [2, 2, 'tag']]);
    const [cyan, red] = r.images;
    assert.equal(cyan.caption, undefined);
    assert.deepEqual(cyan.tags, CYAN.split(', '));
    assert.deepEqual(red.tags, ['my', 'own', 'tags']);
    assert.deepEqual(red.predicted, ['red theme', '^_^', 'mid score']);
    assert.equal(r.tagger!.provider === 'cpu' || r.tagger!.provider === 'cuda', true);
    assert.deepEqual([r.tagger!.written, r.tagger!.backups, r.problems], [[], [], []]);
  });

  it('writes only missing captions with write_captions: missing', async () => {
    const root = await folder();
    const r = await scanDataset({ images: 'imgs', min_size: 16, tagger: { model: TINY, write_captions: 'missing' } }, root, { thumbnails: 0 });
    assert.deepEqual(r.tagger!.written, ['imgs/cyan.txt']);
    assert.equal(fs.readFileSync(path.join(root, 'imgs/cyan.txt'), 'utf8'), CYAN + '\n');
    assert.equal(fs.readFileSync(path.join(root, 'imgs/red.txt'), 'utf8'), 'my, own, tags');
  });

  it('overwrites with write_captions: overwrite, keeping each old caption as a .bak', async () => {
    const root = await folder();
    const spec = { images: 'imgs', min_size: 16, caption_extension: '.txt' as const, tagger: { model: TINY, write_captions: 'overwrite' as const } };
    const r = await scanDataset(spec, root, { thumbnails: 0 });
    assert.deepEqual(r.tagger!.written.sort(), ['imgs/cyan.txt', 'imgs/red.txt']);
    assert.deepEqual(r.tagger!.backups, ['imgs/red.txt.bak']);
    assert.equal(fs.readFileSync(path.join(root, 'imgs/red.txt.bak'), 'utf8'), 'my, own, tags');
    assert.equal(fs.readFileSync(path.join(root, 'imgs/red.txt'), 'utf8'), 'red theme, ^_^, mid score\n');
    const again = await scanDataset(spec, root, { thumbnails: 0 });
    assert.deepEqual(again.tagger!.backups.sort(), ['imgs/cyan.txt.bak', 'imgs/red.txt.bak.1']);
    assert.equal(fs.readFileSync(path.join(root, 'imgs/red.txt.bak'), 'utf8'), 'my, own, tags'); // the first backup is never replaced
    assert.deepEqual(again.problems, []); // .bak files are not reported as stray files
  });

  it('reports a tagger whose CSV does not match its model, and completes the scan', async () => {
    const root = await folder();
    const bad = path.join(root, 'tagger');
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(TINY, 'model.onnx'), path.join(bad, 'model.onnx'));
    fs.writeFileSync(path.join(bad, 'selected_tags.csv'), 'tag_id,name,category,count\n1,a,0,5\n');
    const snap = snapshot(root);
    const r = await scanDataset({ images: 'imgs', min_size: 16, tagger: { model: 'tagger', write_captions: 'overwrite' } }, root, { thumbnails: 0 });
    assert.deepEqual(r.problems.map((p) => [p.file, p.code, p.severity]), [['imgs/cyan.png', 'missing-caption', 'warning'], ['tagger', 'tagger', 'error']]);
    assert.match(r.problems[1].message, /outputs 12 scores but .* lists 1 tags/);
    assert.equal(r.counts.images, 2);
    assert.equal(r.tagger, undefined);
    assert.deepEqual(snapshot(root), snap);
  });
});
