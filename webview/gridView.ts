// The preview grid: a labelled table of the embedded thumbnails (rows: LoRA × weight, columns: prompt × seed)
// and a viewer under it for the picked image — at full size (asked of the extension host), as a before/after
// swipe against weight 0 of the same seed, or as a difference heat map. Keyboard: arrow keys, Home/End move;
// Enter or Z zooms, S swipes, D shows the difference, Escape closes the viewer.
import type { GridModel } from './outputModel';
import type { HostLink } from './messages';

type Mode = 'zoom' | 'swipe' | 'diff';

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The row showing weight 0 of the same LoRA as `r`, and the row to compare with it (`r` itself unless it is 0). */
export function swipePair(grid: GridModel, r: number): { before: number; after: number } | undefined {
  const row = grid.rows[r];
  if (!row) return undefined;
  const same = grid.rows.map((x, i) => (x && x.lora === row.lora ? i : -1)).filter((i) => i >= 0);
  const before = same.find((i) => grid.rows[i]!.weight === 0);
  if (before === undefined) return undefined;
  if (r !== before) return { before, after: r };
  const others = same.filter((i) => i !== before);
  if (!others.length) return undefined;
  // weight 0 picked: compare with the strongest positive weight (a slider's "+1"), else the strongest
  const pick = [...others].sort((a, b) => grid.rows[b]!.weight - grid.rows[a]!.weight)[0];
  return { before, after: pick };
}

const STOPS: [number, number, number][] = [[0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191]];

/** Magma-like colour for t in [0, 1]. */
function heat(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

async function decoded(doc: Document, src: string): Promise<HTMLImageElement> {
  const img = doc.createElement('img');
  img.src = src;
  await img.decode();
  return img;
}

/** Draws |after − before| (mean over RGB) into `canvas`, scaled so the largest change is brightest. */
export async function drawHeatMap(doc: Document, canvas: HTMLCanvasElement, beforeSrc: string, afterSrc: string): Promise<{ mean: number; max: number }> {
  const [a, b] = await Promise.all([decoded(doc, beforeSrc), decoded(doc, afterSrc)]);
  const w = b.naturalWidth;
  const h = b.naturalHeight;
  const read = (img: HTMLImageElement) => {
    const c = doc.createElement('canvas');
    c.width = w;
    c.height = h;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, w, h);
    return g.getImageData(0, 0, w, h).data;
  };
  const pa = read(a);
  const pb = read(b);
  const diff = new Float32Array(w * h);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < diff.length; i++) {
    const d = (Math.abs(pa[4 * i] - pb[4 * i]) + Math.abs(pa[4 * i + 1] - pb[4 * i + 1]) + Math.abs(pa[4 * i + 2] - pb[4 * i + 2])) / (3 * 255);
    diff[i] = d;
    sum += d;
    if (d > max) max = d;
  }
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d')!;
  const out = g.createImageData(w, h);
  const scale = max > 0 ? 1 / max : 0;
  for (let i = 0; i < diff.length; i++) {
    const [r, gg, bb] = heat(diff[i] * scale);
    out.data[4 * i] = r;
    out.data[4 * i + 1] = gg;
    out.data[4 * i + 2] = bb;
    out.data[4 * i + 3] = 255;
  }
  g.putImageData(out, 0, 0);
  const mean = sum / diff.length;
  canvas.dataset.mean = mean.toFixed(5);
  canvas.dataset.max = max.toFixed(5);
  return { mean, max };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

