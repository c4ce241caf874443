// The preview grid: the toolbar and the labelled table of thumbnails (gridTable.ts) and the viewer under it for the
// picked picture (gridViewer.ts), tied together by the selection and the keyboard: arrow keys, Home/End move;
// Enter or Z zooms, S swipes, D shows the difference, Escape closes the viewer.
import { el } from './dom';
import { drawGridTable, drawToolbar } from './gridTable';
import { GridViewer, type Mode } from './gridViewer';
import type { HostLink } from './messages';
import type { GridModel } from './outputModel';

export { swipePair } from './gridViewer';
export { drawHeatMap } from './heatMap';

const MOVES: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
const MODE_KEYS: Record<string, Mode> = { Enter: 'zoom', ' ': 'zoom', z: 'zoom', Z: 'zoom', s: 'swipe', S: 'swipe', d: 'diff', D: 'diff' };

export function drawGrid(doc: Document, grid: GridModel, host: HostLink): HTMLElement {
  const wrap = el(doc, 'div', 'lb-gridview');
  const rows = grid.rowLabels.length;
  const cols = grid.colLabels.length;
  wrap.appendChild(drawToolbar(doc, grid, host));
  const { table, tiles } = drawGridTable(doc, grid);
  wrap.appendChild(table);
  const sel = { r: 0, c: 0 };
  const viewer = new GridViewer(doc, grid, host, () => tiles[sel.r]?.[sel.c]?.focus());
  wrap.appendChild(viewer.element);

  function focusTile(r: number, c: number): void {
    r = Math.max(0, Math.min(rows - 1, r));
    c = Math.max(0, Math.min(cols - 1, c));
    tiles[sel.r]?.[sel.c]?.classList.remove('selected');
    if (tiles[sel.r]?.[sel.c]) tiles[sel.r][sel.c].tabIndex = -1;
    sel.r = r;
    sel.c = c;
    const t = tiles[r]?.[c];
    if (!t) return;
    t.tabIndex = 0;
    t.classList.add('selected');
    t.focus({ preventScroll: viewer.mode !== undefined });
    if (viewer.mode) viewer.show(r, c, viewer.mode);
  }
  const tileOf = (e: Event) => (e.target as Element).closest?.('td.lb-tile') as HTMLElement | null;

  table.addEventListener('click', (e) => {
    const td = tileOf(e);
    if (!td) return;
    focusTile(Number(td.dataset.row), Number(td.dataset.col));
    viewer.show(sel.r, sel.c, viewer.mode && viewer.mode !== 'zoom' ? viewer.mode : 'zoom');
  });
  // focus that arrives some other way (Tab, a screen reader, a test) selects the tile too
  table.addEventListener('focusin', (e) => {
    const td = tileOf(e);
    if (td && (Number(td.dataset.row) !== sel.r || Number(td.dataset.col) !== sel.c)) focusTile(Number(td.dataset.row), Number(td.dataset.col));
  });
  wrap.addEventListener('keydown', (e) => {
    const k = e.key;
    if (e.target instanceof HTMLButtonElement && (k === 'Enter' || k === ' ')) return;
    if (MOVES[k]) focusTile(sel.r + MOVES[k][0], sel.c + MOVES[k][1]);
    else if (k === 'Home') focusTile(e.ctrlKey ? 0 : sel.r, 0);
    else if (k === 'End') focusTile(e.ctrlKey ? rows - 1 : sel.r, cols - 1);
    else if (MODE_KEYS[k]) viewer.show(sel.r, sel.c, MODE_KEYS[k]);
    else if (k === 'Escape' && viewer.mode) {
      viewer.hide();
      tiles[sel.r]?.[sel.c]?.focus();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  });
  tiles[0]?.[0]?.classList.add('selected');
  return wrap;
}
