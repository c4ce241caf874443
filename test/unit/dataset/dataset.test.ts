// scanDataset on a generated kohya folder with one of every planted problem: each is found, named and counted
// once; readable images carry their caption, tags and repeats; nothing on disk changes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { scanDataset } from '../../../extension/core/dataset/dataset';
import type { DatasetReport } from '../../../extension/core/dataset/types';
import { snapshot, structured, tmpDir, writeImage } from './make-images';

let root: string;
let report: DatasetReport;
let progress: [number, number][] = [];
let before0: Map<string, string>;

async function plant(dir: string) {
  const g = path.join(dir, 'data/train/10_girl');
  const cap = (name: string, text: string | Buffer = '1girl, solo') => fs.writeFileSync(path.join(g, name), text);
  const ok1 = await writeImage(path.join(g, 'ok1.png'), structured(1, 600, 600)); cap('ok1.txt', '1girl, solo, red hair');
  await writeImage(path.join(g, 'ok2.jpg'), structured(2, 640, 512)); cap('ok2.txt', 'A girl with red hair standing in a field of flowers at sunset.');
  fs.writeFileSync(path.join(g, 'dup.png'), ok1); cap('dup.txt');
  await writeImage(path.join(g, 'near.jpg'), structured(1, 600, 600).resize(580, 580)); cap('near.txt');
  const jpg = await writeImage(path.join(g, 'trunc.jpg'), structured(3, 600, 600)); fs.writeFileSync(path.join(g, 'trunc.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6))); cap('trunc.txt');
  fs.writeFileSync(path.join(g, 'zero.png'), ''); cap('zero.txt');
  fs.writeFileSync(path.join(g, 'fake.png'), 'this is not a png\n'); cap('fake.txt');
  await writeImage(path.join(g, 'small.png'), structured(4, 200, 200)); cap('small.txt');
  await writeImage(path.join(g, 'wide.png'), structured(5, 2400, 600)); cap('wide.txt');
  await writeImage(path.join(g, 'alpha.png'), structured(6, 600, 600, true)); cap('alpha.txt');
  await writeImage(path.join(g, 'nocap.png'), structured(7, 600, 600));
  cap('orphan.txt');
  await writeImage(path.join(g, 'bom.png'), structured(8, 600, 600)); cap('bom.txt', Buffer.from('\ufeff1girl, smile'));
  await writeImage(path.join(g, 'sjis.png'), structured(9, 600, 600)); cap('sjis.txt', Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x2c, 0x20, 0x31, 0x67, 0x69, 0x72, 0x6c]));
  cap('notes.md', '# notes');
  fs.symlinkSync('..', path.join(g, 'loop'));
  fs.symlinkSync('self', path.join(g, 'self'));
  fs.symlinkSync('missing.png', path.join(g, 'dangling.png'));
  execFileSync('mkfifo', [path.join(g, 'pipe.png')]);
  fs.mkdirSync(path.join(dir, 'data/train/3_empty'));
  await writeImage(path.join(dir, 'data/train/loose.png'), structured(10, 768, 512));
  fs.writeFileSync(path.join(dir, 'data/train/loose.txt'), 'landscape, no humans');
}

