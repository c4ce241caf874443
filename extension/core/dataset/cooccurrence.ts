// Counting which tags travel with the concept: per-tag post counts over all posts, and per-tag counts over the
// posts that hold a concept tag. Tags are interned to dense integer ids; counts live in growable typed arrays.
// Pairs are counted only for posts with a concept tag, so a 1.5-million-post dump costs one pass and O(tags)
// memory.
import { normalizeTag } from './tags';

/** Growable Uint32 counts indexed by tag id. */
class Counts {
  a = new Uint32Array(1024);
  inc(id: number, w: number) {
    if (id >= this.a.length) { const b = new Uint32Array(Math.max(this.a.length * 2, id + 1)); b.set(this.a); this.a = b; }
    this.a[id] += w;
  }
  get(id: number) { return id < this.a.length ? this.a[id] : 0; }
}

export class TagCounter {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Concept tag ids are 0…k-1: registered first. */
  readonly concepts: string[];
  posts = 0;
  private seq = 0;
  readonly tagPosts = new Counts();
  /** Posts with at least one concept tag, and tag counts over those posts. */
  conceptPosts = 0;
  readonly withConcept = new Counts();
  /** Per concept, when there are several. */
  readonly perConceptPosts: number[];
  readonly perConcept: Counts[];
  private lastSeen = new Int32Array(1024).fill(-1);
  private uniq = new Int32Array(256);

  constructor(concepts: string[]) {
    this.concepts = [...new Set(concepts.map(normalizeTag).filter((c) => c !== ''))];
    for (const c of this.concepts) this.intern(c);
    this.perConceptPosts = this.concepts.map(() => 0);
    this.perConcept = this.concepts.length > 1 ? this.concepts.map(() => new Counts()) : [];
  }

  /** The id of a tag given as written (normalised here); -1 for an empty tag. */
  readonly intern = (raw: string): number => {
    const t = normalizeTag(raw);
    if (t === '') return -1;
    let id = this.ids.get(t);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(t);
      this.ids.set(t, id);
    }
    return id;
  };

  /** Count one post given the ids of its tags (repeated ids count once), `weight` times (an image's repeats). */
  readonly addPost = (ids: ArrayLike<number>, n: number = ids.length, weight = 1): void => {
    const post = this.seq++;
    this.posts += weight;
    if (this.names.length > this.lastSeen.length) {
      const b = new Int32Array(Math.max(this.lastSeen.length * 2, this.names.length)).fill(-1);
      b.set(this.lastSeen); this.lastSeen = b;
    }
    if (n > this.uniq.length) this.uniq = new Int32Array(n * 2);
    const k = this.concepts.length;
    let m = 0;
    let hasConcept = false;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (id < 0 || this.lastSeen[id] === post) continue;
      this.lastSeen[id] = post;
      this.uniq[m++] = id;
      this.tagPosts.inc(id, weight);
      if (id < k) hasConcept = true;
    }
    if (!hasConcept) return;
    this.conceptPosts += weight;
    for (let i = 0; i < m; i++) this.withConcept.inc(this.uniq[i], weight);
    for (let c = 0; c < k; c++) {
      if (this.lastSeen[c] !== post) continue;
      this.perConceptPosts[c] += weight;
      if (this.perConcept.length) for (let i = 0; i < m; i++) this.perConcept[c].inc(this.uniq[i], weight);
    }
  };

  /** Convenience for posts given as tag strings. */
  addTags(tags: string[], weight = 1): void {
    const ids = tags.map(this.intern);
    this.addPost(ids, ids.length, weight);
  }
}

/** One tag's relation to the concept. */
export interface Cooccurrence {
  tag: string;
  /** Posts with the concept and this tag. */
  count: number;
  /** P(tag | concept) = count / conceptCount. */
  pGivenConcept: number;
  /** P(tag) over all posts. */
  p: number;
  /** pGivenConcept / p: how much more often the tag appears with the concept than without regard to it. */
  lift: number;
  /** pGivenConcept − p: the share of the concept's images a LoRA would see the tag in beyond what the base
   * data already has. The list is sorted by this, largest first. */
  leak: number;
  flag?: 'leak' | 'watch';
  advice?: string;
  /** Dataset with tagger predictions only: of the concept images showing the tag, the share whose caption
   * names it (0–1). Uncaptioned co-occurring tags are the ones a LoRA cannot separate from the concept. */
  captioned?: number;
}

