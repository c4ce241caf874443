// The payload of a cell's `application/vnd.lorabias.output+json` output, built from a CellResult. No `vscode`
// import (tests and the benchmark build payloads too). Images on disk stay on disk: the payload embeds only small
// WebP thumbnails (grid tiles for the swipe and the heat map, a dataset's strip) and gives the renderer the
// absolute paths to ask for at full size. The whole cell output stays under OUTPUT_BUDGET.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LeakageFigures, leakageTable, PreviewData, tagLeakageTable } from '../core/preview/previewData';
import type { CellResult } from '../core/run/types';
import { mdText } from '../core/text/markdownEscape';

export const OUTPUT_MIME = 'application/vnd.lorabias.output+json';
/** The most a finished cell's outputs may weigh, all items together (JSON, markdown, fallback PNG). */
export const OUTPUT_BUDGET = 1024 * 1024;
/** Of which the embedded thumbnails may take this much. */
const THUMB_BUDGET = 560 * 1024;
/** The fallback `image/png` of a grid: this wide at most, and this heavy at most. */
export const FALLBACK_WIDTH = 768;
const FALLBACK_BUDGET = 300 * 1024;
/** Points of a loss curve sent to the renderer (longer runs are thinned, keeping first and last). */
const MAX_POINTS = 1000;

export interface PreviewTile { path: string; thumb?: string }

export interface OutputPayload {
  title: string;
  text: string;
  kind: string;
  cached: boolean;
  seconds: number;
  figures: Record<string, unknown>;
  artifacts: Record<string, string>;
  images: { path: string; caption?: string; thumb?: string }[];
  data: Record<string, unknown>;
}

type Sharp = typeof import('sharp');
async function loadSharp(): Promise<Sharp> {
  return (await import('sharp')).default as unknown as Sharp;
}

// Thumbnails already made, by file, size and modification time: reopening a notebook restores every cell's
// outputs, and a 5×5 grid of 1024-pixel pictures takes about a second to shrink again.
const made = new Map<string, string>();

/** A small WebP data URI of an image file, its longer side at most `size` pixels; undefined when unreadable. */
export async function thumbDataUri(file: string, size: number): Promise<string | undefined> {
  let key: string;
  try {
    const st = fs.statSync(file);
    key = `${size}:${st.mtimeMs}:${st.size}:${file}`;
  } catch {
    return undefined;
  }
  const known = made.get(key);
  if (known) return known;
  const uri = await makeThumb(file, size);
  if (uri) {
    made.set(key, uri);
    // about 10 MB at most
    while (made.size > 800) made.delete(made.keys().next().value as string);
  }
  return uri;
}

async function makeThumb(file: string, size: number): Promise<string | undefined> {
  try {
    const sharp = await loadSharp();
    const meta = await sharp(file).metadata();
    const small = Math.max(meta.width ?? 0, meta.height ?? 0) <= size;
    // tiny pictures (the 32-pixel tiny-shapes model) are scaled up without blurring, so the swipe shows pixels
    const img = small && (meta.width ?? 0) < 96
      ? sharp(file).resize({ width: Math.min(size, (meta.width ?? 32) * 4), kernel: 'nearest' })
      : sharp(file).resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true });
    const buf = await img.webp({ quality: 82 }).toBuffer();
    return `data:image/webp;base64,${buf.toString('base64')}`;
  } catch {
    return undefined;
  }
}

/** Every `step`-th value so at most `max` remain, keeping the last; the step between kept points. */
export function thin<T>(values: T[], max = MAX_POINTS): { values: T[]; every: number } {
  if (values.length <= max) return { values, every: 1 };
  const every = Math.ceil(values.length / max);
  const out: T[] = [];
  for (let i = 0; i < values.length; i += every) out.push(values[i]);
  if ((values.length - 1) % every !== 0) out.push(values[values.length - 1]);
  return { values: out, every };
}

/** Exponential moving average with TensorBoard's debiasing (the first points are not dragged towards 0). */
export function smooth(values: number[], weight = 0.9): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - Math.pow(weight, n));
  });
}