describe('scanDataset on planted problems', () => {
  before(async () => {
    root = tmpDir('scan');
    await plant(root);
    before0 = snapshot(root);
    report = await scanDataset({ images: 'data/train' }, root, { onProgress: (d, t) => progress.push([d, t]), thumbnails: 4 });
  });

  it('finds each planted problem exactly once', () => {
    assert.deepEqual(report.counts.byCode, {
      'alpha': 1, 'aspect-ratio': 1, 'caption-bom': 1, 'caption-encoding': 1, 'duplicate': 1, 'empty-file': 1, 'empty-folder': 1,
      'ignored-file': 1, 'missing-caption': 1, 'near-duplicate': 1, 'not-a-file': 1, 'not-an-image': 1, 'orphan-caption': 1,
      'symlink-loop': 2, 'too-small': 1, 'truncated': 1, 'unreadable': 1,
    });
    assert.equal(report.problems.length, 18);
  });

  it('names the file of each problem, relative to the recipe', () => {
    const at = (code: string) => report.problems.filter((p) => p.code === code).map((p) => p.file).sort();
    const g = 'data/train/10_girl/';
    assert.deepEqual(at('duplicate'), [g + 'ok1.png']); // dup.png comes first in scan order
    assert.deepEqual(at('near-duplicate'), [g + 'near.jpg']);
    assert.deepEqual(at('truncated'), [g + 'trunc.jpg']);
    assert.deepEqual(at('empty-file'), [g + 'zero.png']);
    assert.deepEqual(at('not-an-image'), [g + 'fake.png']);
    assert.deepEqual(at('too-small'), [g + 'small.png']);
    assert.deepEqual(at('aspect-ratio'), [g + 'wide.png']);
    assert.deepEqual(at('alpha'), [g + 'alpha.png']);
    assert.deepEqual(at('missing-caption'), [g + 'nocap.png']);
    assert.deepEqual(at('orphan-caption'), [g + 'orphan.txt']);
    assert.deepEqual(at('caption-bom'), [g + 'bom.txt']);
    assert.deepEqual(at('caption-encoding'), [g + 'sjis.txt']);
    assert.deepEqual(at('ignored-file'), [g + 'notes.md']);
    assert.deepEqual(at('symlink-loop'), [g + 'loop', g + 'self']);
    assert.deepEqual(at('unreadable'), [g + 'dangling.png']);
    assert.deepEqual(at('not-a-file'), [g + 'pipe.png']);
    assert.deepEqual(at('empty-folder'), ['data/train/3_empty']);
    for (const p of report.problems) assert.ok(p.message.length > 20 && /[.:]/.test(p.message), `${p.code}: ${p.message}`);
    assert.match(report.problems.find((p) => p.code === 'duplicate')!.message, /dup\.png/);
    assert.match(report.problems.find((p) => p.code === 'truncated')!.message, /premature end|corrupt/);
  });

  it('reports the readable images with captions, tags, repeats and sizes', () => {
    const by = new Map(report.images.map((i) => [i.path, i]));
    assert.equal(report.counts.files, 14);
    assert.equal(report.counts.images, 11);
    assert.equal(report.counts.imagesPerEpoch, 10 * 10 + 1);
    const ok1 = by.get('data/train/10_girl/ok1.png')!;
    assert.deepEqual([ok1.width, ok1.height, ok1.repeats, ok1.format], [600, 600, 10, 'png']);
    assert.deepEqual(ok1.tags, ['1girl', 'solo', 'red hair']);
    assert.equal(ok1.captionFile, 'data/train/10_girl/ok1.txt');
    const ok2 = by.get('data/train/10_girl/ok2.jpg')!;
    assert.equal(ok2.captionKind, 'prose');
    assert.deepEqual(ok2.tags, []);
    assert.equal(by.get('data/train/loose.png')!.repeats, 1);
    assert.deepEqual(by.get('data/train/10_girl/bom.png')!.tags, ['1girl', 'smile']);
    assert.deepEqual(by.get('data/train/10_girl/sjis.png')!.tags, ['テスト', '1girl']);
    assert.equal(by.get('data/train/10_girl/nocap.png')!.caption, undefined);
    assert.equal(by.get('data/train/10_girl/alpha.png')!.hasAlpha, true);
    assert.equal(report.counts.captioned, 10);
    assert.equal(report.counts.captionsAsProse, 1);
    assert.deepEqual(report.duplicates.map((d) => [d.kind, d.files]), [
      ['exact', ['data/train/10_girl/dup.png', 'data/train/10_girl/ok1.png']],
      ['near', ['data/train/10_girl/dup.png', 'data/train/10_girl/near.jpg']],
    ]);
    assert.ok(report.duplicates[1].distance <= 6);
  });

  it('puts every readable image in one bucket per family', () => {
    for (const fam of ['sd15', 'sdxl'] as const) {
      const b = report.buckets.filter((x) => x.family === fam);
      assert.equal(b.reduce((s, x) => s + x.count, 0), 11);
      assert.equal(b.reduce((s, x) => s + x.perEpoch, 0), 101);
    }
    const sd15 = report.buckets.filter((x) => x.family === 'sd15');
    assert.deepEqual(sd15[0], { family: 'sd15', width: 512, height: 512, count: 8, perEpoch: 80 });
  });

  it('makes a small thumbnail strip and reports progress to the end', () => {
    assert.equal(report.thumbnails!.length, 4);
    for (const t of report.thumbnails!) {
      assert.match(t.dataUri!, /^data:image\/webp;base64,/);
      assert.ok(t.dataUri!.length < 12_000);
      assert.ok(Math.max(t.width, t.height) <= 64);
    }
    assert.deepEqual(progress.at(-1), [14, 14]);
    assert.equal(progress.length, 14);
  });

  it('modifies nothing on disk', () => {
    assert.deepEqual(snapshot(root), before0);
  });

  it('writes thumbnails to the cache folder when given one, and stops when aborted', async () => {
    const cache = tmpDir('cache');
    const r = await scanDataset({ images: 'data/train/10_girl', min_size: 100 }, root, { cacheDir: cache, thumbnails: 2 });
    assert.equal(r.thumbnails!.length, 2);
    for (const t of r.thumbnails!) { assert.ok(t.file!.startsWith(cache)); assert.ok(fs.statSync(t.file!).size > 0); assert.equal(t.dataUri, undefined); }
    assert.equal(r.counts.byCode['too-small'], undefined);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(scanDataset({ images: 'data/train' }, root, { signal: ac.signal }), { name: 'AbortError' });
  });

  it('warns about EXIF-rotated photos and notes animated images', async () => {
    const dir = tmpDir('exif');
    await writeImage(path.join(dir, 'i/plain.jpg'), structured(51, 64, 48));
    fs.writeFileSync(path.join(dir, 'i/turned.jpg'), await structured(52, 64, 48).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const frames = await structured(53, 32, 64).raw().toBuffer();
    fs.writeFileSync(path.join(dir, 'i/anim.webp'), await sharp(frames, { raw: { width: 32, height: 64, channels: 3, pageHeight: 32 } as never }).webp({ loop: 0 }).toBuffer());
    for (const n of ['plain', 'turned', 'anim']) fs.writeFileSync(path.join(dir, `i/${n}.txt`), 'x');
    const r = await scanDataset({ images: 'i', min_size: 16 }, dir, { thumbnails: 0 });
    assert.deepEqual(r.problems.map((p) => [p.file, p.code]), [['i/anim.webp', 'animated'], ['i/turned.jpg', 'orientation']]);
    assert.match(r.problems[1].message, /orientation 6.*turned by 90°/);
  });

  it('reports an image and a folder it is not allowed to read, and scans the rest', async () => {
    const dir = tmpDir('perm');
    await writeImage(path.join(dir, 'd/ok.png'), structured(61, 32, 32));
    await writeImage(path.join(dir, 'd/locked.png'), structured(62, 32, 32));
    await writeImage(path.join(dir, 'd/closed/x.png'), structured(63, 32, 32));
    await writeImage(path.join(dir, 'd/nocap.png'), structured(64, 32, 32));
    for (const n of ['ok', 'locked', 'nocap']) fs.writeFileSync(path.join(dir, `d/${n}.txt`), 'x');
    fs.writeFileSync(path.join(dir, 'd/closed/x.txt'), 'x');
    fs.chmodSync(path.join(dir, 'd/locked.png'), 0o000);
    fs.chmodSync(path.join(dir, 'd/nocap.txt'), 0o000);
    fs.chmodSync(path.join(dir, 'd/closed'), 0o000);
    let r: DatasetReport;
    if (process.getuid?.() === 0) { // root reads everything: scan as nobody
      for (const p of [dir, path.join(dir, 'd')]) fs.chmodSync(p, 0o755);
      for (const f of ['d/ok.png', 'd/ok.txt', 'd/locked.txt', 'd/nocap.png']) fs.chmodSync(path.join(dir, f), 0o644);
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', path.join(__dirname, 'scan-child.ts'), dir],
        { encoding: 'utf8', env: { ...process.env, HOME: dir } });
      r = JSON.parse(out);
    } else {
      r = await scanDataset({ images: 'd', min_size: 16 }, dir, { thumbnails: 0 });
    }
    assert.deepEqual(r.problems.map((p) => [p.file, p.code]), [['d/closed', 'unreadable'], ['d/locked.png', 'unreadable'], ['d/nocap.txt', 'unreadable']]);
    assert.match(r.problems[1].message, /EACCES.*permissions/);
    assert.deepEqual(r.images.map((i) => [i.path, i.caption]), [['d/nocap.png', undefined], ['d/ok.png', 'x']]);
  });

  it('reports a missing folder and an empty dataset without throwing', async () => {
    const r = await scanDataset({ images: ['nope', 'data/train/3_empty'] }, root);
    assert.deepEqual(r.problems.map((p) => [p.file, p.code]), [['data/train/3_empty', 'empty-folder'], ['nope', 'missing-folder']]);
    assert.equal(r.counts.images, 0);
    assert.deepEqual(r.buckets, []);
  });
});
