// Composes sampled images into one labelled grid PNG with sharp: a header row of column labels (prompt, seed)
// and a first column of row labels (LoRA and weight). Small images are scaled up with nearest-neighbour so the
// pixels stay readable.

export interface GridSpec {
  /** images[row][col]: file paths; undefined leaves a blank cell. */
  images: (string | undefined)[][];
  rowLabels: string[];
  colLabels: string[];
  /** Size of each image cell in the grid (pixels); default: the first image's size, at least 128. */
  cell?: number;
  /** Written into the PNG as text metadata (e.g. the recipe and cell). */
  comment?: string;
}

export interface GridLayout {
  width: number;
  height: number;
  cell: number;
  labelWidth: number;
  headerHeight: number;
  gap: number;
}

const GAP = 4;
const FONT = 14;

export function gridLayout(rows: number, cols: number, cell: number, rowLabels: string[]): GridLayout {
  const longest = Math.max(4, ...rowLabels.map((l) => l.length));
  const labelWidth = Math.min(260, Math.ceil(longest * FONT * 0.62) + 16);
  const headerHeight = 2 * FONT + 14;
  return { width: labelWidth + cols * (cell + GAP) + GAP, height: headerHeight + rows * (cell + GAP) + GAP, cell, labelWidth, headerHeight, gap: GAP };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

function clip(s: string, px: number): string {
  const max = Math.max(3, Math.floor(px / (FONT * 0.6)));
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export async function composeGrid(spec: GridSpec, outFile: string): Promise<GridLayout> {
  const sharp = (await import('sharp')).default;
  const rows = spec.images.length;
  const cols = Math.max(0, ...spec.images.map((r) => r.length));
  const first = spec.images.flat().find(Boolean);
  const native = first ? (await sharp(first).metadata()).width ?? 128 : 128;
  const cell = spec.cell ?? Math.max(128, Math.min(512, native));
  const L = gridLayout(rows, cols, cell, spec.rowLabels);
  const texts: string[] = [];
  spec.colLabels.forEach((label, c) => {
    const x = L.labelWidth + GAP + c * (cell + GAP) + cell / 2;
    const [a, b = ''] = label.split('\n');
    texts.push(`<text x="${x}" y="${FONT + 4}" text-anchor="middle">${escapeXml(clip(a, cell))}</text>`);
    if (b) texts.push(`<text x="${x}" y="${2 * FONT + 8}" text-anchor="middle">${escapeXml(clip(b, cell))}</text>`);
  });
  spec.rowLabels.forEach((label, r) => {
    const y = L.headerHeight + GAP + r * (cell + GAP) + cell / 2 + FONT / 2;
    texts.push(`<text x="${L.labelWidth - 8}" y="${y}" text-anchor="end">${escapeXml(clip(label, L.labelWidth - 12))}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}"><g font-family="DejaVu Sans, sans-serif" font-size="${FONT}" fill="#222">${texts.join('')}</g></svg>`;
  const tiles = await Promise.all(spec.images.flatMap((row, r) => row.map(async (file, c) => {
    if (!file) return undefined;
    // Raw pixels, not PNG: each tile would otherwise be encoded and decoded once more for nothing.
    const input = await sharp(file).resize(cell, cell, { fit: 'contain', kernel: native < cell ? 'nearest' : 'lanczos3', background: '#ffffff' }).removeAlpha().raw().toBuffer();
    return { input, raw: { width: cell, height: cell, channels: 3 as const }, left: L.labelWidth + GAP + c * (cell + GAP), top: L.headerHeight + GAP + r * (cell + GAP) };
  })));
  let img = sharp({ create: { width: L.width, height: L.height, channels: 3, background: '#ffffff' } })
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }, ...tiles.filter((t): t is NonNullable<typeof t> => Boolean(t))])
    .png();
  const png = await img.toBuffer();
  const fs = await import('node:fs');
  fs.writeFileSync(outFile + '.part', spec.comment ? withPngText(png, 'Comment', spec.comment) : png);
  fs.renameSync(outFile + '.part', outFile);
  return L;
}

/** Adds a tEXt chunk (Latin-1 key and value) before IEND, e.g. the recipe and cell a grid came from. */
export function withPngText(png: Buffer, key: string, value: string): Buffer {
  const { crc32 } = require('node:zlib') as typeof import('node:zlib');
  const data = Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value.replace(/[^\x20-\xff\n]/g, '?'), 'latin1')]);
  const type = Buffer.from('tEXt', 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])) >>> 0);
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), len, type, data, crc, png.subarray(iend)]);
}

/** Reads the tEXt chunks of a PNG (what withPngText wrote). */
export function pngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 8; at + 8 <= png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const data = png.subarray(at + 8, at + 8 + len);
      const nul = data.indexOf(0);
      out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1);
    }
    at += 12 + len;
  }
  return out;
}
