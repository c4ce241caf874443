// The analyze report: figures checked against values computed by hand on a fixed set of 12 posts, from a
// dataset report and from a tag file (with the file's noise), which must agree.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tmpDir } from './make-images';
import { analyzeTags } from '../../../extension/core/dataset/analyze';
import type { DatasetImage, DatasetReport } from '../../../extension/core/dataset/types';

const POSTS = [
  'large, red, circle',
  'large, red, square',
  'large, red, circle, white background',
  'large, blue, circle',
  'small, red, circle',
  'small, blue, square',
  'small, blue, circle, white background',
  'small, green, triangle',
  'small, blue, square, white background',
  'small, green, circle',
  'small, green, circle',
  'small, blue, circle',
];

function reportOf(posts: string[]): DatasetReport {
  const images: DatasetImage[] = posts.map((p, i) => ({
    path: `img/${i}.png`, width: 512, height: 512, bytes: 1, format: 'png', tags: p.split(', '), repeats: 1, hasAlpha: false, phash: '0',
  }));
  return { sources: ['img'], images, counts: {} as DatasetReport['counts'], problems: [], buckets: [], duplicates: [] };
}

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

function checkHandFigures(r: Awaited<ReturnType<typeof analyzeTags>>) {
  assert.equal(r.concept, 'large');
  assert.equal(r.posts, 12);
  assert.equal(r.conceptCount, 4);
  assert.deepEqual(r.cooccurrence.map((c) => c.tag), ['red', 'circle', 'square', 'white background', 'blue']);
  const [red, circle, square, white, blue] = r.cooccurrence;
  // red: 3 of the 4 large posts; 4 of 12 posts overall.
  assert.equal(red.count, 3); close(red.pGivenConcept, 3 / 4); close(red.p, 4 / 12); close(red.lift, 2.25); close(red.leak, 3 / 4 - 1 / 3);
  assert.equal(red.flag, 'leak');
  assert.match(red.advice!, /add about 5 `large` images without `red`/);
  // circle: 3 of 4, 8 of 12: lift 1.125, below the watch threshold.
  assert.equal(circle.count, 3); close(circle.p, 8 / 12); close(circle.lift, 1.125); assert.equal(circle.flag, undefined);
  assert.equal(square.count, 1); close(square.pGivenConcept, 1 / 4); close(square.p, 3 / 12); close(square.lift, 1);
  assert.equal(white.count, 1); close(white.p, 3 / 12);
  assert.equal(blue.count, 1); close(blue.p, 5 / 12); close(blue.lift, 0.6); close(blue.leak, 1 / 4 - 5 / 12);
  assert.deepEqual(r.frequencies.slice(0, 5), [
    { tag: 'circle', count: 8 }, { tag: 'small', count: 8 }, { tag: 'blue', count: 5 }, { tag: 'large', count: 4 }, { tag: 'red', count: 4 },
  ]);
}

