// Tag normalisation, shared by captions, tag files and the tagger, so that `large_breasts` in a Danbooru dump,
// `large breasts` in a caption and `Large Breasts` in a recipe's `concept:` are the same tag.

/** Kaomoji whose underscores are part of the tag (the list WD14 taggers and sd-scripts keep as they are). */
export const KAOMOJIS = new Set([
  '0_0', '(o)_(o)', '+_+', '+_-', '._.', '<o>_<o>', '<|>_<|>', '=_=', '>_<', '3_3', '6_9', '>_o', '@_@', '^_^', 'o_o',
  'u_u', 'x_x', '|_|', '||_||',
]);

const NEEDS_WORK = /[_\\A-Z\t\r\n\u0080-\uffff]|^ | $|  /;

/** Normalise one tag: trim, `_` → space (except kaomoji), `\(` → `(`, runs of spaces → one, lower case.
 * Returns '' for an empty tag. */
export function normalizeTag(raw: string): string {
  if (!NEEDS_WORK.test(raw)) return raw; // fast path: lower-case ASCII, no `_` or `\\`, single inner spaces
  let t = raw.trim();
  if (t === '') return '';
  if (!KAOMOJIS.has(t)) t = t.replace(/_/g, ' ');
  if (t.includes('\\')) t = t.replace(/\\([()[\]{}])/g, '$1');
  t = t.replace(/\s+/g, ' ').trim();
  return t.toLowerCase();
}

/** Split a caption into tags, or decide it is prose. A caption is tags when it has commas and its pieces
 * are short (at most 6 words on average and none over 12), or when it is one short piece without a full stop;
 * otherwise prose. Tags are normalised and de-duplicated, in order of first appearance. */
export function splitCaption(text: string): { kind: 'tags' | 'prose'; tags: string[] } {
  const pieces = text.split(/[,\n]/).map((p) => p.trim()).filter((p) => p !== '');
  if (pieces.length === 0) return { kind: 'tags', tags: [] };
  const words = pieces.map((p) => p.split(/\s+/).length);
  const mean = words.reduce((a, b) => a + b, 0) / words.length;
  const looksLikeTags = pieces.length > 1
    ? mean <= 6 && Math.max(...words) <= 12
    : words[0] <= 4 && !/[.!?]$/.test(pieces[0]);
  if (!looksLikeTags) return { kind: 'prose', tags: [] };
  return { kind: 'tags', tags: uniqueTags(pieces) };
}

/** Normalise and de-duplicate, keeping first-appearance order and dropping empties. */
export function uniqueTags(raw: Iterable<string>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of raw) {
    const t = normalizeTag(r);
    if (t !== '' && !seen.has(t)) { seen.add(t); out.push(t); }
  }
  return out;
}
