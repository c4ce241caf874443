// The `dataset` cell: find the images and their captions, read every image once with sharp, and report what
// is there (counts, buckets, a thumbnail strip) and what is wrong with each file. Reads only; the one write is
// the tagger's caption files, and only when `tagger.write_captions` asks for it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bucketHistogram } from './buckets';
import { decodeCaption, type Caption } from './captions';
import { imageNotes } from './imageNotes';
import { inspectImage, thumbnail } from './images';
import { readMetadata } from './metadata';
import { findDuplicates, hex, type ImageSignature } from './phash';
import { relPath, walkFolders, type FoundFile } from './scan';
import { splitCaption } from './tags';
import { applyTagger } from './tagger/apply';
import type { DatasetImage, DatasetProblem, DatasetReport, DatasetSpec, ProblemCode, ScanOptions, Thumbnail } from './types';

/** Shorter side below `min_size` (default 512) is reported; so is an aspect ratio beyond this (long:short). */
export const MAX_ASPECT = 3;

export async function scanDataset(spec: DatasetSpec, recipeDir: string, opts: ScanOptions = {}): Promise<DatasetReport> {
  const problems: DatasetProblem[] = [];
  const captionExt = spec.caption_extension ?? '.txt';
  const minSize = spec.min_size ?? 512;
  const folders = spec.images === undefined ? [] : typeof spec.images === 'string' ? [spec.images] : spec.images;
  const walked = await walkFolders(folders, recipeDir, captionExt, spec.repeats ?? 1, problems, opts.signal);
  const sources = folders.map((f) => relPath(recipeDir, path.resolve(recipeDir, f)));
  let files = walked.images;

  // Captions: from the metadata file, or from same-stem caption files.
  const captionOf = new Map<string, { file: string; caption: Caption }>(); // by image abs path
  const captionUnreadable = new Set<string>();
  if (spec.metadata) {
    const metaAbs = path.resolve(recipeDir, spec.metadata);
    sources.push(relPath(recipeDir, metaAbs));
    const entries = await readMetadata(metaAbs, path.dirname(metaAbs), recipeDir, problems);
    const walkedSet = new Set(files.map((f) => f.abs));
    for (const e of entries.values()) {
      const exists = walkedSet.has(e.abs) || (folders.length === 0 && (await fileSize(e.abs)) !== undefined);
      if (!exists) {
        problems.push({ file: `${relPath(recipeDir, metaAbs)}:${e.line}`, code: 'metadata-missing-file', severity: 'warning', message: `names \`${relPath(recipeDir, e.abs)}\`, which is ${folders.length ? 'not among the images found' : 'missing'}: fix the path (relative to the metadata file) or remove the line.` });
        continue;
      }
      const { kind, tags } = splitCaption(e.text);
      captionOf.set(e.abs, { file: relPath(recipeDir, metaAbs), caption: { text: e.text.trim(), kind, tags, problems: [] } });
    }
    if (folders.length === 0) {
      files = [];
      for (const abs of captionOf.keys()) {
        const ext = path.extname(abs).toLowerCase();
        files.push({ abs, rel: relPath(recipeDir, abs), size: (await fileSize(abs))!, stem: abs.slice(0, abs.length - ext.length), ext, repeats: spec.repeats ?? 1 });
      }
    }
  } else {
    const imagesByStem = new Map<string, FoundFile[]>();
    for (const f of files) { const l = imagesByStem.get(f.stem); if (l) l.push(f); else imagesByStem.set(f.stem, [f]); }
    for (const c of walked.captions) {
      const imgs = imagesByStem.get(c.stem);
      if (!imgs) {
        problems.push({ file: c.rel, code: 'orphan-caption', severity: 'warning', message: 'has no image with the same name: add the image, rename the caption, or delete it.' });
        continue;
      }
      let caption: Caption;
      try { caption = decodeCaption(await fs.promises.readFile(c.abs)); } catch (e) {
        problems.push({ file: c.rel, code: 'unreadable', severity: 'error', message: `cannot be read (${(e as NodeJS.ErrnoException).code}): check its permissions.` });
        for (const img of imgs) captionUnreadable.add(img.abs); // reported once, on the caption
        continue;
      }
      for (const p of caption.problems) problems.push({ file: c.rel, ...p });
      for (const img of imgs) captionOf.set(img.abs, { file: c.rel, caption });
      if (imgs.length > 1) problems.push({ file: c.rel, code: 'shared-caption', severity: 'info', message: `is the caption of ${imgs.length} images with the same name (${imgs.map((i) => path.basename(i.abs)).join(', ')}).` });
    }
  }

  // Read every image once.
  const total = files.length;
  let done = 0;
  const read: ({ f: FoundFile; sha: string; sig: ImageSignature; img: DatasetImage } | undefined)[] = new Array(total);
  const add = (f: FoundFile, code: ProblemCode, severity: DatasetProblem['severity'], message: string) => problems.push({ file: f.rel, code, severity, message });
  await pool(total, opts.concurrency ?? 4, async (i) => {
    opts.signal?.throwIfAborted();
    const f = files[i];
    let bytes: Buffer;
    try { bytes = await fs.promises.readFile(f.abs); } catch (e) {
      add(f, 'unreadable', 'error', `cannot be read (${(e as NodeJS.ErrnoException).code ?? e}): check its permissions.`);
      opts.onProgress?.(++done, total, 'read');
      return;
    }
    const ins = await inspectImage(bytes, f.ext);
    opts.onProgress?.(++done, total, 'read');
    if (!ins.ok) { add(f, ins.code, 'error', ins.message); return; }
    const cap = captionOf.get(f.abs);
    const img: DatasetImage = {
      path: f.rel, width: ins.width, height: ins.height, bytes: bytes.length, format: ins.format,
      tags: cap ? cap.caption.tags : [], repeats: f.repeats, hasAlpha: ins.hasAlpha, phash: hex(ins.sig),
    };
    if (cap) { img.caption = cap.caption.text; img.captionFile = cap.file; img.captionKind = cap.caption.kind; }
    read[i] = { f, sha: createHash('sha256').update(bytes).digest('hex'), sig: ins.sig, img };
    const short = Math.min(ins.width, ins.height), long = Math.max(ins.width, ins.height);
    if (short < minSize) add(f, 'too-small', 'warning', `is ${ins.width}×${ins.height}, smaller than ${minSize} px on its shorter side: it will be upscaled and look soft. Use a larger original, or lower \`min_size\` if that is intended.`);
    if (long / short > MAX_ASPECT) add(f, 'aspect-ratio', 'warning', `is ${ins.width}×${ins.height}, an aspect ratio of ${(long / short).toFixed(1)}:1 (more than ${MAX_ASPECT}:1): bucketing will shrink it to a thin strip or crop most of it. Crop it to the part that matters.`);
    if (ins.transparent) add(f, 'alpha', 'warning', 'has transparent pixels: trainers drop the alpha channel, so what is under it (often black) becomes part of the picture. Flatten it onto the background you want.');
    if (ins.orientation > 1) add(f, 'orientation', 'info', `has EXIF orientation ${ins.orientation} (${ins.orientation >= 5 ? 'turned by 90°' : 'flipped or turned'}): lorabias trains it upright, as viewers show it. sd-scripts ignores EXIF and would train it as stored; save it with the rotation applied to train it the same everywhere.`);
    for (const [code, severity, message] of imageNotes(ins, f.ext)) add(f, code, severity, message);
    if (ins.pages > 1) add(f, 'animated', 'info', `has ${ins.pages} frames: only the first is trained on.`);
    if (!cap && !spec.tagger && !captionUnreadable.has(f.abs)) add(f, 'missing-caption', 'warning', `has no caption (${spec.metadata ? 'not in the metadata file' : `no \`${path.basename(f.stem)}${captionExt}\` beside it`}): write one, or add a \`tagger:\` to the dataset.`);
  });
  const ok = read.filter((r): r is NonNullable<typeof r> => r !== undefined);
  const images = ok.map((r) => r.img);

  // Duplicates.
  const duplicates = findDuplicates(ok.map((r) => ({ path: r.img.path, sha: r.sha, sig: r.sig })));
  for (const g of duplicates) {
    for (const file of g.files.slice(1)) {
      problems.push(g.kind === 'exact'
        ? { file, code: 'duplicate', severity: 'warning', message: `has exactly the same content as ${g.files[0]}: it is trained twice as often. Delete one, or use an \`N_\` folder to repeat on purpose.` }
        : { file, code: 'near-duplicate', severity: 'info', message: `looks almost the same as ${g.files[0]} (a resize, re-encode or small edit): it weighs that picture double. Keep the better one unless the difference is the point.` });
    }
  }

  // Tagger.
  let tagger: DatasetReport['tagger'];
  if (spec.tagger) {
    tagger = await applyTagger(spec, recipeDir, ok.map((r) => ({ abs: r.f.abs, stem: r.f.stem, img: r.img })), captionExt, problems, opts);
    if (!tagger) { // the tagger did not run: the images without captions stay without
      for (const r of ok) if (r.img.caption === undefined) add(r.f, 'missing-caption', 'warning', 'has no caption, and the tagger did not run (see its problem).');
    }
  }

  const thumbnails = await makeThumbnails(ok.map((r) => r.f), opts);
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const byCode: Partial<Record<ProblemCode, number>> = {};
  for (const p of problems) byCode[p.code] = (byCode[p.code] ?? 0) + 1;
  const captioned = images.filter((i) => i.caption !== undefined);
  const report: DatasetReport = {
    sources,
    images,
    counts: {
      files: total,
      images: images.length,
      imagesPerEpoch: images.reduce((s, i) => s + i.repeats, 0),
      captioned: captioned.length,
      uncaptioned: images.length - captioned.length,
      captionsAsTags: captioned.filter((i) => i.captionKind === 'tags').length,
      captionsAsProse: captioned.filter((i) => i.captionKind === 'prose').length,
      orphanCaptions: byCode['orphan-caption'] ?? 0,
      distinctTags: new Set(images.flatMap((i) => i.tags)).size,
      duplicateGroups: duplicates.filter((d) => d.kind === 'exact').length,
      nearDuplicateGroups: duplicates.filter((d) => d.kind === 'near').length,
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
      infos: problems.filter((p) => p.severity === 'info').length,
      byCode,
    },
    problems,
    buckets: bucketHistogram(images),
    duplicates,
  };
  if (thumbnails.length) report.thumbnails = thumbnails;
  if (tagger) report.tagger = tagger;
  return report;
}

