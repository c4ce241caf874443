// The `analyze` cell: tag frequencies and, for the concept tag(s), which tags travel with it.
import { cooccurrenceList, frequencies, TagCounter, THRESHOLDS, type Cooccurrence } from './cooccurrence';
import { readTagFile, type TagFileProblem } from './tagfile';
import type { DatasetImage, DatasetReport } from './types';

export interface AnalyzeReport {
  /** The concept as given; several concepts are joined with " + ". */
  concept: string;
  concepts: string[];
  /** Posts (images) holding the concept — with several concepts, any of them. */
  conceptCount: number;
  /** Posts read: well-formed non-blank lines of a tag file; for a dataset, images with tags, each counted
   * `repeats` times (as training sees them) unless `weighting: 'images'`. All counts are in these units. */
  posts: number;
  weighting: 'posts' | 'repeats' | 'images';
  distinctTags: number;
  /** The most frequent tags over all posts (the concept's own included). */
  frequencies: { tag: string; count: number }[];
  /** Tags that co-occur with the concept, largest `leak` (P(tag|concept) − P(tag)) first. */
  cooccurrence: Cooccurrence[];
  /** With several concepts: each one's own figures. */
  perConcept?: { concept: string; conceptCount: number; cooccurrence: Cooccurrence[] }[];
  thresholds: typeof THRESHOLDS;
  /** Malformed lines (tag files) — the first 100; `problemCount` counts all. Or, for a dataset, why nothing could be analysed. */
  problems: TagFileProblem[];
  problemCount: number;
  /** Dataset source only: images without any tags (no caption, prose caption, no tagger), which were not counted. */
  untagged?: number;
}

export interface AnalyzeOptions {
  top?: number;
  minCount?: number;
  signal?: AbortSignal;
  maxProblems?: number;
  /** Tag files: bytes read so far and the file size, once per 4 MiB. */
  onProgress?: (done: number, total: number) => void;
  /** Dataset source: count each image once per repeat (default, what training sees) or once. */
  weighting?: 'repeats' | 'images';
}

export async function analyzeTags(
  source: { report: DatasetReport } | { tagFile: string },
  concepts: string | string[],
  opts: AnalyzeOptions = {},
): Promise<AnalyzeReport> {
  const top = opts.top ?? 20;
  const minCount = opts.minCount ?? 3;
  const counter = new TagCounter(typeof concepts === 'string' ? [concepts] : concepts);
  const problems: TagFileProblem[] = [];
  let problemCount = 0;
  let untagged: number | undefined;

  if ('tagFile' in source) {
    const stats = await readTagFile(source.tagFile, counter.intern, counter.addPost, { signal: opts.signal, maxProblems: opts.maxProblems, onProgress: opts.onProgress });
    problems.push(...stats.problems);
    problemCount = stats.problemCount;
  } else {
    untagged = 0;
    for (const img of source.report.images) {
      const tags = seenTags(img);
      if (tags.length === 0) { untagged++; continue; }
      counter.addTags(tags, weightOf(img, opts));
    }
  }

  const k = counter.concepts.length;
  const conceptIds = counter.concepts.map((_, i) => i);
  const report: AnalyzeReport = {
    concept: counter.concepts.join(' + '),
    concepts: counter.concepts,
    conceptCount: counter.conceptPosts,
    posts: counter.posts,
    weighting: 'tagFile' in source ? 'posts' : opts.weighting ?? 'repeats',
    distinctTags: countSeen(counter),
    frequencies: frequencies(counter, top),
    cooccurrence: cooccurrenceList(counter, conceptIds, counter.conceptPosts, (id) => counter.withConcept.get(id), { top, minCount, label: counter.concepts.join(' + ') }),
    thresholds: THRESHOLDS,
    problems,
    problemCount,
  };
  if (untagged !== undefined) report.untagged = untagged;
  if (!('tagFile' in source) && source.report.images.some((i) => i.predicted !== undefined)) {
    addCaptioned(report.cooccurrence, source.report.images, counter.concepts, opts);
    for (const p of report.perConcept ?? []) addCaptioned(p.cooccurrence, source.report.images, [p.concept], opts);
  }
  if (k > 1) {
    report.perConcept = counter.concepts.map((concept, i) => ({
      concept,
      conceptCount: counter.perConceptPosts[i],
      cooccurrence: cooccurrenceList(counter, conceptIds, counter.perConceptPosts[i], (id) => counter.perConcept[i].get(id), { top, minCount, label: concept }),
    }));
  }
  if (counter.conceptPosts === 0 && counter.posts > 0) {
    const close = counter.names.filter((n, id) => id >= k && counter.tagPosts.get(id) > 0 && counter.concepts.some((c) => n.includes(c) || c.includes(n))).slice(0, 5);
    problemCount++;
    problems.push({ line: 0, message: `No post has the concept tag \`${report.concept}\`.${close.length ? ` Similar tags: ${close.map((c) => `\`${c}\``).join(', ')}.` : ''}` });
  }
  return report;
}

function countSeen(counter: TagCounter): number {
  let n = 0;
  for (let id = 0; id < counter.names.length; id++) if (counter.tagPosts.get(id) > 0) n++;
  return n;
}

/** What an image shows, as far as known: its caption's tags plus the tagger's. */
function seenTags(img: DatasetImage): string[] {
  return img.predicted ? [...new Set([...img.tags, ...img.predicted])] : img.tags;
}

function weightOf(img: DatasetImage, opts: AnalyzeOptions): number {
  return opts.weighting === 'images' ? 1 : Math.max(1, img.repeats);
}

/** With a tagger's predictions: for each tag, the share of the concept images showing it whose caption names
 * it. A tag the captions do not name cannot be told apart from the concept by the LoRA. */
function addCaptioned(list: Cooccurrence[], images: DatasetImage[], concepts: string[], opts: AnalyzeOptions): void {
  const withConcept = images.filter((img) => seenTags(img).some((t) => concepts.includes(t)));
  for (const c of list) {
    let shown = 0, named = 0;
    for (const img of withConcept) {
      if (!seenTags(img).includes(c.tag)) continue;
      const w = weightOf(img, opts);
      shown += w;
      if (img.captionKind === 'tags' && img.caption !== undefined && img.tags.includes(c.tag)) named += w;
    }
    c.captioned = shown ? named / shown : 0;
    if (c.advice && c.captioned < 0.5) c.advice += ` Only ${Math.round(c.captioned * 100)}% of the captions of those images name it.`;
  }
}
