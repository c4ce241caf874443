// The reference WD14 preprocessing (SmilingWolf's wd-tagger, which sd-scripts follows): alpha composited onto
// white, padded to a centred white square, resized to the model's input size (bicubic), channels in BGR
// order, float32 0–255, laid out as the model's input asks (NHWC for WD14; NCHW also handled).
import { loadSharp } from '../images';

export type Layout = 'nhwc' | 'nchw';

/** Write one preprocessed image into `out` at `offset` (size×size×3 floats). */
export async function preprocessInto(bytes: Buffer, size: number, layout: Layout, out: Float32Array, offset: number): Promise<void> {
  const sharp = await loadSharp();
  const meta = await sharp(bytes).metadata();
  const w = meta.width ?? 0, h = meta.height ?? 0;
  const side = Math.max(w, h);
  const left = Math.floor((side - w) / 2), top = Math.floor((side - h) / 2);
  const white = { r: 255, g: 255, b: 255, alpha: 1 };
  // 1. onto white, 2. pad to a white square (sharp applies extend after flatten in one pipeline; no resize here).
  const square = await sharp(bytes, { failOn: 'error' }).flatten({ background: white }).toColourspace('srgb').removeAlpha()
    .extend({ top, bottom: side - h - top, left, right: side - w - left, background: white })
    .raw().toBuffer({ resolveWithObject: true });
  let rgb = square.data;
  let ch = square.info.channels;
  // 3. resize the square to the model's size.
  if (side !== size) {
    const r = await sharp(rgb, { raw: { width: side, height: side, channels: ch as 1 | 3 | 4 } })
      .resize(size, size, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    rgb = r.data; ch = r.info.channels;
  }
  // 4. BGR, float, layout.
  const px = size * size;
  for (let i = 0; i < px; i++) {
    const R = rgb[i * ch], G = rgb[i * ch + (ch >= 3 ? 1 : 0)], B = rgb[i * ch + (ch >= 3 ? 2 : 0)];
    if (layout === 'nhwc') { out[offset + i * 3] = B; out[offset + i * 3 + 1] = G; out[offset + i * 3 + 2] = R; }
    else { out[offset + i] = B; out[offset + px + i] = G; out[offset + 2 * px + i] = R; }
  }
}

/** One image as a fresh array (tests, and callers that tag one image). */
export async function preprocess(bytes: Buffer, size: number, layout: Layout = 'nhwc'): Promise<Float32Array> {
  const out = new Float32Array(size * size * 3);
  await preprocessInto(bytes, size, layout, out, 0);
  return out;
}
