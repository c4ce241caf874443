// The tagger inside a `dataset` cell: predicted tags go on each image (and become its tags where it has no
// caption); caption files are written only when `write_captions` asks, never over an existing file unless it
// is `overwrite`, and then the old caption is first copied to `<caption>.bak` (`.bak.1`, … if that exists).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { relPath } from '../scan';
import type { DatasetImage, DatasetProblem, DatasetReport, DatasetSpec, ScanOptions } from '../types';
import { TaggerError } from './labels';
import { openTagger, tagImages } from './run';

export async function applyTagger(
  spec: DatasetSpec, recipeDir: string, items: { abs: string; stem: string; img: DatasetImage }[], captionExt: string,
  problems: DatasetProblem[], opts: ScanOptions,
): Promise<DatasetReport['tagger']> {
  const ts = spec.tagger!;
  const modelDir = path.resolve(recipeDir, ts.model);
  const modelRel = relPath(recipeDir, modelDir);
  let result: Awaited<ReturnType<typeof tagImages>>;
  try {
    const device = opts.device === 'cpu' ? 'cpu' : opts.device?.startsWith('cuda') ? 'cuda' : 'auto';
    const tagger = await openTagger(modelDir, { device, deviceId: Number(/^cuda:(\d+)$/.exec(opts.device ?? '')?.[1] ?? 0) });
    try {
      result = await tagImages(items.map((i) => i.abs), tagger, {
        signal: opts.signal, general_threshold: ts.general_threshold, character_threshold: ts.character_threshold,
        onProgress: (d, t) => opts.onProgress?.(d, t, 'tag'),
      });
    } finally {
      await tagger.session.release().catch(() => undefined);
    }
  } catch (e) {
    if (!(e instanceof TaggerError)) throw e;
    problems.push({ file: modelRel, code: 'tagger', severity: 'error', message: `${e.message} No image was tagged.` });
    return undefined;
  }
  const written: string[] = [], backups: string[] = [];
  const mode = ts.write_captions ?? 'never';
  if (mode !== 'never' && spec.metadata) {
    problems.push({ file: modelRel, code: 'tagger', severity: 'info', message: 'did not write caption files: this dataset takes its captions from a metadata file.' });
  }
  for (let i = 0; i < items.length; i++) {
    const { img, stem } = items[i];
    const r = result.results[i];
    if (r.error) { problems.push({ file: img.path, code: 'tagger', severity: 'warning', message: `could not be tagged (${r.error}).` }); continue; }
    img.predicted = r.tags.filter((t) => t.category !== 'rating').map((t) => t.tag);
    if (img.tags.length === 0) img.tags = img.predicted; // no caption, an empty one, or prose
    if (mode === 'never' || spec.metadata) continue;
    const capAbs = stem + captionExt;
    const text = img.predicted.join(', ') + '\n';
    try {
      if (img.caption === undefined) {
        await fs.promises.writeFile(capAbs, text, { flag: 'wx' }); // never over a file that appeared meanwhile
        written.push(relPath(recipeDir, capAbs));
      } else if (mode === 'overwrite' && img.captionFile === relPath(recipeDir, capAbs)) {
        let bak = `${capAbs}.bak`;
        for (let k = 1; fs.existsSync(bak); k++) bak = `${capAbs}.bak.${k}`;
        await fs.promises.copyFile(capAbs, bak, fs.constants.COPYFILE_EXCL);
        await fs.promises.writeFile(`${capAbs}.tmp`, text);
        await fs.promises.rename(`${capAbs}.tmp`, capAbs);
        backups.push(relPath(recipeDir, bak));
        written.push(relPath(recipeDir, capAbs));
      }
    } catch (e) {
      problems.push({ file: relPath(recipeDir, capAbs), code: 'tagger', severity: 'warning', message: `could not be written (${(e as NodeJS.ErrnoException).code ?? e}).` });
    }
  }
  return { provider: result.provider, model: modelRel, written, backups };
}
