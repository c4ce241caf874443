// Captions from a metadata file instead of caption files: JSON Lines (`{"file": …, "tags": …}` per line) or
// CSV with a header row. The file column may be called file, file_name, filename, image or path; the tags
// column tags, tag_string, caption or text. Tags may be a comma-separated string or (JSONL) a list.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv } from './csv';
import { relPath } from './scan';
import type { DatasetProblem } from './types';

const FILE_KEYS = ['file', 'file_name', 'filename', 'image', 'path'];
const TAG_KEYS = ['tags', 'tag_string', 'caption', 'text'];

export interface MetadataEntry { abs: string; text: string; line: number }

/** Read a metadata file; file paths in it are resolved against `baseDir`. Problems go to `problems`. */
export async function readMetadata(file: string, baseDir: string, recipeDir: string, problems: DatasetProblem[]): Promise<Map<string, MetadataEntry>> {
  const out = new Map<string, MetadataEntry>();
  const rel = relPath(recipeDir, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await fs.promises.readFile(file));
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    problems.push({ file: rel, code: 'metadata-unreadable', severity: 'error', message: c ? `cannot be read (${c}): check the \`metadata:\` path.` : 'is not UTF-8 text: re-save it as UTF-8.' });
    return out;
  }
  const bad = (line: number, why: string) => problems.push({ file: `${rel}:${line}`, code: 'metadata-line', severity: 'warning', message: `${why}; the line was skipped.` });
  const add = (line: number, f: unknown, tags: unknown) => {
    if (typeof f !== 'string' || f === '') return bad(line, `has no file name (expected one of ${FILE_KEYS.join(', ')})`);
    const t = Array.isArray(tags) ? tags.filter((x) => typeof x === 'string').join(', ') : typeof tags === 'string' ? tags : undefined;
    if (t === undefined) return bad(line, `has no tags (expected one of ${TAG_KEYS.join(', ')}, a string or a list)`);
    const abs = path.resolve(baseDir, f);
    if (out.has(abs)) return bad(line, `lists \`${f}\` again (first on line ${out.get(abs)!.line})`);
    out.set(abs, { abs, text: t, line });
  };
  const pick = (o: Record<string, unknown>, keys: string[]) => { for (const k of keys) if (k in o) return o[k]; return undefined; };

  if (/\.csv$/i.test(file)) {
    const rows = parseCsv(text);
    if (rows.length === 0) return out;
    const header = rows[0].fields.map((h) => h.trim().toLowerCase());
    const fi = header.findIndex((h) => FILE_KEYS.includes(h));
    const ti = header.findIndex((h) => TAG_KEYS.includes(h));
    if (fi < 0 || ti < 0) {
      problems.push({ file: rel, code: 'metadata-unreadable', severity: 'error', message: `has no ${fi < 0 ? 'file' : 'tags'} column in its header (\`${rows[0].fields.join(',')}\`): name the columns e.g. \`file,tags\`.` });
      return out;
    }
    for (const r of rows.slice(1)) {
      if (r.fields.length !== header.length) { bad(r.line, `has ${r.fields.length} fields, the header ${header.length} (quote tags that contain commas)`); continue; }
      add(r.line, r.fields[fi].trim(), r.fields[ti]);
    }
  } else {
    text.split(/\r?\n/).forEach((l, i) => {
      if (l.trim() === '') return;
      let o: unknown;
      try { o = JSON.parse(l); } catch { return bad(i + 1, 'is not valid JSON'); }
      if (!o || typeof o !== 'object' || Array.isArray(o)) return bad(i + 1, 'is not a JSON object');
      add(i + 1, pick(o as Record<string, unknown>, FILE_KEYS), pick(o as Record<string, unknown>, TAG_KEYS));
    });
  }
  return out;
}
