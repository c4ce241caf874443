// What a preview cell shows, as typed data: the grid (labels, pictures, which LoRA and weight each row is) and
// its figure tables (pixel leakage, tag leakage). The renderer draws these as they are; the markdown below is
// only the text/markdown fallback, written from the same data with everything that came from files and recipes
// escaped. No layer reads text back.
import { mdCode, mdText } from '../text/markdownEscape';
import type { ShapesLeakage } from './leakage';

export interface GridRowInfo { lora: string; weight: number }

export interface FigureColumn {
  label: string;
  /** Fixed decimals for a number column; a column without it holds text. */
  digits?: number;
}

/** One table of figures: the first columns name things (text), the others are numbers. */
export interface FigureTable {
  /** What the table is: `leakage`, `tagLeakage`… (the renderer marks it, tests find it). */
  id: string;
  /** One sentence: what is measured and which way is better. */
  caption: string;
  columns: FigureColumn[];
  rows: (string | number | null)[][];
}

export interface PreviewData {
  type: 'preview';
  /** One line of plain text: how many images of which LoRAs at which weights. */
  summary: string;
  rowLabels: string[];
  colLabels: string[];
  /** Picture files relative to the cell's artifact folder, '' where missing. */
  images: string[][];
  rows: GridRowInfo[];
  tables: FigureTable[];
  /** Plain-text notes (why a figure is missing, what to add). */
  notes: string[];
}

export interface LeakageFigures { lora: string; ratio: number; intended: number; unintended: number }

export function leakageTable(rows: LeakageFigures[], source?: string): FigureTable {
  return {
    id: 'leakage',
    caption: `Leakage${source ? ` (${source})` : ''}: change outside the edited region per unit of change inside it — lower is better.`,
    columns: [{ label: 'LoRA' }, { label: 'leakage ratio', digits: 3 }, { label: 'intended (inside)', digits: 4 }, { label: 'unintended (outside)', digits: 4 }],
    rows: rows.map((l) => [l.lora, l.ratio, l.intended, l.unintended]),
  };
}

/** tiny-shapes: the shapes read back from each weight's pictures against weight 0 (see leakage.ts `shapesLeakage`). */
export function shapesTable(rows: ShapesLeakage[]): FigureTable {
  return {
    id: 'shapesLeakage',
    caption: 'Shapes read back (tiny-shapes): what each weight changes against weight 0 — a size LoRA should change the size only.',
    columns: [{ label: 'LoRA' }, { label: 'weight' }, { label: 'size change', digits: 3 }, { label: 'colour shift', digits: 3 },
      { label: 'background change', digits: 4 }, { label: 'colour / size', digits: 3 }, { label: 'background / size', digits: 4 }],
    rows: rows.map((l) => [l.lora, l.weight, l.sizeChange, l.colorShift, l.backgroundChange, l.colorPerSize, l.backgroundPerSize]),
  };
}

export function tagLeakageTable(rows: LeakageFigures[], concept: string): FigureTable {
  return {
    id: 'tagLeakage',
    caption: `Tag leakage: change of every other tag's probability per unit of change of “${concept}” — lower is better.`,
    columns: [{ label: 'LoRA' }, { label: 'tag leakage ratio', digits: 3 }, { label: 'concept change', digits: 4 }, { label: "other tags' change", digits: 4 }],
    rows: rows.map((l) => [l.lora, l.ratio, l.intended, l.unintended]),
  };
}

/** A figure as the tables show it: fixed decimals, '—' for what is not a finite number. */
export function formatFigure(value: string | number | null, column: FigureColumn): string {
  if (column.digits === undefined) return value === null ? '' : String(value);
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(column.digits) : '—';
}

/** The fallback markdown of a preview: the summary, each table with its caption, the notes — all escaped. */
export function previewMarkdown(d: Pick<PreviewData, 'summary' | 'tables' | 'notes'>): string {
  const out = [mdText(d.summary)];
  for (const t of d.tables) {
    out.push('', mdText(t.caption), '',
      `| ${t.columns.map((c) => mdText(c.label)).join(' | ')} |`,
      `|${t.columns.map((c) => (c.digits === undefined ? '---' : '---:')).join('|')}|`,
      ...t.rows.map((r) => `| ${t.columns.map((c, i) => (c.digits === undefined ? mdCode(formatFigure(r[i] ?? null, c), { inTable: true }) : formatFigure(r[i] ?? null, c))).join(' | ')} |`));
  }
  for (const n of d.notes) out.push('', mdText(n));
  return out.join('\n');
}
