// `selected_tags.csv` of a WD14 tagger: `tag_id,name,category,count`, one row per model output, in output
// order. Categories: 9 rating, 0 general, 4 character (others are treated as general).
import * as fs from 'node:fs';
import { parseCsv } from '../csv';
import { normalizeTag } from '../tags';

export type TagCategory = 'general' | 'character' | 'rating';

export interface Labels {
  /** Normalised names (`long_hair` → `long hair`, kaomoji kept), in output order. */
  names: string[];
  categories: TagCategory[];
}

export class TaggerError extends Error {}

export async function readLabels(file: string): Promise<Labels> {
  let text: string;
  try { text = await fs.promises.readFile(file, 'utf8'); } catch (e) {
    throw new TaggerError(`The tagger has no readable \`selected_tags.csv\` (${(e as NodeJS.ErrnoException).code}): a WD14 tagger folder holds \`model.onnx\` and the \`selected_tags.csv\` that came with it.`);
  }
  const rows = parseCsv(text);
  const header = rows[0]?.fields.map((h) => h.trim().toLowerCase()) ?? [];
  const ni = header.indexOf('name'), ci = header.indexOf('category');
  if (ni < 0 || ci < 0) throw new TaggerError(`\`selected_tags.csv\` has no \`name\` and \`category\` columns (its header is \`${rows[0]?.fields.join(',') ?? ''}\`): use the CSV that came with the model.`);
  const names: string[] = [];
  const categories: TagCategory[] = [];
  for (const r of rows.slice(1)) {
    const cat = Number(r.fields[ci]);
    if (r.fields.length < header.length || !Number.isFinite(cat)) throw new TaggerError(`\`selected_tags.csv\` line ${r.line} is malformed (\`${r.fields.join(',')}\`): use the CSV that came with the model.`);
    names.push(normalizeTag(r.fields[ni]));
    categories.push(cat === 9 ? 'rating' : cat === 4 ? 'character' : 'general');
  }
  return { names, categories };
}