async function previewData(r: CellResult): Promise<Record<string, unknown>> {
  const data = { ...(r.display.data ?? {}) } as Record<string, unknown>;
  const grid = r.artifacts.grid;
  const rel = data.images;
  if (!grid || !Array.isArray(rel)) return data;
  const dir = path.dirname(grid);
  const paths = (rel as unknown[]).map((row) => (Array.isArray(row) ? row : []).map((f) => (typeof f === 'string' && f ? path.resolve(dir, f) : '')));
  // rows are each LoRA at each weight, in the cell's order (core/run/cells/preview.ts)
  const loras = Array.isArray(r.figures.loras) ? (r.figures.loras as unknown[]).map(String) : [];
  const weights = Array.isArray(r.figures.weights) ? (r.figures.weights as unknown[]).map(Number) : [];
  if (!Array.isArray(data.rows) && loras.length * weights.length === paths.length) data.rows = paths.map((_, i) => ({ lora: loras[Math.floor(i / weights.length)], weight: weights[i % weights.length] }));
  if (data.type !== 'preview') Object.assign(data, olderPreviewData(r, loras, weights));
  data.dir = dir;
  data.paths = paths;
  const count = paths.flat().filter(Boolean).length;
  // the largest tile size whose thumbnails fit the budget (a 5×5 grid gets 256-pixel tiles)
  for (let size = 256; size >= 48; size = Math.floor(size * 0.75)) {
    const thumbs = await Promise.all(paths.map((row) => Promise.all(row.map((f) => (f ? thumbDataUri(f, size) : Promise.resolve(undefined))))));
    const bytes = thumbs.flat().reduce((n, t) => n + (t?.length ?? 0), 0);
    if (bytes <= THUMB_BUDGET || size * 0.75 < 48) {
      if (bytes <= THUMB_BUDGET) {
        data.thumbs = thumbs.map((row) => row.map((t) => t ?? ''));
        data.thumbSize = size;
      }
      break;
    }
    if (count === 0) break;
  }
  return data;
}

/** A preview cached before its display carried typed data: the same data, from its figures (never from its text). */
function olderPreviewData(r: CellResult, loras: string[], weights: number[]): Pick<PreviewData, 'type' | 'summary' | 'tables' | 'notes'> {
  const leak = Array.isArray(r.figures.leakage) ? (r.figures.leakage as LeakageFigures[]) : [];
  const tagLeak = Array.isArray(r.figures.tagLeakage) ? (r.figures.tagLeakage as LeakageFigures[]) : [];
  return {
    type: 'preview',
    summary: `${Number(r.figures.images) || 0} images: ${loras.join(', ')} at weights ${weights.join(', ')}`,
    tables: [...(leak.length ? [leakageTable(leak)] : []), ...(tagLeak.length ? [tagLeakageTable(tagLeak, 'the concept')] : [])],
    notes: [],
  };
}

async function datasetImages(images: OutputPayload['images']): Promise<OutputPayload['images']> {
  let used = 0;
  const out: OutputPayload['images'] = [];
  for (const im of images) {
    const thumb = used < THUMB_BUDGET && /\.(webp|png|jpe?g)$/i.test(im.path) ? await thumbDataUri(im.path, 128) : undefined;
    if (thumb && used + thumb.length <= THUMB_BUDGET) {
      used += thumb.length;
      out.push({ ...im, thumb });
    } else out.push(im);
  }
  return out;
}

/** The renderer's payload for a finished cell. */
export async function resultPayload(r: CellResult): Promise<OutputPayload> {
  let data: Record<string, unknown> = { ...(r.display.data ?? {}) };
  let images: OutputPayload['images'] = r.display.images ?? [];
  if (r.kind === 'preview') data = await previewData(r);
  if (data.type === 'dataset') images = await datasetImages(images);
  else if (r.kind === 'preview') images = images.map((im) => ({ ...im }));
  if (Array.isArray(data.losses)) {
    const losses = (data.losses as unknown[]).map(Number);
    // smoothed over every step, then thinned, so the curve is the same however long the run
    const t = thin(losses.map((loss, i) => [i + 1, loss] as const));
    const s = smooth(losses);
    data.losses = t.values.map((p) => p[1]);
    data.lossSteps = t.values.map((p) => p[0]);
    data.smoothed = t.values.map((p) => s[p[0] - 1]);
    data.steps = losses.length;
  }
  return {
    title: r.display.title + (r.cached ? ' (cached)' : ` (${r.seconds.toFixed(1)} s)`),
    text: r.display.markdown,
    kind: r.kind,
    cached: r.cached,
    seconds: r.seconds,
    figures: r.figures,
    artifacts: r.artifacts,
    images,
    data,
  };
}

