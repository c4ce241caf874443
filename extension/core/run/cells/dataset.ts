// `dataset` cell: scan the images and captions (see core/dataset), keep the report, and list the usable images
// with their captions and repeats in `images.json` for the training cells.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetMarkdown, scanDataset } from '../../dataset';
import type { DatasetSpec } from '../../dataset';
import { CellHandler } from './context';
import type { DatasetImage } from './train';

export const runDataset: CellHandler = async (ctx) => {
  const report = await scanDataset(ctx.cell.body as DatasetSpec, ctx.recipeDir, {
    signal: ctx.signal,
    cacheDir: path.join(ctx.outDir, 'thumbnails'),
    onProgress: (done, total) => ctx.progress({ step: done, total }),
    device: ctx.device,
  });
  const broken = new Set(report.problems.filter((p) => p.severity === 'error').map((p) => p.file));
  const images: DatasetImage[] = report.images
    .filter((im) => !broken.has(im.path))
    .map((im) => {
      // an image without a caption trains on the tagger's tags (when a tagger ran), not on an empty caption
      const caption = im.caption?.trim() ? im.caption : im.predicted?.length ? im.predicted.join(', ') : im.caption;
      return { path: path.resolve(ctx.recipeDir, im.path), ...(caption !== undefined ? { caption } : {}), repeats: im.repeats };
    });
  // Thumbnails are files in the artifact folder: store them relative to it.
  for (const t of report.thumbnails ?? []) if (t.file) t.file = path.relative(ctx.outDir, t.file);
  fs.writeFileSync(path.join(ctx.outDir, 'images.json'), JSON.stringify(images, null, 1));
  fs.writeFileSync(path.join(ctx.outDir, 'report.json'), JSON.stringify(report));
  const c = report.counts;
  return {
    files: { images: 'images.json', report: 'report.json' },
    figures: { images: c.images, imagesPerEpoch: c.imagesPerEpoch, captioned: c.captioned, uncaptioned: c.uncaptioned, errors: c.errors, warnings: c.warnings,
      problems: report.problems.length, buckets: report.buckets, duplicates: report.duplicates.length },
    display: {
      title: `dataset ${ctx.cell.name}`,
      markdown: datasetMarkdown(report),
      images: (report.thumbnails ?? []).filter((t) => t.file).map((t) => ({ path: t.file!, caption: t.path })),
      data: { type: 'dataset', counts: c, buckets: report.buckets, problems: report.problems.slice(0, 200) },
    },
  };
};
