// Leakage: how much a LoRA changes what it should not, per unit of what it should change.
//
// Pixels: for each prompt and seed, the image at weight w is compared with the image at weight 0 (the same
// seed, so the only difference is the LoRA). With a mask marking where the LoRA is meant to act (the edited
// region: a user's mask, or where A and A′ differ), `intended` is the mean absolute change per pixel inside
// the mask and `unintended` the mean outside it, both in [0, 1] (RGB averaged). The leakage ratio is
// unintended / intended, averaged over every (prompt, seed, w ≠ 0): 0 means the LoRA touched only the masked
// region; 1 means it changed the rest as much as the region it was meant for.

export interface Raster {
  width: number;
  height: number;
  /** RGB, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export interface Leakage {
  lora: string;
  /** Mean unintended / intended over the compared pairs. */
  ratio: number;
  /** Mean absolute change per pixel inside the mask, in [0, 1]. */
  intended: number;
  /** Mean absolute change per pixel outside the mask, in [0, 1]. */
  unintended: number;
  pairs: number;
}

export async function readRaster(file: string, size?: { width: number; height: number }): Promise<Raster> {
  const sharp = (await import('sharp')).default;
  let img = sharp(file).removeAlpha().toColourspace('srgb');
  if (size) img = img.resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A mask (1 = the LoRA should act here) from where two images differ by more than `threshold` (0–1). */
export function differenceMask(a: Raster, b: Raster, threshold = 0.1): Uint8Array {
  sameSize(a, b);
  const mask = new Uint8Array(a.width * a.height);
  for (let i = 0; i < mask.length; i++) {
    const d = (Math.abs(a.data[3 * i] - b.data[3 * i]) + Math.abs(a.data[3 * i + 1] - b.data[3 * i + 1]) + Math.abs(a.data[3 * i + 2] - b.data[3 * i + 2])) / (3 * 255);
    mask[i] = d > threshold ? 1 : 0;
  }
  return mask;
}

/** A mask from a black-and-white image (light = the LoRA should act here). */
export function maskFromImage(m: Raster): Uint8Array {
  const mask = new Uint8Array(m.width * m.height);
  for (let i = 0; i < mask.length; i++) mask[i] = m.data[3 * i] + m.data[3 * i + 1] + m.data[3 * i + 2] > 3 * 127 ? 1 : 0;
  return mask;
}

/** Mean absolute change inside and outside the mask between two images. */
export function change(before: Raster, after: Raster, mask: Uint8Array): { inside: number; outside: number } {
  sameSize(before, after);
  if (mask.length !== before.width * before.height) throw new Error(`the mask is ${mask.length} pixels, the images ${before.width}×${before.height}`);
  let inSum = 0, inN = 0, outSum = 0, outN = 0;
  for (let i = 0; i < mask.length; i++) {
    const d = (Math.abs(before.data[3 * i] - after.data[3 * i]) + Math.abs(before.data[3 * i + 1] - after.data[3 * i + 1]) + Math.abs(before.data[3 * i + 2] - after.data[3 * i + 2])) / (3 * 255);
    if (mask[i]) { inSum += d; inN++; } else { outSum += d; outN++; }
  }
  return { inside: inN ? inSum / inN : 0, outside: outN ? outSum / outN : 0 };
}

/** Leakage of one LoRA over pairs of (weight-0 image, weight-w image) with one mask. */
export function leakage(lora: string, pairs: { before: Raster; after: Raster }[], mask: Uint8Array): Leakage {
  let ratio = 0, intended = 0, unintended = 0, n = 0;
  for (const { before, after } of pairs) {
    const c = change(before, after, mask);
    intended += c.inside;
    unintended += c.outside;
    ratio += c.inside > 1e-6 ? c.outside / c.inside : c.outside > 1e-6 ? Infinity : 0;
    n++;
  }
  return { lora, ratio: n ? ratio / n : 0, intended: n ? intended / n : 0, unintended: n ? unintended / n : 0, pairs: n };
}

function sameSize(a: Raster, b: Raster): void {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`);
}

// On `builtin:tiny-shapes` the engine also reads every sample back (shape area, colour, background) and reports,
// per weight w ≠ 0 against weight 0 with the same prompt and seed (engine/lorabias_engine/shapes/harness.py):
// the size change (relative area), the colour shift of the shape (RGB distance, 0–1), the background change
// (mean pixel change where both pictures are background, 0–1), the share of shape kinds that changed, and the
// last three per unit of size change (null when the size changed by 5% or less).
export interface ShapesLeakage {
  lora: string;
  weight: number;
  sizeChange: number | null;
  colorShift: number | null;
  backgroundChange: number | null;
  shapeChange: number | null;
  colorPerSize: number | null;
  backgroundPerSize: number | null;
  pairs: number;
  valid: number;
}

/** The engine's `shapes_leakage` entries (snake_case) as typed rows of one LoRA. */
export function shapesLeakage(lora: string, raw: unknown): ShapesLeakage[] {
  if (!Array.isArray(raw)) return [];
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return raw.map((r: Record<string, unknown>) => ({
    lora, weight: Number(r.weight), sizeChange: num(r.size_change), colorShift: num(r.color_shift),
    backgroundChange: num(r.background_change), shapeChange: num(r.shape_change), colorPerSize: num(r.color_per_size),
    backgroundPerSize: num(r.background_per_size), pairs: Number(r.pairs ?? 0), valid: Number(r.valid ?? 0),
  }));
}