/** Run `fn(0…n-1)` with at most `width` running at once. */
export async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < n) await fn(next++); };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

async function fileSize(abs: string): Promise<number | undefined> {
  try { const st = await fs.promises.stat(abs); return st.isFile() ? st.size : undefined; } catch { return undefined; }
}

/** Up to `opts.thumbnails` (24) images, evenly spread over the dataset. */
async function makeThumbnails(files: FoundFile[], opts: ScanOptions): Promise<Thumbnail[]> {
  const want = Math.min(opts.thumbnails ?? 24, files.length);
  if (want <= 0) return [];
  const picks = Array.from({ length: want }, (_, k) => files[Math.floor((k * files.length) / want)]);
  const dir = opts.cacheDir ? path.join(opts.cacheDir, 'thumbnails') : undefined;
  if (dir) await fs.promises.mkdir(dir, { recursive: true });
  const out: (Thumbnail | undefined)[] = new Array(picks.length);
  await pool(picks.length, 2, async (k) => {
    const f = picks[k];
    try {
      const bytes = await fs.promises.readFile(f.abs);
      const t = await thumbnail(bytes);
      const th: Thumbnail = { path: f.rel, width: t.width, height: t.height };
      if (dir) {
        const file = path.join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.webp`);
        await fs.promises.writeFile(`${file}.tmp`, t.data);
        await fs.promises.rename(`${file}.tmp`, file);
        th.file = file;
      } else th.dataUri = `data:image/webp;base64,${t.data.toString('base64')}`;
      out[k] = th;
    } catch { /* a file that changed since it was read: no thumbnail */ }
  });
  return out.filter((t): t is Thumbnail => t !== undefined);
}
