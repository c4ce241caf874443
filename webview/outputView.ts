// Draws one lorabias output with plain DOM: a heading, any error box, the text (markdown), a table, then what
// the cell kind has — a preview's summary, grid with its viewer and figure tables (leakage, tag leakage), all from
// its data; the loss curve (live while training), the dataset's buckets and thumbnails, the analysis' tag charts. Colours come from the workbench
// theme's --vscode-* variables. Never leaves a blank area: a part that cannot be drawn becomes an error box.
import { drawBars, drawLossCurve } from './charts';
import { drawFigureTable } from './figureTables';
import { drawGrid } from './gridView';
import { drawMarkdown } from './markdown';
import { HostLink } from './messages';
import type { Cell, LorabiasOutput } from './outputModel';
import { ensureStyle } from './style';

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function cellText(value: Cell): string {
  return value === null ? '' : String(value);
}

function drawTable(doc: Document, table: NonNullable<LorabiasOutput['table']>): HTMLElement {
  if (table.rows.length === 0) return el(doc, 'p', `No rows (${table.columns.join(', ') || 'no columns'}).`, 'empty');
  const t = el(doc, 'table');
  const head = t.createTHead().insertRow();
  for (const column of table.columns) head.appendChild(el(doc, 'th', column));
  const body = t.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    const width = Math.max(row.length, table.columns.length);
    for (let i = 0; i < width; i++) {
      const value = row[i] ?? null;
      tr.appendChild(el(doc, 'td', cellText(value), typeof value === 'number' ? 'num' : undefined));
    }
  }
  return t;
}

function errorBox(doc: Document, message: string): HTMLElement {
  const error = el(doc, 'div', message, 'error');
  error.setAttribute('role', 'alert');
  return error;
}


/** Replaces `host`'s content with the drawing of `output`. */
export function drawOutput(host: HTMLElement, output: LorabiasOutput, link: HostLink = new HostLink({})): void {
  const doc = host.ownerDocument;
  ensureStyle(host);
  const box = el(doc, 'div', undefined, 'lorabias-output');
  if (output.kind) box.dataset.kind = output.kind;
  box.appendChild(el(doc, 'h3', output.title));
  const part = (name: string, draw: () => void) => {
    try {
      draw();
    } catch (err) {
      box.appendChild(errorBox(doc, `The ${name} could not be drawn: ${(err as Error).message}`));
    }
  };
  if (output.error) box.appendChild(errorBox(doc, output.error));
  // a preview is drawn from its data alone (its markdown is the fallback for other viewers)
  const preview = output.preview;
  if (preview?.summary) box.appendChild(el(doc, 'p', preview.summary, 'lb-summary'));
  // a live progress output's text is the progress line the curve draws anyway
  if (output.text && !preview && !output.loss?.live) part('text', () => drawMarkdown(doc, output.text!, box));
  if (output.table) box.appendChild(drawTable(doc, output.table));
  if (output.loss) part('loss curve', () => box.appendChild(drawLossCurve(doc, output.loss!)));
  if (output.grid) part('grid', () => box.appendChild(drawGrid(doc, output.grid!, link)));
  for (const t of preview?.tables ?? []) part(`${t.id || 'figure'} table`, () => box.appendChild(drawFigureTable(doc, t)));
  for (const n of preview?.notes ?? []) box.appendChild(el(doc, 'p', n, 'lb-note'));
  if (output.dataset) {
    part('dataset charts', () => {
      const d = output.dataset!;
      if (d.thumbs.length) {
        box.appendChild(el(doc, 'div', `Sample of the images (${d.thumbs.length})`, 'lb-section'));
        const strip = box.appendChild(el(doc, 'div', undefined, 'lb-thumbs'));
        for (const t of d.thumbs) {
          const img = strip.appendChild(el(doc, 'img'));
          img.src = t.src;
          img.alt = t.caption;
          img.title = t.caption;
        }
      }
      if (d.buckets.length) box.appendChild(drawBars(doc, 'Aspect-ratio buckets (images per bucket)', d.buckets));
    });
  }
  if (output.analyze) {
    part('tag charts', () => {
      const a = output.analyze!;
      if (a.cooccurrence.length) {
        box.appendChild(drawBars(doc, `Tags that travel with ${a.concept}: P(tag | concept), tick = P(tag) over all posts`, a.cooccurrence, { max: 1, markerLabel: 'P(tag) over all posts' }));
      } else box.appendChild(el(doc, 'p', 'No tag travels with the concept often enough to report.', 'empty'));
      if (a.frequencies.length) box.appendChild(drawBars(doc, 'Most frequent tags', a.frequencies));
    });
  }
  if (box.childElementCount === 1) box.appendChild(el(doc, 'p', 'This output has nothing to show yet.', 'empty'));
  host.replaceChildren(box);
}
