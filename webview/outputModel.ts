// The shape of a `application/vnd.lorabias.output+json` output, and a forgiving reader for it: whatever
// arrives, the renderer gets something it can draw. An unreadable payload becomes an error to show; a payload
// whose grid, curve or chart data is malformed keeps its title and text and says what is wrong in `error`.
// The payload is built by extension/vscode/outputPayload.ts.
import type { FigureTable } from '../extension/core/preview/previewData';
import { safeImageSrc } from './safeUrl';

export const OUTPUT_MIME = 'application/vnd.lorabias.output+json';

export type Cell = string | number | boolean | null;

export interface GridRow { lora: string; weight: number }

export interface GridModel {
  rowLabels: string[];
  colLabels: string[];
  /** Small embedded pictures (raster data URIs only, see safeUrl.ts), '' where a cell is empty or its source was refused. */
  thumbs: string[][];
  /** Absolute paths of the full-size pictures (asked of the extension host for the zoom), '' where unknown. */
  paths: string[][];
  /** Which LoRA and weight each row shows (for the before/after swipe against weight 0). */
  rows: (GridRow | undefined)[];
  /** The composed grid PNG. */
  gridPath?: string;
}

export interface LiveProgress { step?: number; total?: number; loss?: number; lr?: number; its?: number; eta_s?: number }

export interface LossModel {
  /** [step, loss] points. */
  points: [number, number][];
  /** The same smoothed (exponential moving average), when known. */
  smoothed?: [number, number][];
  live?: LiveProgress;
}

export interface Bar { label: string; value: number; marker?: number; note?: string; flag?: string; title?: string }

export interface DatasetModel {
  buckets: Bar[];
  thumbs: { src: string; caption: string }[];
}

export interface AnalyzeModel {
  concept: string;
  cooccurrence: Bar[];
  frequencies: Bar[];
}

/** What a preview shows besides its grid, as the preview cell made it (core/preview/previewData.ts). */
export interface PreviewModel {
  summary: string;
  tables: FigureTable[];
  notes: string[];
}

export interface LorabiasOutput {
  title: string;
  text?: string;
  table?: { columns: string[]; rows: Cell[][] };
  error?: string;
  kind?: string;
  grid?: GridModel;
  loss?: LossModel;
  dataset?: DatasetModel;
  analyze?: AnalyzeModel;
  preview?: PreviewModel;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toCell(v: unknown): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return v === undefined ? null : JSON.stringify(v);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x ?? ''))) : undefined);
const matrix = (v: unknown): string[][] | undefined => (Array.isArray(v) && v.every(Array.isArray) ? v.map((row) => strings(row)!) : undefined);


function readGrid(data: Record<string, unknown>, artifacts: Record<string, unknown>, problems: string[]): GridModel | undefined {
  const rowLabels = strings(data.rowLabels);
  const colLabels = strings(data.colLabels);
  const thumbs = matrix(data.thumbs)?.map((row) => row.map(safeImageSrc));
  const paths = matrix(data.paths) ?? matrix(data.images);
  if (!rowLabels || !colLabels || !(thumbs || paths)) {
    problems.push('This preview has no grid to draw (`rowLabels`, `colLabels` and images are missing or not lists).');
    return undefined;
  }
  const rows = rowLabels.length;
  const cols = colLabels.length;
  const shape = (m: string[][] | undefined) => !m || (m.length === rows && m.every((r) => r.length === cols));
  if (!shape(thumbs) || !shape(paths)) {
    problems.push(`The preview's images do not match its labels (${rows} rows × ${cols} columns expected).`);
    return undefined;
  }
  const fill = (m: string[][] | undefined) => m ?? rowLabels.map(() => colLabels.map(() => ''));
  const given = Array.isArray(data.rows) ? data.rows : [];
  // which LoRA and weight each row shows comes as data; without it there is no swipe (labels are never parsed)
  const rowInfo = rowLabels.map((_, i) => {
    const g = given[i];
    return isRecord(g) && typeof g.lora === 'string' && num(g.weight) !== undefined ? { lora: g.lora, weight: g.weight as number } : undefined;
  });
  const grid: GridModel = { rowLabels, colLabels, thumbs: fill(thumbs), paths: fill(paths), rows: rowInfo };
  if (typeof artifacts.grid === 'string') grid.gridPath = artifacts.grid;
  return grid;
}

/** [step, loss] pairs from a list of pairs, or from a list of losses (steps from `steps`, else 1, 2, 3…). */
function readPoints(v: unknown, steps?: unknown): [number, number][] | undefined {
  if (!Array.isArray(v)) return undefined;
  const at = Array.isArray(steps) && steps.length === v.length ? steps : undefined;
  const out: [number, number][] = [];
  v.forEach((x, i) => {
    if (Array.isArray(x) && num(x[0]) !== undefined && num(x[1]) !== undefined) out.push([x[0], x[1]]);
    else if (num(x) !== undefined) out.push([num(at?.[i]) ?? i + 1, x as number]);
  });
  return out;
}

function readTable(t: Record<string, unknown>): FigureTable | undefined {
  if (!Array.isArray(t.columns) || !Array.isArray(t.rows)) return undefined;
  const columns = t.columns.filter(isRecord).map((c) => ({ label: str(c.label), ...(num(c.digits) !== undefined ? { digits: Math.max(0, Math.min(8, Math.round(c.digits as number))) } : {}) }));
  const rows = t.rows.filter(Array.isArray).map((row) => columns.map((c, i) => {
    const v = (row as unknown[])[i];
    return c.digits === undefined ? (v === null || v === undefined ? null : String(v)) : typeof v === 'number' ? v : null;
  }));
  return { id: str(t.id), caption: str(t.caption), columns, rows };
}

