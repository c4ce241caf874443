// Test helper: real image files made with sharp. `structured(seed, w, h)` is a smooth picture (a random 8×8
// colour grid upscaled with a cubic kernel), so different seeds give perceptually different images and a
// resize or re-encode of one stays perceptually the same.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

export function rng(seed: number) {
  return () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

export function structured(seed: number, w: number, h: number, alpha = false): sharp.Sharp {
  const r = rng(seed * 7919 + 1);
  const ch = alpha ? 4 : 3;
  const grid = Buffer.alloc(8 * 8 * ch);
  for (let i = 0; i < 64; i++) {
    for (let c = 0; c < 3; c++) grid[i * ch + c] = Math.floor(r() * 256);
    if (alpha) grid[i * ch + 3] = i % 8 < 3 ? 0 : 255; // the left columns transparent
  }
  return sharp(grid, { raw: { width: 8, height: 8, channels: ch } }).resize(w, h, { kernel: 'cubic', fit: 'fill' });
}

export async function writeImage(file: string, img: sharp.Sharp): Promise<Buffer> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ext = path.extname(file);
  const buf = await (ext === '.jpg' ? img.jpeg({ quality: 90 }) : ext === '.webp' ? img.webp() : img.png()).toBuffer();
  fs.writeFileSync(file, buf);
  return buf;
}

const made: string[] = [];
// the folders of a test file are removed when its process ends, whatever its tests did
process.on('exit', () => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lb-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Every file under `dir` (no symlink following) with its bytes, for "nothing was modified" checks. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) { const st = fs.statSync(p); out.set(p, `${st.mtimeMs}:${fs.readFileSync(p).toString('base64')}`); }
      else out.set(p, e.isSymbolicLink() ? `link:${fs.readlinkSync(p)}` : 'special');
    }
  };
  walk(dir);
  return out;
}

/** The tiny WD14-format tagger made by scripts/make-tiny-tagger.py. */
export const TINY = path.resolve(__dirname, '../../fixtures/dataset/tiny-tagger');

/** A square PNG of one colour (alpha 0–1). */
export async function solid(file: string, size: number, r: number, g: number, b: number, alpha = 1) {
  await sharp({ create: { width: size, height: size, channels: 4, background: { r, g, b, alpha } } }).png().toFile(file);
}
