// `dataset` cell: the images and captions a training cell reads (kohya layout: image files with same-name
// caption files; `N_name` folders repeat their images N times), written to `images.json`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetImage } from './train';
import { CellHandler } from './context';

const IMAGE = /\.(png|jpe?g|webp|bmp|gif|tiff?|avif)$/i;

export function listImages(folder: string, ext: string, repeatsDefault: number): { images: DatasetImage[]; problems: string[] } {
  const images: DatasetImage[] = [];
  const problems: string[] = [];
  const walk = (dir: string, repeats: number, depth: number) => {
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (e) {
      problems.push(`${dir}: cannot read (${(e as NodeJS.ErrnoException).code})`);
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        const m = /^(\d+)_/.exec(e.name);
        walk(full, m ? Number(m[1]) : repeats, depth + 1);
      } else if (IMAGE.test(e.name)) {
        const captionFile = full.replace(/\.[^.]+$/, ext);
        let caption: string | undefined;
        try {
          caption = fs.readFileSync(captionFile, 'utf8').replace(/^\uFEFF/, '').trim();
        } catch {
          problems.push(`${path.basename(full)}: no caption file (${path.basename(captionFile)})`);
        }
        images.push({ path: full, ...(caption !== undefined ? { caption } : {}), repeats });
      }
    }
  };
  walk(folder, repeatsDefault, 0);
  return { images, problems };
}

export const runDataset: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const folders = b.images === undefined ? [] : Array.isArray(b.images) ? (b.images as string[]) : [String(b.images)];
  const images: DatasetImage[] = [];
  const problems: string[] = [];
  for (const f of folders) {
    const r = listImages(path.resolve(ctx.recipeDir, f), String(b.caption_extension ?? '.txt'), Number(b.repeats ?? 1));
    images.push(...r.images);
    problems.push(...r.problems);
  }
  fs.writeFileSync(path.join(ctx.outDir, 'images.json'), JSON.stringify(images, null, 1));
  const captioned = images.filter((i) => i.caption !== undefined).length;
  return {
    files: { images: 'images.json' },
    figures: { images: images.length, captioned, problems: problems.length },
    display: {
      title: `dataset ${ctx.cell.name}`,
      markdown: [`**${ctx.cell.name}**: ${images.length} image(s), ${captioned} with captions`, ...problems.slice(0, 20).map((p) => `- ${p}`)].join('\n'),
      images: images.slice(0, 8).map((i) => ({ path: i.path, caption: i.caption })),
    },
  };
};