/** The text/markdown fallback of a finished cell: its title (escaped) over the cell's own, already escaped, markdown. */
export function fallbackMarkdown(title: string, markdown: string): string {
  return `**${mdText(title)}**\n\n${markdown}`;
}

/** The grid's fallback picture: at most FALLBACK_WIDTH wide and FALLBACK_BUDGET heavy (fewer colours, then narrower). */
export async function gridFallbackPng(file: string): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const meta = await sharp(file).metadata();
  const bytes = fs.readFileSync(file);
  if ((meta.width ?? 0) <= FALLBACK_WIDTH && bytes.length <= FALLBACK_BUDGET) return bytes;
  for (let width = Math.min(FALLBACK_WIDTH, meta.width ?? FALLBACK_WIDTH); ; width = Math.floor(width * 0.8)) {
    const png = await sharp(file).resize({ width }).png({ compressionLevel: 9 }).toBuffer();
    if (png.length <= FALLBACK_BUDGET) return png;
    const palette = await sharp(file).resize({ width }).png({ palette: true, colours: 128, compressionLevel: 9 }).toBuffer();
    if (palette.length <= FALLBACK_BUDGET || width < 200) return palette;
  }
}

/** Image files the renderer may ask for at full size or open: a PNG, WebP or JPEG named in one of the
 * notebook's own outputs (their JSON text), so a renderer cannot read arbitrary files through the host. */
export function servableImage(requested: unknown, outputTexts: Iterable<string>): boolean {
  if (typeof requested !== 'string' || !path.isAbsolute(requested) || !/\.(png|webp|jpe?g)$/i.test(requested)) return false;
  if (path.normalize(requested) !== requested) return false;
  const needle = JSON.stringify(requested);
  for (const text of outputTexts) if (text.includes(needle)) return true;
  return false;
}

// Live training progress: the controller replaces the progress output every few hundred milliseconds with the
// latest step only; the losses seen so far are kept here, per title, so the live curve survives a reload of
// the notebook's webview. A step that goes backwards, or another total, starts a new curve.
const live = new Map<string, { step: number; total?: number; points: [number, number][] }>();

export function progressPayload(title: string, data: Record<string, unknown>): { title: string; text: string; progress: Record<string, unknown> } {
  const { step, total, loss, eta_s: eta, its, lr } = data as { step?: number; total?: number; loss?: number; eta_s?: number; its?: number; lr?: number };
  const parts = [step !== undefined && total ? `step ${step}/${total}` : 'working…'];
  if (data.phase === 'loading' && step !== undefined && total) parts[0] = `loading ${String(data.what ?? 'the model')}: ${step}/${total} ${String(data.unit ?? '')}`.trim();
  if (typeof loss === 'number') parts.push(`loss ${loss.toFixed(4)}`);
  if (typeof lr === 'number') parts.push(`lr ${lr.toExponential(1)}`);
  if (typeof its === 'number') parts.push(`${its.toFixed(2)} it/s`);
  if (typeof eta === 'number') parts.push(`ETA ${Math.round(eta)} s`);
  const progress: Record<string, unknown> = { ...data };
  if (typeof loss === 'number' && typeof step === 'number') {
    let h = live.get(title);
    if (!h || step < h.step || h.total !== total) {
      h = { step, total, points: [] };
      live.set(title, h);
      if (live.size > 32) live.delete(live.keys().next().value as string);
    }
    if (step > h.step || h.points.length === 0) h.points.push([step, loss]);
    h.step = step;
    progress.history = thin(h.points).values;
    if (total && step >= total) live.delete(title);
  }
  return { title, text: parts.join(' · '), progress };
}