export function drawGrid(doc: Document, grid: GridModel, host: HostLink): HTMLElement {
  const wrap = el(doc, 'div', 'lb-gridview');
  const rows = grid.rowLabels.length;
  const cols = grid.colLabels.length;
  const src = (r: number, c: number) => grid.thumbs[r]?.[c] ?? '';
  const label = (r: number, c: number) => `${grid.rowLabels[r]} · ${grid.colLabels[c].replace(/\n/g, ' · ')}`;

  // actions on the composed grid file
  const bar = wrap.appendChild(el(doc, 'div', 'lb-toolbar'));
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

  // the labelled grid
  const table = wrap.appendChild(el(doc, 'table', 'lb-grid'));
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
  for (let r = 0; r < rows; r++) {
    const tr = body.insertRow();
    const th = tr.appendChild(el(doc, 'th', 'lb-row', grid.rowLabels[r]));
    th.scope = 'row';
    if (grid.rows[r]?.weight === 0) th.classList.add('lb-base');
    tiles.push([]);
    for (let c = 0; c < cols; c++) {
      const td = tr.appendChild(el(doc, 'td', 'lb-tile'));
      td.setAttribute('role', 'gridcell');
      td.tabIndex = r === 0 && c === 0 ? 0 : -1;
      td.dataset.row = String(r);
      td.dataset.col = String(c);
      if (src(r, c)) {
        const img = td.appendChild(el(doc, 'img'));
        img.src = src(r, c);
        img.alt = label(r, c);
        img.draggable = false;
      } else td.appendChild(el(doc, 'span', 'lb-missing', grid.paths[r]?.[c] ? 'no thumbnail' : 'no image'));
      td.title = label(r, c);
      tiles[r].push(td);
    }
  }

  // the viewer
  const viewer = wrap.appendChild(el(doc, 'div', 'lb-viewer'));
  viewer.hidden = true;
  viewer.setAttribute('role', 'region');
  const vbar = viewer.appendChild(el(doc, 'div', 'lb-viewer-bar'));
  const vtitle = vbar.appendChild(el(doc, 'span', 'lb-viewer-title'));
  const modeButtons = new Map<Mode, HTMLButtonElement>();
  for (const [mode, text] of [['zoom', 'Full size'], ['swipe', 'Swipe vs weight 0'], ['diff', 'Difference']] as const) {
    const b = vbar.appendChild(el(doc, 'button', 'lb-button secondary', text));
    b.type = 'button';
    b.dataset.mode = mode;
    b.addEventListener('click', () => show(sel.r, sel.c, mode));
    modeButtons.set(mode, b);
  }
  const close = vbar.appendChild(el(doc, 'button', 'lb-button secondary lb-close', '×'));
  close.type = 'button';
  close.setAttribute('aria-label', 'Close the viewer');
  close.addEventListener('click', () => hide());
  const stage = viewer.appendChild(el(doc, 'div', 'lb-stage'));
  const note = viewer.appendChild(el(doc, 'div', 'lb-viewer-note'));

  const sel = { r: 0, c: 0 };
  let mode: Mode | undefined;
  let token = 0;

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
    t.focus({ preventScroll: mode !== undefined });
    if (mode) show(r, c, mode);
  }

  function hide(): void {
    mode = undefined;
    token++;
    viewer.hidden = true;
    stage.replaceChildren();
    tiles[sel.r]?.[sel.c]?.focus();
  }

  function full(img: HTMLImageElement, r: number, c: number, my: number): void {
    const p = grid.paths[r]?.[c];
    if (!p) return;
    void host.fullImage(p).then((uri) => {
      if (uri && my === token) {
        img.src = uri;
        img.dataset.full = 'true';
      }
    });
  }

  function show(r: number, c: number, m: Mode): void {
    const my = ++token;
    mode = m;
    viewer.hidden = false;
    for (const [k, b] of modeButtons) b.setAttribute('aria-pressed', String(k === m));
    const pair = swipePair(grid, r);
    const canCompare = Boolean(pair && src(pair.before, c) && src(pair.after, c));
    modeButtons.get('swipe')!.disabled = !canCompare;
    modeButtons.get('diff')!.disabled = !canCompare;
    note.textContent = '';
    stage.replaceChildren();
    viewer.dataset.mode = m;
    if (m !== 'zoom' && !canCompare) {
      note.textContent = pair ? 'One of the two images is missing.' : 'Nothing to compare with: add weight 0 to the preview\'s `weights:`.';
      m = 'zoom';
      viewer.dataset.mode = m;
    }
    if (m === 'zoom') {
      vtitle.textContent = label(r, c);
      viewer.setAttribute('aria-label', `Image ${label(r, c)}`);
      const img = stage.appendChild(el(doc, 'img', 'lb-full'));
      img.alt = label(r, c);
      img.src = src(r, c);
      img.addEventListener('load', () => {
        // tiny pictures (32-pixel tiny-shapes samples) are shown enlarged, pixels kept sharp
        if (img.naturalWidth && img.naturalWidth < 256) img.style.width = `${img.naturalWidth * Math.ceil(256 / img.naturalWidth)}px`;
        else img.style.width = '';
      });
      full(img, r, c, my);
      if (!host.available) note.textContent = 'Showing the thumbnail: full size needs the extension (use Open grid in VS Code).';
      return;
    }
    const { before, after } = pair!;
    vtitle.textContent = `${grid.rowLabels[after]} vs ${grid.rowLabels[before]} · ${grid.colLabels[c].replace(/\n/g, ' · ')}`;
    viewer.setAttribute('aria-label', vtitle.textContent);
    if (m === 'swipe') {
      const box = stage.appendChild(el(doc, 'div', 'lb-swipe'));
      const a = box.appendChild(el(doc, 'img', 'lb-before'));
      a.src = src(before, c);
      a.alt = label(before, c);
      const b = box.appendChild(el(doc, 'img', 'lb-after'));
      b.src = src(after, c);
      b.alt = label(after, c);
      const line = box.appendChild(el(doc, 'div', 'lb-swipe-line'));
      box.appendChild(el(doc, 'span', 'lb-tag left', grid.rowLabels[after]));
      box.appendChild(el(doc, 'span', 'lb-tag right', grid.rowLabels[before]));
      const range = stage.appendChild(el(doc, 'input', 'lb-range'));
      range.type = 'range';
      range.min = '0';
      range.max = '100';
      range.value = '50';
      range.setAttribute('aria-label', `Swipe between ${grid.rowLabels[after]} (left) and ${grid.rowLabels[before]} (right)`);
      const set = (v: number) => {
        v = Math.max(0, Math.min(100, v));
        range.value = String(v);
        b.style.clipPath = `inset(0 ${100 - v}% 0 0)`;
        line.style.left = `${v}%`;
        box.dataset.position = String(v);
      };
      set(50);
      range.addEventListener('input', () => set(Number(range.value)));
      range.addEventListener('keydown', (e) => e.stopPropagation());
      const drag = (e: PointerEvent) => {
        const rect = box.getBoundingClientRect();
        set(Math.round((100 * (e.clientX - rect.left)) / (rect.width || 1)));
      };
      a.draggable = false;
      b.draggable = false;
      box.addEventListener('dragstart', (e) => e.preventDefault());
      box.addEventListener('pointerdown', (e) => { box.setPointerCapture?.(e.pointerId); drag(e); e.preventDefault(); });
      box.addEventListener('pointermove', (e) => { if (e.buttons & 1) drag(e); });
      full(a, before, c, my);
      full(b, after, c, my);
      note.textContent = `Left of the line: ${grid.rowLabels[after]}; right: ${grid.rowLabels[before]} (same seed). Drag, or use the slider.`;
      return;
    }
    // difference heat map, from the thumbnails (same size, same seed)
    const box = stage.appendChild(el(doc, 'div', 'lb-diff'));
    const canvas = box.appendChild(el(doc, 'canvas', 'lb-heat'));
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Difference between ${grid.rowLabels[after]} and ${grid.rowLabels[before]}`);
    const legend = box.appendChild(el(doc, 'div', 'lb-heat-legend'));
    legend.appendChild(el(doc, 'span', 'lb-heat-scale'));
    const legendText = legend.appendChild(el(doc, 'span', undefined, 'computing…'));
    drawHeatMap(doc, canvas, src(before, c), src(after, c)).then(({ mean, max }) => {
      if (my !== token) return;
      legendText.textContent = `black: unchanged · brightest: ${pct(max)} change · mean change ${pct(mean)} (of the full pixel range)`;
      viewer.dataset.ready = 'true';
    }, (err: Error) => {
      if (my !== token) return;
      legendText.textContent = '';
      const e = box.appendChild(el(doc, 'div', 'error', `The difference could not be computed: ${err.message}`));
      e.setAttribute('role', 'alert');
    });
  }

  table.addEventListener('click', (e) => {
    const td = (e.target as Element).closest?.('td.lb-tile') as HTMLElement | null;
    if (!td) return;
    focusTile(Number(td.dataset.row), Number(td.dataset.col));
    show(sel.r, sel.c, mode && mode !== 'zoom' ? mode : 'zoom');
  });
  // focus that arrives some other way (Tab, a screen reader, a test) selects the tile too
  table.addEventListener('focusin', (e) => {
    const td = (e.target as Element).closest?.('td.lb-tile') as HTMLElement | null;
    if (td && (Number(td.dataset.row) !== sel.r || Number(td.dataset.col) !== sel.c)) focusTile(Number(td.dataset.row), Number(td.dataset.col));
  });
  wrap.addEventListener('keydown', (e) => {
    const k = e.key;
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.target instanceof HTMLButtonElement && (k === 'Enter' || k === ' ')) return;
    if (moves[k]) focusTile(sel.r + moves[k][0], sel.c + moves[k][1]);
    else if (k === 'Home') focusTile(e.ctrlKey ? 0 : sel.r, 0);
    else if (k === 'End') focusTile(e.ctrlKey ? rows - 1 : sel.r, cols - 1);
    else if (k === 'Enter' || k === ' ' || k === 'z' || k === 'Z') show(sel.r, sel.c, 'zoom');
    else if (k === 's' || k === 'S') show(sel.r, sel.c, 'swipe');
    else if (k === 'd' || k === 'D') show(sel.r, sel.c, 'diff');
    else if (k === 'Escape' && mode) hide();
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  tiles[0]?.[0]?.classList.add('selected');
  return wrap;
}
