// Draws one lorabias output with plain DOM: a heading, then any paragraph, table and error box. Colours come
// from the workbench theme's --vscode-* variables. Never leaves a blank area.
import type { Cell, LorabiasOutput } from './outputModel';

const STYLE_ID = 'lorabias-output-style';

const CSS = `
.lorabias-output { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 4px 0; }
.lorabias-output h3 { margin: 0 0 6px; font-size: 1.1em; font-weight: 600; }
.lorabias-output p { margin: 0 0 8px; white-space: pre-wrap; }
.lorabias-output table { border-collapse: collapse; margin: 0 0 8px; }
.lorabias-output th, .lorabias-output td { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); padding: 2px 8px; text-align: left; }
.lorabias-output th { background: var(--vscode-editorWidget-background, transparent); font-weight: 600; }
.lorabias-output td.num { text-align: right; font-variant-numeric: tabular-nums; }
.lorabias-output .empty { opacity: .7; font-style: italic; }
.lorabias-output .error { border-left: 3px solid var(--vscode-errorForeground, #f14c4c); background: var(--vscode-inputValidation-errorBackground, rgba(241,76,76,.1)); color: var(--vscode-errorForeground, #f14c4c); padding: 6px 10px; white-space: pre-wrap; }
`;

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function ensureStyle(doc: Document, host: HTMLElement): void {
  // outputs may live in a shadow root; put the style sheet next to them in whichever root holds them
  const root = host.getRootNode() as Document | ShadowRoot;
  const holder = 'head' in root && root.head ? root.head : root;
  if ((holder as ParentNode).querySelector?.(`#${STYLE_ID}`)) return;
  const style = el(doc, 'style', CSS);
  style.id = STYLE_ID;
  holder.appendChild(style);
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

/** Replaces `host`'s content with the drawing of `output`. */
export function drawOutput(host: HTMLElement, output: LorabiasOutput): void {
  const doc = host.ownerDocument;
  ensureStyle(doc, host);
  const box = el(doc, 'div', undefined, 'lorabias-output');
  box.appendChild(el(doc, 'h3', output.title));
  if (output.text) box.appendChild(el(doc, 'p', output.text));
  if (output.table) box.appendChild(drawTable(doc, output.table));
  if (output.error) {
    const error = el(doc, 'div', output.error, 'error');
    error.setAttribute('role', 'alert');
    box.appendChild(error);
  }
  if (!output.text && !output.table && !output.error) box.appendChild(el(doc, 'p', 'This output has nothing to show yet.', 'empty'));
  host.replaceChildren(box);
}
