// A content fingerprint of a dataset for the cell cache: the sorted relative paths, sizes and SHA-256 of every
// image and caption file (and the metadata file and tagger files when the spec names them). Content, never
// modification times, so a `touch` or a fresh checkout does not invalidate the cache and an edit always does.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { relPath, walkFolders } from './scan';
import type { DatasetProblem, DatasetSpec } from './types';

export async function datasetFingerprint(spec: DatasetSpec, recipeDir: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
  const folders = spec.images === undefined ? [] : typeof spec.images === 'string' ? [spec.images] : spec.images;
  const problems: DatasetProblem[] = [];
  const walked = await walkFolders(folders, recipeDir, spec.caption_extension ?? '.txt', spec.repeats ?? 1, problems, opts.signal);
  const files = [...walked.images, ...walked.captions].map((f) => ({ rel: f.rel, abs: f.abs, repeats: f.repeats }));
  const extra = [spec.metadata, spec.tagger && path.join(spec.tagger.model, 'model.onnx'), spec.tagger && path.join(spec.tagger.model, 'selected_tags.csv')];
  for (const e of extra) if (e) { const abs = path.resolve(recipeDir, e); files.push({ rel: relPath(recipeDir, abs), abs, repeats: 0 }); }
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = createHash('sha256');
  h.update('lorabias-dataset-v1\n');
  for (const f of files) {
    opts.signal?.throwIfAborted();
    h.update(`${f.rel}\0${f.repeats}\0`);
    try {
      const bytes = await fs.promises.readFile(f.abs);
      h.update(`${bytes.length}\0${createHash('sha256').update(bytes).digest('hex')}\n`);
    } catch (e) {
      h.update(`missing:${(e as NodeJS.ErrnoException).code}\n`);
    }
  }
  // Unreadable entries and loops change the report, so they are part of the fingerprint too.
  for (const p of problems) if (p.code !== 'ignored-file') h.update(`${p.file}\0${p.code}\n`);
  return h.digest('hex');
}