/** The documented thresholds (README.md in this folder). */
export const THRESHOLDS = {
  leak: { pGivenConcept: 0.3, lift: 1.5 },
  watch: { pGivenConcept: 0.15, lift: 1.25 },
  /** At or above this P(tag | concept) captioning cannot separate the tag: it is (almost) always there. */
  always: 0.9,
};

export function cooccurrenceList(
  counter: TagCounter, conceptIds: number[], conceptCount: number, withConcept: (id: number) => number,
  opts: { top: number; minCount: number; label: string },
): Cooccurrence[] {
  const out: Cooccurrence[] = [];
  if (conceptCount === 0 || counter.posts === 0) return out;
  const skip = new Set(conceptIds.concat(counter.concepts.map((_, i) => i)));
  for (let id = 0; id < counter.names.length; id++) {
    if (skip.has(id)) continue;
    const count = withConcept(id);
    if (count < opts.minCount || count === 0) continue;
    const pGivenConcept = count / conceptCount;
    const p = counter.tagPosts.get(id) / counter.posts;
    const lift = pGivenConcept / p;
    out.push({ tag: counter.names[id], count, pGivenConcept, p, lift, leak: pGivenConcept - p });
  }
  out.sort((a, b) => b.leak - a.leak || b.count - a.count || (a.tag < b.tag ? -1 : 1));
  const top = out.slice(0, opts.top);
  for (const c of top) flag(c, conceptCount, opts.label);
  return top;
}

/** Set `flag` and `advice` from the thresholds. */
export function flag(c: Cooccurrence, conceptCount: number, concept: string): void {
  const t = THRESHOLDS;
  if (c.pGivenConcept >= t.leak.pGivenConcept && c.lift >= t.leak.lift) c.flag = 'leak';
  else if (c.pGivenConcept >= t.watch.pGivenConcept && c.lift >= t.watch.lift) c.flag = 'watch';
  else return;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  // Concept images without the tag to add so that P(tag | concept) falls to max(P(tag), the leak threshold).
  const target = Math.max(c.p, t.leak.pGivenConcept - 0.01);
  const add = Math.max(0, Math.ceil(c.count / target - conceptCount - 1e-9));
  const counter = `add about ${add} \`${concept}\` images without \`${c.tag}\` (counter-examples) to bring it from ${pct(c.pGivenConcept)} to ${pct(target)}`;
  if (c.flag === 'watch') {
    c.advice = `\`${c.tag}\` is in ${pct(c.pGivenConcept)} of \`${concept}\` images against ${pct(c.p)} overall: caption it wherever it appears so the LoRA can tell it apart from \`${concept}\`.`;
  } else if (c.pGivenConcept >= t.always) {
    c.advice = `\`${c.tag}\` is in almost every \`${concept}\` image (${pct(c.pGivenConcept)}, lift ${c.lift.toFixed(1)}): captioning cannot separate it. Lock it with a bias (train the target over a bias LoRA that already produces \`${c.tag}\`), or ${counter}.`;
  } else {
    c.advice = `\`${c.tag}\` is in ${pct(c.pGivenConcept)} of \`${concept}\` images against ${pct(c.p)} overall (lift ${c.lift.toFixed(1)}): the LoRA will learn it. Caption \`${c.tag}\` wherever it appears, ${counter}, or lock it with a bias.`;
  }
}

/** The most frequent tags over all posts. */
export function frequencies(counter: TagCounter, top: number): { tag: string; count: number }[] {
  const counts = counter.tagPosts.a.subarray(0, counter.names.length);
  if (counts.length === 0 || top <= 0) return [];
  // The top-th largest count, from a typed-array sort (fast), then only the ids at or above it are ordered.
  const sorted = Uint32Array.from(counts).sort();
  const cut = Math.max(1, sorted[Math.max(0, sorted.length - top)]);
  const ids: number[] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id] >= cut) ids.push(id);
  ids.sort((a, b) => counts[b] - counts[a] || (counter.names[a] < counter.names[b] ? -1 : 1));
  return ids.slice(0, top).map((id) => ({ tag: counter.names[id], count: counts[id] }));
}