function readPreview(data: Record<string, unknown>): PreviewModel {
  const tables = (Array.isArray(data.tables) ? data.tables : []).filter(isRecord).map(readTable).filter((t): t is FigureTable => Boolean(t));
  return { summary: str(data.summary), tables, notes: strings(data.notes) ?? [] };
}

function readDataset(data: Record<string, unknown>, images: unknown): DatasetModel {
  const buckets = (Array.isArray(data.buckets) ? data.buckets : []).filter(isRecord).map((b) => ({
    label: `${b.width}×${b.height}${b.family ? ` ${b.family === 'sdxl' ? 'SDXL' : 'SD1.5'}` : ''}`,
    value: num(b.count) ?? 0,
    note: `${num(b.count) ?? 0}${num(b.perEpoch) !== undefined && b.perEpoch !== b.count ? ` (${b.perEpoch} per epoch)` : ''}`,
  }));
  const thumbs = (Array.isArray(images) ? images : []).filter(isRecord)
    .filter((im) => safeImageSrc(im.thumb) !== '')
    .map((im) => ({ src: im.thumb as string, caption: str(im.caption) || str(im.path) }));
  return { buckets, thumbs };
}

function readAnalyze(data: Record<string, unknown>, problems: string[]): AnalyzeModel | undefined {
  const r = data.report;
  if (!isRecord(r)) {
    problems.push('This analysis has no report to chart.');
    return undefined;
  }
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
  const cooccurrence = (Array.isArray(r.cooccurrence) ? r.cooccurrence : []).filter(isRecord).map((c) => {
    const pc = num(c.pGivenConcept) ?? 0;
    const p = num(c.p) ?? 0;
    const lift = num(c.lift) ?? 0;
    return {
      label: str(c.tag), value: pc, marker: p, flag: typeof c.flag === 'string' ? c.flag : undefined,
      note: `${pct(pc)} · lift ${lift.toFixed(2)}`,
      title: `${str(c.tag)}: in ${pct(pc)} of the concept's posts (${num(c.count) ?? 0}), ${pct(p)} of all posts; lift ${lift.toFixed(2)}${typeof c.advice === 'string' ? `\n${c.advice}` : ''}`,
    };
  });
  const frequencies = (Array.isArray(r.frequencies) ? r.frequencies : []).filter(isRecord).slice(0, 15)
    .map((f) => ({ label: str(f.tag), value: num(f.count) ?? 0, note: String(num(f.count) ?? 0) }));
  return { concept: str(r.concept), cooccurrence, frequencies };
}

/** Reads an output payload; never throws. */
export function readOutput(payload: unknown): LorabiasOutput {
  if (!isRecord(payload)) {
    return { title: 'Unreadable output', error: `Expected an object, got ${Array.isArray(payload) ? 'an array' : typeof payload}.` };
  }
  const out: LorabiasOutput = { title: typeof payload.title === 'string' && payload.title ? payload.title : 'Output' };
  const problems: string[] = [];
  if (typeof payload.text === 'string') out.text = payload.text;
  if (typeof payload.error === 'string') problems.push(payload.error);
  if (typeof payload.kind === 'string') out.kind = payload.kind;
  const table = payload.table;
  if (isRecord(table) && Array.isArray(table.columns) && Array.isArray(table.rows)) {
    out.table = {
      columns: table.columns.map((c) => String(c)),
      rows: table.rows.filter(Array.isArray).map((row) => (row as unknown[]).map(toCell)),
    };
  } else if (table !== undefined) {
    problems.push('The table in this output has no `columns` and `rows` lists.');
  }
  const data = isRecord(payload.data) ? payload.data : {};
  const artifacts = isRecord(payload.artifacts) ? payload.artifacts : {};
  if (payload.data !== undefined && !isRecord(payload.data)) problems.push(`The output's \`data\` is ${Array.isArray(payload.data) ? 'a list' : typeof payload.data}, not an object.`);
  try {
    if (out.kind === 'preview' || data.rowLabels !== undefined) {
      const grid = readGrid(data, artifacts, problems);
      if (grid) out.grid = grid;
      if (data.type === 'preview') out.preview = readPreview(data);
    }
    if (data.losses !== undefined) {
      const points = readPoints(data.losses, data.lossSteps);
      if (points) {
        out.loss = { points };
        const smoothed = readPoints(data.smoothed, data.lossSteps);
        if (smoothed && smoothed.length === points.length) out.loss.smoothed = smoothed;
      } else problems.push('The losses of this output are not a list of numbers.');
    }
    if (isRecord(payload.progress)) {
      const p = payload.progress;
      const live: LiveProgress = {};
      for (const k of ['step', 'total', 'loss', 'lr', 'its', 'eta_s'] as const) if (num(p[k]) !== undefined) live[k] = p[k] as number;
      out.loss = { points: readPoints(p.history) ?? [], live };
    }
    if (data.type === 'dataset') out.dataset = readDataset(data, payload.images);
    if (data.type === 'analyze') {
      const a = readAnalyze(data, problems);
      if (a) out.analyze = a;
    }
  } catch (err) {
    problems.push(`Part of this output could not be read: ${(err as Error).message}`);
  }
  if (problems.length) out.error = problems.join('\n');
  return out;
}
