// The preview grid's two static parts: the toolbar of actions on the composed grid file, and the labelled table
// of thumbnails (rows: LoRA × weight, columns: prompt × seed), one focusable tile per picture.
import { el } from './dom';
import type { HostLink } from './messages';
import type { GridModel } from './outputModel';

/** "size +1 · seed 2 · prompt": what a tile shows. */
export const tileLabel = (grid: GridModel, r: number, c: number): string => `${grid.rowLabels[r]} · ${grid.colLabels[c].replace(/\n/g, ' · ')}`;

export function drawToolbar(doc: Document, grid: GridModel, host: HostLink): HTMLElement {
  const bar = el(doc, 'div', 'lb-toolbar');
  const open = bar.appendChild(el(doc, 'button', 'lb-button', 'Open grid'));
  const reveal = bar.appendChild(el(doc, 'button', 'lb-button secondary', 'Reveal in file explorer'));
  for (const [b, act] of [[open, 'open'], [reveal, 'reveal']] as const) {
    b.type = 'button';
    b.dataset.action = act;
    if (!grid.gridPath || !host.available) {
      b.disabled = true;
      b.title = grid.gridPath ? 'Not available here (the notebook gives this output no channel to the extension).' : 'This preview has no grid file.';
    } else {
      b.title = grid.gridPath;
      b.addEventListener('click', () => (act === 'open' ? host.openGrid(grid.gridPath!) : host.revealGrid(grid.gridPath!)));
    }
  }
  bar.appendChild(el(doc, 'span', 'lb-hint', 'Click an image to zoom · arrow keys move · S swipe against weight 0 · D difference · Esc closes'));
  return bar;
}

/** The labelled table, and its tiles by row and column. */
export function drawGridTable(doc: Document, grid: GridModel): { table: HTMLTableElement; tiles: HTMLTableCellElement[][] } {
  const table = el(doc, 'table', 'lb-grid');
  table.setAttribute('role', 'grid');
  table.setAttribute('aria-label', 'Preview grid');
  const head = table.createTHead().insertRow();
  head.appendChild(el(doc, 'th', 'lb-corner'));
  for (const l of grid.colLabels) {
    const th = head.appendChild(el(doc, 'th', 'lb-col'));
    th.scope = 'col';
    const [a, ...rest] = l.split('\n');
    th.appendChild(el(doc, 'div', 'lb-col-main', a));
    if (rest.length) th.appendChild(el(doc, 'div', 'lb-col-sub', rest.join(' '))).title = rest.join(' ');
  }
  const body = table.createTBody();
  const tiles: HTMLTableCellElement[][] = [];
  grid.rowLabels.forEach((rowLabel, r) => {
    const tr = body.insertRow();
    const th = tr.appendChild(el(doc, 'th', 'lb-row', rowLabel));
    th.scope = 'row';
    if (grid.rows[r]?.weight === 0) th.classList.add('lb-base');
    tiles.push(grid.colLabels.map((_, c) => tr.appendChild(drawTile(doc, grid, r, c))));
  });
  return { table, tiles };
}

function drawTile(doc: Document, grid: GridModel, r: number, c: number): HTMLTableCellElement {
  const td = el(doc, 'td', 'lb-tile');
  td.setAttribute('role', 'gridcell');
  td.tabIndex = r === 0 && c === 0 ? 0 : -1;
  td.dataset.row = String(r);
  td.dataset.col = String(c);
  const src = grid.thumbs[r]?.[c] ?? '';
  if (src) {
    const img = td.appendChild(el(doc, 'img'));
    img.src = src;
    img.alt = tileLabel(grid, r, c);
    img.draggable = false;
  } else td.appendChild(el(doc, 'span', 'lb-missing', grid.paths[r]?.[c] ? 'no thumbnail' : 'no image'));
  td.title = tileLabel(grid, r, c);
  return td;
}
