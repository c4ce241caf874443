// Tag normalisation makes dump spellings, caption spellings and recipe spellings the same tag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeTag, splitCaption, uniqueTags } from '../../../extension/core/dataset/tags';

describe('normalizeTag', () => {
  it('turns underscores into spaces, trims, collapses spaces and lower-cases', () => {
    assert.equal(normalizeTag('large_breasts'), 'large breasts');
    assert.equal(normalizeTag('  Large   Breasts \t'), 'large breasts');
    assert.equal(normalizeTag('\ufeff1girl'), '1girl');
    assert.equal(normalizeTag('   '), '');
  });
  it('keeps kaomoji and unescapes A1111 brackets', () => {
    assert.equal(normalizeTag('^_^'), '^_^');
    assert.equal(normalizeTag('>_<'), '>_<');
    assert.equal(normalizeTag('hatsune_miku_\\(cosplay\\)'), 'hatsune miku (cosplay)');
  });
  it('returns already-normal tags unchanged, non-ASCII included', () => {
    assert.equal(normalizeTag('red hair'), 'red hair');
    assert.equal(normalizeTag('テスト'), 'テスト');
    assert.equal(normalizeTag('Émilie'), 'émilie');
  });
});

describe('splitCaption', () => {
  it('reads comma-separated tags, de-duplicated in order', () => {
    assert.deepEqual(splitCaption('1girl, solo, long_hair, solo, '), { kind: 'tags', tags: ['1girl', 'solo', 'long hair'] });
    assert.deepEqual(splitCaption('landscape'), { kind: 'tags', tags: ['landscape'] });
  });
  it('recognises prose', () => {
    assert.equal(splitCaption('A girl with red hair stands in a field of flowers at sunset.').kind, 'prose');
    assert.equal(splitCaption('A photo of a cat, sitting on a wooden table next to a window with the evening sun coming in').kind, 'prose');
    assert.deepEqual(splitCaption('A cat.'), { kind: 'prose', tags: [] });
  });
  it('uniqueTags drops empties', () => {
    assert.deepEqual(uniqueTags(['a', ' ', 'A', 'b_c']), ['a', 'b c']);
  });
});
