// kohya's aspect-ratio bucketing, as sd-scripts does it (library/model_util.py `make_bucket_resolutions`,
// library/train_util.py `BucketManager.select_bucket`): every image goes to the bucket whose aspect ratio is
// nearest its own; images are then resized to cover the bucket and the excess is cropped.
import type { Bucket } from './types';

export interface BucketFamily { family: 'sd15' | 'sdxl'; maxArea: number; minSize: number; maxSize: number; step: number }

/** sd15: 512×512 area, sides 256…1024 (sd-scripts defaults); sdxl: 1024×1024 area, sides 512…2048 (the usual
 * `--min_bucket_reso=512 --max_bucket_reso=2048`). Steps of 64. */
export const FAMILIES: BucketFamily[] = [
  { family: 'sd15', maxArea: 512 * 512, minSize: 256, maxSize: 1024, step: 64 },
  { family: 'sdxl', maxArea: 1024 * 1024, minSize: 512, maxSize: 2048, step: 64 },
];

/** The bucket resolutions, sorted as sd-scripts sorts them (by width, then height). */
export function bucketResolutions(f: BucketFamily): [number, number][] {
  const set = new Map<string, [number, number]>();
  const add = (w: number, h: number) => set.set(`${w}x${h}`, [w, h]);
  const side = Math.floor(Math.sqrt(f.maxArea) / f.step) * f.step;
  add(side, side);
  for (let w = f.minSize; w <= f.maxSize; w += f.step) {
    const h = Math.min(f.maxSize, Math.floor(Math.floor(f.maxArea / w) / f.step) * f.step);
    if (h >= f.minSize) { add(w, h); add(h, w); }
  }
  return [...set.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const cache = new Map<string, [number, number][]>();

/** The bucket an image of this size goes to: nearest aspect ratio, first in sort order on ties. */
export function selectBucket(f: BucketFamily, width: number, height: number): [number, number] {
  let resos = cache.get(f.family);
  if (!resos) cache.set(f.family, (resos = bucketResolutions(f)));
  const ar = width / height;
  let best = resos[0];
  let bestErr = Infinity;
  for (const r of resos) {
    const err = Math.abs(r[0] / r[1] - ar);
    if (err < bestErr) { bestErr = err; best = r; }
  }
  return best;
}

/** The histogram for both families: one entry per non-empty bucket, sorted by family then count (largest first). */
export function bucketHistogram(images: { width: number; height: number; repeats: number }[]): Bucket[] {
  const out: Bucket[] = [];
  for (const f of FAMILIES) {
    const m = new Map<string, Bucket>();
    for (const img of images) {
      const [w, h] = selectBucket(f, img.width, img.height);
      const key = `${w}x${h}`;
      let b = m.get(key);
      if (!b) m.set(key, (b = { family: f.family, width: w, height: h, count: 0, perEpoch: 0 }));
      b.count++;
      b.perEpoch += img.repeats;
    }
    out.push(...[...m.values()].sort((a, b) => b.count - a.count || a.width - b.width || a.height - b.height));
  }
  return out;
}
