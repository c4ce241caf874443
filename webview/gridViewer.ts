// The viewer under the preview grid, for the picked picture: at full size (asked of the extension host), as a
// before/after swipe against weight 0 of the same seed, or as a difference heat map.
import { el } from './dom';
import { tileLabel } from './gridTable';
import { drawHeatMap } from './heatMap';
import type { HostLink } from './messages';
import type { GridModel } from './outputModel';

export type Mode = 'zoom' | 'swipe' | 'diff';

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

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

export class GridViewer {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly note: HTMLElement;
  private readonly modeButtons = new Map<Mode, HTMLButtonElement>();
  private current: Mode | undefined;
  /** Counts shows: a late full-size reply or heat map for an earlier show is dropped. */
  private token = 0;
  private at = { r: 0, c: 0 };

  constructor(private readonly doc: Document, private readonly grid: GridModel, private readonly host: HostLink, onClose: () => void) {
    this.element = el(doc, 'div', 'lb-viewer');
    this.element.hidden = true;
    this.element.setAttribute('role', 'region');
    const bar = this.element.appendChild(el(doc, 'div', 'lb-viewer-bar'));
    this.title = bar.appendChild(el(doc, 'span', 'lb-viewer-title'));
    for (const [mode, text] of [['zoom', 'Full size'], ['swipe', 'Swipe vs weight 0'], ['diff', 'Difference']] as const) {
      const b = bar.appendChild(el(doc, 'button', 'lb-button secondary', text));
      b.type = 'button';
      b.dataset.mode = mode;
      b.addEventListener('click', () => this.show(this.at.r, this.at.c, mode));
      this.modeButtons.set(mode, b);
    }
    const close = bar.appendChild(el(doc, 'button', 'lb-button secondary lb-close', '×'));
    close.type = 'button';
    close.setAttribute('aria-label', 'Close the viewer');
    close.addEventListener('click', () => { this.hide(); onClose(); });
    this.stage = this.element.appendChild(el(doc, 'div', 'lb-stage'));
    this.note = this.element.appendChild(el(doc, 'div', 'lb-viewer-note'));
  }

  /** The mode shown, or undefined while the viewer is closed. */
  get mode(): Mode | undefined {
    return this.current;
  }

  hide(): void {
    this.current = undefined;
    this.token++;
    this.element.hidden = true;
    this.stage.replaceChildren();
  }

  show(r: number, c: number, m: Mode): void {
    const my = ++this.token;
    this.at = { r, c };
    this.current = m;
    this.element.hidden = false;
    for (const [k, b] of this.modeButtons) b.setAttribute('aria-pressed', String(k === m));
    const pair = swipePair(this.grid, r);
    const canCompare = Boolean(pair && this.src(pair.before, c) && this.src(pair.after, c));
    this.modeButtons.get('swipe')!.disabled = !canCompare;
    this.modeButtons.get('diff')!.disabled = !canCompare;
    this.note.textContent = '';
    this.stage.replaceChildren();
    this.element.dataset.mode = m;
    if (m !== 'zoom' && !canCompare) {
      this.note.textContent = pair ? 'One of the two images is missing.' : 'Nothing to compare with: add weight 0 to the preview\'s `weights:`.';
      m = 'zoom';
      this.element.dataset.mode = m;
    }
    if (m === 'zoom') return this.zoom(r, c, my);
    const { before, after } = pair!;
    this.title.textContent = `${this.grid.rowLabels[after]} vs ${this.grid.rowLabels[before]} · ${this.grid.colLabels[c].replace(/\n/g, ' · ')}`;
    this.element.setAttribute('aria-label', this.title.textContent);
    if (m === 'swipe') this.swipe(before, after, c, my);
    else this.difference(before, after, c, my);
  }

  private src(r: number, c: number): string {
    return this.grid.thumbs[r]?.[c] ?? '';
  }

  /** Replaces the thumbnail in `img` by the full-size picture, when the host sends it in time. */
  private full(img: HTMLImageElement, r: number, c: number, my: number): void {
    const p = this.grid.paths[r]?.[c];
    if (!p) return;
    void this.host.fullImage(p).then((uri) => {
      if (uri && my === this.token) {
        img.src = uri;
        img.dataset.full = 'true';
      }
    });
  }

  private zoom(r: number, c: number, my: number): void {
    const label = tileLabel(this.grid, r, c);
    this.title.textContent = label;
    this.element.setAttribute('aria-label', `Image ${label}`);
    const img = this.stage.appendChild(el(this.doc, 'img', 'lb-full'));
    img.alt = label;
    img.src = this.src(r, c);
    img.addEventListener('load', () => {
      // tiny pictures (32-pixel tiny-shapes samples) are shown enlarged, pixels kept sharp
      if (img.naturalWidth && img.naturalWidth < 256) img.style.width = `${img.naturalWidth * Math.ceil(256 / img.naturalWidth)}px`;
      else img.style.width = '';
    });
    this.full(img, r, c, my);
    if (!this.host.available) this.note.textContent = 'Showing the thumbnail: full size needs the extension (use Open grid in VS Code).';
  }

  private swipe(before: number, after: number, c: number, my: number): void {
    const { doc, grid } = this;
    const box = this.stage.appendChild(el(doc, 'div', 'lb-swipe'));
    const a = box.appendChild(el(doc, 'img', 'lb-before'));
    a.src = this.src(before, c);
    a.alt = tileLabel(grid, before, c);
    const b = box.appendChild(el(doc, 'img', 'lb-after'));
    b.src = this.src(after, c);
    b.alt = tileLabel(grid, after, c);
    const line = box.appendChild(el(doc, 'div', 'lb-swipe-line'));
    box.appendChild(el(doc, 'span', 'lb-tag left', grid.rowLabels[after]));
    box.appendChild(el(doc, 'span', 'lb-tag right', grid.rowLabels[before]));
    const range = this.stage.appendChild(el(doc, 'input', 'lb-range'));
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
    this.full(a, before, c, my);
    this.full(b, after, c, my);
    this.note.textContent = `Left of the line: ${grid.rowLabels[after]}; right: ${grid.rowLabels[before]} (same seed). Drag, or use the slider.`;
  }

  /** The difference heat map, from the thumbnails (same size, same seed). */
  private difference(before: number, after: number, c: number, my: number): void {
    const { doc, grid } = this;
    const box = this.stage.appendChild(el(doc, 'div', 'lb-diff'));
    const canvas = box.appendChild(el(doc, 'canvas', 'lb-heat'));
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Difference between ${grid.rowLabels[after]} and ${grid.rowLabels[before]}`);
    const legend = box.appendChild(el(doc, 'div', 'lb-heat-legend'));
    legend.appendChild(el(doc, 'span', 'lb-heat-scale'));
    const legendText = legend.appendChild(el(doc, 'span', undefined, 'computing…'));
    drawHeatMap(doc, canvas, this.src(before, c), this.src(after, c)).then(({ mean, max }) => {
      if (my !== this.token) return;
      legendText.textContent = `black: unchanged · brightest: ${pct(max)} change · mean change ${pct(mean)} (of the full pixel range)`;
      this.element.dataset.ready = 'true';
    }, (err: Error) => {
      if (my !== this.token) return;
      legendText.textContent = '';
      const e = box.appendChild(el(doc, 'div', 'error', `The difference could not be computed: ${err.message}`));
      e.setAttribute('role', 'alert');
    });
  }
}
