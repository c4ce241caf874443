// Captions from a metadata file (JSONL or CSV): matched to images, malformed lines and missing files named.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseCsv } from '../../../extension/core/dataset/csv';
import { scanDataset } from '../../../extension/core/dataset/dataset';
import { structured, tmpDir, writeImage } from './make-images';

let root: string;

describe('metadata files', () => {
  before(async () => {
    root = tmpDir('meta');
    await writeImage(path.join(root, 'imgs/a.png'), structured(21, 64, 64));
    await writeImage(path.join(root, 'imgs/b.png'), structured(22, 64, 64));
    await writeImage(path.join(root, 'imgs/c.png'), structured(23, 64, 64));
    fs.writeFileSync(path.join(root, 'imgs/meta.jsonl'), [
      '{"file_name": "a.png", "tags": "1girl, long_hair"}',
      '{"file": "b.png", "tags": ["solo", "smile"]}',
      'not json',
      '{"file": "gone.png", "tags": "x"}',
      '{"image": "c.png"}',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(root, 'imgs/meta.csv'), 'file,tags\na.png,"1girl, long_hair"\nb.png,solo,smile\n"c.png","a ""quoted"" tag"\n');
  });

  it('reads JSONL tags as strings or lists and names each bad line', async () => {
    const r = await scanDataset({ images: 'imgs', metadata: 'imgs/meta.jsonl', min_size: 16 }, root, { thumbnails: 0 });
    const by = new Map(r.images.map((i) => [i.path, i]));
    assert.deepEqual(by.get('imgs/a.png')!.tags, ['1girl', 'long hair']);
    assert.deepEqual(by.get('imgs/b.png')!.tags, ['solo', 'smile']);
    assert.equal(by.get('imgs/a.png')!.captionFile, 'imgs/meta.jsonl');
    assert.deepEqual(r.problems.map((p) => [p.file, p.code]), [
      ['imgs/c.png', 'missing-caption'],
      ['imgs/meta.jsonl:3', 'metadata-line'],
      ['imgs/meta.jsonl:4', 'metadata-missing-file'],
      ['imgs/meta.jsonl:5', 'metadata-line'],
    ]);
    assert.deepEqual(r.sources, ['imgs', 'imgs/meta.jsonl']);
  });

  it('reads CSV with quoted fields, and takes the images from it when no folder is given', async () => {
    const r = await scanDataset({ metadata: 'imgs/meta.csv', min_size: 16 }, root, { thumbnails: 0 });
    assert.deepEqual(r.images.map((i) => [i.path, i.tags]), [['imgs/a.png', ['1girl', 'long hair']], ['imgs/c.png', ['a "quoted" tag']]]);
    assert.deepEqual(r.problems.map((p) => [p.file, p.code]), [['imgs/meta.csv:3', 'metadata-line']]);
    assert.match(r.problems[0].message, /3 fields, the header 2/);
  });

  it('reports a metadata file that cannot be read', async () => {
    const r = await scanDataset({ images: 'imgs', metadata: 'nope.jsonl', min_size: 16 }, root, { thumbnails: 0 });
    assert.equal(r.problems.filter((p) => p.code === 'metadata-unreadable').length, 1);
    assert.equal(r.counts.images, 3);
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, newlines in quotes, CRLF and a BOM', () => {
    assert.deepEqual(parseCsv('\ufeffa,b\r\n"x, y","he said ""hi"""\r\n"multi\nline",z\n'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'he said "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
    ]);
  });
});