describe('analyzeTags', () => {
  it('computes count, P(tag|concept), P(tag), lift and leak as worked out by hand (from a dataset report)', async () => {
    const r = await analyzeTags({ report: reportOf(POSTS) }, 'large', { minCount: 1 });
    checkHandFigures(r);
    assert.equal(r.untagged, 0);
  });

  it('gives the same figures from a tag file with underscores, odd spacing, CRLF, a BOM and malformed lines', async () => {
    const dir = tmpDir('analyze');
    const file = path.join(dir, 'posts.txt');
    const lines = POSTS.map((p, i) => (i % 3 === 0 ? p.replace(/ /g, '_').replace(/,_/g, ',') : i % 3 === 1 ? p.replace(/, /g, ' ,  ') : p));
    const bad = [
      Buffer.from('large, red\u0000, circle\r\n'), // control character
      Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x2c, 0x20, 0x6c, 0x61, 0x72, 0x67, 0x65, 0x0a]), // Shift-JIS "テスト, large"
      Buffer.from('{"tags": "large, red"}\n'),
      Buffer.from(' , ,\n'),
      Buffer.from('\n   \n'), // blank lines: skipped silently
    ];
    const body = Buffer.concat([
      Buffer.from('\ufeff' + lines.slice(0, 6).join('\r\n') + '\r\n'), ...bad, Buffer.from(lines.slice(6).join('\n')), // no final newline
    ]);
    fs.writeFileSync(file, body);
    const r = await analyzeTags({ tagFile: file }, ['Large'], { minCount: 1 });
    checkHandFigures(r);
    assert.deepEqual(r.problems.map((p) => p.line), [7, 8, 9, 10]);
    assert.equal(r.problemCount, 4);
    assert.match(r.problems[0].message, /control characters/);
    assert.match(r.problems[1].message, /not valid UTF-8/);
    assert.match(r.problems[2].message, /looks like JSON/);
    assert.match(r.problems[3].message, /no tags/);
    assert.ok(r.frequencies.every((f) => !f.tag.includes('_')));
  });

  it('leaves out tags seen with the concept fewer than min_count times and keeps the top N', async () => {
    const r = await analyzeTags({ report: reportOf(POSTS) }, 'large', { minCount: 3 });
    assert.deepEqual(r.cooccurrence.map((c) => c.tag), ['red', 'circle']);
    const r2 = await analyzeTags({ report: reportOf(POSTS) }, 'large', { minCount: 1, top: 1 });
    assert.deepEqual(r2.cooccurrence.map((c) => c.tag), ['red']);
  });

  it('with several concepts reports posts with any of them, and each one apart', async () => {
    const r = await analyzeTags({ report: reportOf(POSTS) }, ['large', 'green'], { minCount: 1 });
    assert.equal(r.concept, 'large + green');
    assert.equal(r.conceptCount, 7); // 4 large + 3 green, none both
    const circle = r.cooccurrence.find((c) => c.tag === 'circle')!;
    assert.equal(circle.count, 5); close(circle.pGivenConcept, 5 / 7);
    assert.ok(!r.cooccurrence.some((c) => c.tag === 'large' || c.tag === 'green'));
    assert.deepEqual(r.perConcept!.map((p) => [p.concept, p.conceptCount]), [['large', 4], ['green', 3]]);
    const small = r.perConcept![1].cooccurrence.find((c) => c.tag === 'small')!;
    assert.equal(small.count, 3); close(small.lift, 1 / (8 / 12));
  });

  it('says so when no post has the concept, naming similar tags', async () => {
    const r = await analyzeTags({ report: reportOf(POSTS) }, 'larg');
    assert.equal(r.conceptCount, 0);
    assert.deepEqual(r.cooccurrence, []);
    assert.match(r.problems[0].message, /No post has the concept tag `larg`.*`large`/);
  });

  it('counts each image of a dataset once per repeat, as training sees it, unless asked not to', async () => {
    const rep = reportOf(POSTS);
    rep.images[0].repeats = 3; // 'large, red, circle' seen three times an epoch
    const r = await analyzeTags({ report: rep }, 'large', { minCount: 1 });
    assert.deepEqual([r.weighting, r.posts, r.conceptCount], ['repeats', 14, 6]);
    const red = r.cooccurrence.find((c) => c.tag === 'red')!;
    assert.equal(red.count, 5); close(red.pGivenConcept, 5 / 6); close(red.p, 6 / 14);
    const once = await analyzeTags({ report: rep }, 'large', { minCount: 1, weighting: 'images' });
    assert.deepEqual([once.weighting, once.posts, once.conceptCount], ['images', 12, 4]);
  });

  it('with tagger predictions counts what the images show and how often captions name it', async () => {
    const rep = reportOf(['large, red', 'large', 'large', 'small']);
    const captionOf = (i: number) => { rep.images[i].caption = rep.images[i].tags.join(', '); rep.images[i].captionKind = 'tags'; };
    [0, 1, 2, 3].forEach(captionOf);
    rep.images[0].predicted = ['red', 'cleavage'];
    rep.images[1].predicted = ['cleavage'];
    rep.images[2].predicted = ['red'];
    rep.images[3].predicted = [];
    const r = await analyzeTags({ report: rep }, 'large', { minCount: 1 });
    const by = new Map(r.cooccurrence.map((c) => [c.tag, c]));
    assert.equal(by.get('red')!.count, 2); // in image 0's caption, and predicted for image 2
    close(by.get('red')!.captioned!, 1 / 2);
    assert.equal(by.get('cleavage')!.count, 2);
    assert.equal(by.get('cleavage')!.captioned, 0);
    assert.equal(by.get('cleavage')!.flag, 'watch'); // 2 of 3 against 2 of 4: lift 1.33
    assert.match(by.get('cleavage')!.advice!, /Only 0% of the captions of those images name it\./);
    const plain = await analyzeTags({ report: reportOf(POSTS) }, 'large', { minCount: 1 });
    assert.equal(plain.cooccurrence[0].captioned, undefined);
  });

  it('skips untagged images of a dataset and counts them', async () => {
    const rep = reportOf([...POSTS, '']);
    rep.images[12].tags = [];
    const r = await analyzeTags({ report: rep }, 'large', { minCount: 1 });
    assert.equal(r.posts, 12);
    assert.equal(r.untagged, 1);
  });
});
