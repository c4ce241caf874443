// Flags and advice follow the documented thresholds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, TagCounter, THRESHOLDS, type Cooccurrence } from '../../../extension/core/dataset/cooccurrence';

const co = (pGivenConcept: number, p: number, count = 50): Cooccurrence => ({ tag: 'cleavage', count, pGivenConcept, p, lift: pGivenConcept / p, leak: pGivenConcept - p });

describe('flags', () => {
  it('flags the large-breasts/cleavage case as a leak with counter-example advice', () => {
    const c = co(0.55, 0.18, 55); // of 100 concept posts
    flag(c, 100, 'large breasts');
    assert.equal(c.flag, 'leak');
    // to bring 55/100 down to 30% (the leak threshold): 55 / 0.29 - 100 = 89.6 → 90
    assert.match(c.advice!, /Caption `cleavage`.*add about 90 `large breasts` images without `cleavage`.*55% to 29%/);
  });
  it('uses watch between the thresholds, nothing below, and bias advice when a tag is (almost) always there', () => {
    const w = co(0.2, 0.12); flag(w, 100, 'x'); assert.equal(w.flag, 'watch'); assert.match(w.advice!, /caption it/);
    const low = co(0.5, 0.45); flag(low, 100, 'x'); assert.equal(low.flag, undefined); assert.equal(low.advice, undefined);
    const rare = co(0.1, 0.01); flag(rare, 100, 'x'); assert.equal(rare.flag, undefined);
    const always = co(0.95, 0.3, 95); flag(always, 100, 'x'); assert.equal(always.flag, 'leak'); assert.match(always.advice!, /captioning cannot separate it. Lock it with a bias/);
    assert.equal(THRESHOLDS.leak.pGivenConcept, 0.3);
  });
});

describe('TagCounter', () => {
  it('counts a tag once per post and pairs only for concept posts', () => {
    const c = new TagCounter(['a']);
    c.addTags(['a', 'b', 'b', 'B']);
    c.addTags(['b', 'c']);
    const b = c.intern('b');
    assert.deepEqual([c.posts, c.conceptPosts, c.tagPosts.get(b), c.withConcept.get(b), c.withConcept.get(c.intern('c'))], [2, 1, 2, 1, 0]);
  });
});
