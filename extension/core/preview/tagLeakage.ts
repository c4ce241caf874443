// Leakage measured by a tagger: for each prompt and seed, the tagger's probabilities for the image at weight w
// are compared with those at weight 0. `intended` is the change of the concept tag's probability, `unintended`
// the summed change of every other general or character tag; the ratio is unintended / intended, averaged
// over the pairs. A LoRA that makes "large breasts" likelier and nothing else scores near 0; one that also
// adds "cleavage" scores higher.
import type { Leakage } from './leakage';

export type TagScores = Map<string, number>;

export function tagChange(before: TagScores, after: TagScores, concept: string): { intended: number; unintended: number } {
  let unintended = 0;
  for (const tag of new Set([...before.keys(), ...after.keys()])) {
    if (tag === concept) continue;
    unintended += Math.abs((after.get(tag) ?? 0) - (before.get(tag) ?? 0));
  }
  return { intended: Math.abs((after.get(concept) ?? 0) - (before.get(concept) ?? 0)), unintended };
}

export function tagLeakage(lora: string, pairs: { before: TagScores; after: TagScores }[], concept: string): Leakage {
  let ratio = 0, intended = 0, unintended = 0;
  for (const { before, after } of pairs) {
    const c = tagChange(before, after, concept);
    intended += c.intended;
    unintended += c.unintended;
    ratio += c.intended > 1e-6 ? c.unintended / c.intended : c.unintended > 1e-6 ? Infinity : 0;
  }
  const n = pairs.length;
  return { lora, ratio: n ? ratio / n : 0, intended: n ? intended / n : 0, unintended: n ? unintended / n : 0, pairs: n };
}

/** Every general and character tag's probability for each image (no threshold), by absolute path. */
export async function tagScores(files: string[], tagger: { model: string }, device?: string): Promise<Map<string, TagScores>> {
  const { tagImages } = await import('../dataset/tagger/run.js');
  const { results } = await tagImages(files, { model: tagger.model }, {
    general_threshold: 0, character_threshold: 0, device: device === 'cpu' ? 'cpu' : 'auto',
  });
  const out = new Map<string, TagScores>();
  results.forEach((r, i) => {
    if (r.error) throw Object.assign(new Error(`the tagger could not read ${files[i]}: ${r.error}`), { code: 'E_TAGGER' });
    out.set(files[i], new Map(r.tags.filter((t) => t.category !== 'rating').map((t) => [t.tag, t.score])));
  });
  return out;
}
