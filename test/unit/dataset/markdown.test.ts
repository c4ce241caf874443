// The markdown fallbacks carry the figures and the advice, escaped so that tags cannot break the table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalyzeReport } from '../../../extension/core/dataset/analyze';
import { THRESHOLDS } from '../../../extension/core/dataset/cooccurrence';
import { analyzeMarkdown, datasetMarkdown } from '../../../extension/core/dataset/markdown';
import type { DatasetReport } from '../../../extension/core/dataset/types';

describe('markdown', () => {
  it('renders the analyze table with percentages, lift, flags and advice', () => {
    const r: AnalyzeReport = {
      concept: 'large breasts', concepts: ['large breasts'], conceptCount: 100, posts: 1000, weighting: 'posts', distinctTags: 3,
      frequencies: [{ tag: '^_^', count: 5 }],
      cooccurrence: [{ tag: 'cleavage', count: 55, pGivenConcept: 0.55, p: 0.18, lift: 0.55 / 0.18, leak: 0.37, flag: 'leak', advice: 'caption it' }],
      thresholds: THRESHOLDS, problems: [{ line: 3, message: 'line 3 is bad' }], problemCount: 1,
    };
    const md = analyzeMarkdown(r);
    assert.match(md, /\*\*large breasts\*\*: 100 of 1000 posts \(10%\)/);
    assert.match(md, /\| cleavage \| 55 \| 55% \| 18% \| 3\.06 \| leak \|/);
    assert.match(md, /- \*\*leak\*\* caption it/);
    assert.ok(md.includes('\\^\\_\\^ (5)'), 'every markdown character of a tag is escaped');
    assert.match(md, /line 3 is bad/);
  });

  it('renders counts, buckets, duplicates and problems most severe first', () => {
    const r = {
      sources: ['d'], images: [], problems: [
        { file: 'd/a.png', code: 'near-duplicate', severity: 'info', message: 'looks | like b' },
        { file: 'd/b.png', code: 'truncated', severity: 'error', message: 'is truncated.' },
      ],
      counts: { files: 3, images: 2, imagesPerEpoch: 20, captioned: 2, uncaptioned: 0, captionsAsTags: 2, captionsAsProse: 0, errors: 1, warnings: 0, infos: 1, distinctTags: 4 },
      buckets: [{ family: 'sd15', width: 512, height: 512, count: 2, perEpoch: 20 }],
      duplicates: [{ kind: 'near', files: ['d/a.png', 'd/c.png'], distance: 3 }],
    } as unknown as DatasetReport;
    const md = datasetMarkdown(r);
    assert.match(md, /\*\*2\*\* images \(20 per epoch/);
    assert.match(md, /1 image file could not be read/);
    assert.match(md, /SD1\.5 buckets: 512×512 ×2/);
    assert.match(md, /near \(distance 3\): `d\/a\.png`, `d\/c\.png`/);
    assert.ok(md.indexOf('is truncated') < md.indexOf('looks \\| like b'));
  });
});
