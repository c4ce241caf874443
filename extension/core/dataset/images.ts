// Reading one image with sharp: size, format, alpha, a full decode (which is what finds truncated files), the
// perceptual signature and, when asked, a thumbnail. sharp is loaded on first use, not at import.
import { HASH_SIZE, signature, type ImageSignature } from './phash';
import type { ProblemCode } from './types';

type Sharp = typeof import('sharp');
let sharpPromise: Promise<Sharp> | undefined;

/** sharp, loaded lazily; a clear error when it is not installed or its native part does not load. */
export function loadSharp(): Promise<Sharp> {
  sharpPromise ??= import('sharp').then(
    (m) => ((m as unknown as { default?: Sharp }).default ?? m) as Sharp,
    (e: Error) => {
      sharpPromise = undefined;
      throw new Error(`Reading images needs the \`sharp\` package, which did not load (${e.message.split('\n')[0]}). Run \`npm install sharp\` in the lorabias folder (its prebuilt binaries cover Linux, macOS and Windows on x64 and arm64).`);
    },
  );
  return sharpPromise;
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.tif', '.tiff', '.bmp', '.jxl']);

/** The largest image read, in pixels: the engine's decoder (PIL) refuses larger ones as decompression bombs. */
export const MAX_PIXELS = 89_478_485;

export type Inspected =
  | {
    ok: true;
    /** As trained: EXIF orientation applied (width and height swap for a quarter turn). */
    width: number; height: number;
    format: string; hasAlpha: boolean; transparent: boolean; sig: ImageSignature; orientation: number; pages: number;
    /** Bits per channel as stored (16 for a 16-bit PNG or TIFF; trained as 8). */
    bits: number;
    /** sharp's colour space as stored: srgb, b-w, grey16, rgb16, cmyk… */
    space: string;
    hasProfile: boolean;
  }
  | { ok: false; code: ProblemCode; message: string };

/** Inspect an image file's bytes. Never throws for a bad image: returns the problem instead. */
export async function inspectImage(bytes: Buffer, ext: string): Promise<Inspected> {
  const sharp = await loadSharp();
  if (bytes.length === 0) return { ok: false, code: 'empty-file', message: 'is an empty (zero-byte) file: delete it or copy the image again.' };
  let meta: import('sharp').Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (e) {
    if (ext === '.bmp' || ext === '.jxl') {
      return { ok: false, code: 'unsupported-format', message: `is a ${ext.slice(1).toUpperCase()} file, which lorabias cannot read: convert it to PNG.` };
    }
    return { ok: false, code: 'not-an-image', message: `is not an image (${errText(e)}) although its name ends in ${ext}: remove it from the folder or fix the file.` };
  }
  const w = meta.width ?? 0, h = meta.height ?? 0;
  if (w * h > MAX_PIXELS) {
    return { ok: false, code: 'too-large', message: `is ${w}×${h} (${(w * h / 1e6).toFixed(0)} megapixels), more than the ${(MAX_PIXELS / 1e6).toFixed(1)} megapixels lorabias reads: it was not decoded. Scale it down (training resizes it anyway).` };
  }
  if (meta.space === 'cmyk' && !meta.hasProfile) {
    return { ok: false, code: 'colour-space', message: 'is a CMYK image without a colour profile, so its colours cannot be known (each program guesses differently): save it as sRGB, or with its CMYK profile embedded.' };
  }
  let rgb: Buffer;
  try {
    // decoded as the engine decodes it for training: upright (EXIF), 8 bits, sRGB through the embedded profile
    rgb = await sharp(bytes, { failOn: 'error' }).rotate().flatten({ background: '#ffffff' })
      .resize(HASH_SIZE, HASH_SIZE, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  } catch (e) {
    return {
      ok: false, code: 'truncated',
      message: `is truncated or corrupt: its header reads (${meta.format} ${meta.width}×${meta.height}) but the pixels do not decode (${errText(e)}). Copy or download it again.`,
    };
  }
  let transparent = false;
  if (meta.hasAlpha) {
    try { transparent = !(await sharp(bytes).stats()).isOpaque; } catch { /* decoded above; ignore */ }
  }
  const orientation = meta.orientation ?? 1;
  const turned = orientation >= 5 && orientation <= 8;
  return {
    ok: true, width: turned ? h : w, height: turned ? w : h, format: meta.format ?? ext.slice(1), hasAlpha: !!meta.hasAlpha, transparent,
    sig: signature(rgb), orientation, pages: meta.pages ?? 1,
    bits: meta.depth === 'ushort' || meta.depth === 'short' ? 16 : meta.depth === 'uint' || meta.depth === 'int' || meta.depth === 'float' ? 32 : 8,
    space: meta.space ?? 'srgb', hasProfile: !!meta.hasProfile,
  };
}

/** A small WebP thumbnail (longer side `size` px), alpha flattened onto white. */
export async function thumbnail(bytes: Buffer, size = 64): Promise<{ data: Buffer; width: number; height: number }> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(bytes).rotate().flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\s+$/, '');
}

/** The file extensions that name each of sharp's formats. */
const EXTENSIONS_OF: Record<string, string[]> = {
  png: ['.png'], jpeg: ['.jpg', '.jpeg'], webp: ['.webp'], gif: ['.gif'], tiff: ['.tif', '.tiff'], heif: ['.avif'], avif: ['.avif'], jxl: ['.jxl'], bmp: ['.bmp'],
};

/** A file whose content is another format than its name says (a PNG named .jpg): the format, else undefined. */
export function misnamedFormat(format: string, ext: string): string | undefined {
  const names = EXTENSIONS_OF[format];
  return names && !names.includes(ext) ? format : undefined;
}
