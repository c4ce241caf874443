// Charts as SVG and plain DOM, coloured by the workbench theme (CSS classes in style.ts): the loss curve (raw
// and smoothed, live while training) and horizontal bar charts (tags, buckets).
import type { Bar, LiveProgress, LossModel } from './outputModel';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(doc: Document, tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const node = doc.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
}

/** TensorBoard-style exponential moving average, debiased at the start. */
export function ema(values: number[], weight = 0.9): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - Math.pow(weight, n));
  });
}

function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : a >= 0.001 ? x.toPrecision(3) : x.toExponential(1);
}

function progressLine(live: LiveProgress): string {
  const parts: string[] = [];
  if (live.step !== undefined && live.total) parts.push(`step ${live.step}/${live.total}`);
  if (live.loss !== undefined) parts.push(`loss ${live.loss.toFixed(4)}`);
  if (live.lr !== undefined) parts.push(`lr ${live.lr.toExponential(1)}`);
  if (live.its !== undefined) parts.push(`${live.its.toFixed(2)} it/s`);
  if (live.eta_s !== undefined) parts.push(`ETA ${Math.round(live.eta_s)} s`);
  return parts.join(' · ');
}

/** The loss curve: raw points faint, the smoothed curve strong; with a progress bar when live. */
export function drawLossCurve(doc: Document, model: LossModel): HTMLElement {
  const box = doc.createElement('div');
  box.className = 'lb-loss';
  if (model.live) {
    const { step, total } = model.live;
    const bar = box.appendChild(doc.createElement('div'));
    bar.className = 'lb-progress';
    bar.setAttribute('role', 'progressbar');
    if (step !== undefined && total) {
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', String(total));
      bar.setAttribute('aria-valuenow', String(step));
      (bar.appendChild(doc.createElement('div')) as HTMLElement).style.width = `${Math.min(100, (100 * step) / total)}%`;
    } else bar.classList.add('indeterminate');
    const line = box.appendChild(doc.createElement('div'));
    line.className = 'lb-progress-text';
    line.textContent = progressLine(model.live) || 'working…';
  }
  const pts = model.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length < 2) {
    if (!model.live) {
      const p = box.appendChild(doc.createElement('p'));
      p.className = 'empty';
      p.textContent = pts.length ? `One loss value: ${fmt(pts[0][1])}.` : 'No loss values recorded.';
    }
    return box;
  }
  const smoothed = model.smoothed && model.smoothed.length === model.points.length ? model.smoothed.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) : ema(pts.map((p) => p[1])).map((y, i) => [pts[i][0], y] as [number, number]);
  const W = 560;
  const H = 180;
  const m = { l: 52, r: 12, t: 10, b: 26 };
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = model.live?.total && model.live.total > Math.max(...xs) ? model.live.total : Math.max(...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-12) { y0 -= 0.5 * (Math.abs(y0) || 1); y1 += 0.5 * (Math.abs(y1) || 1); }
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => m.t + (1 - (y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const chart = svg(doc, 'svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'lb-chart' });
  const last = smoothed[smoothed.length - 1][1];
  svg(doc, 'title', {}, chart).textContent = `Loss over ${pts.length} points, from ${fmt(ys[0])} to ${fmt(ys[ys.length - 1])} (smoothed ${fmt(last)})`;
  for (let k = 0; k <= 3; k++) {
    const y = y0 + ((y1 - y0) * k) / 3;
    svg(doc, 'line', { x1: m.l, x2: W - m.r, y1: sy(y), y2: sy(y), class: 'lb-gridline' }, chart);
    svg(doc, 'text', { x: m.l - 6, y: sy(y) + 4, 'text-anchor': 'end', class: 'lb-axis' }, chart).textContent = fmt(y);
  }
  svg(doc, 'text', { x: m.l, y: H - 6, 'text-anchor': 'start', class: 'lb-axis' }, chart).textContent = `step ${Math.round(x0)}`;
  svg(doc, 'text', { x: W - m.r, y: H - 6, 'text-anchor': 'end', class: 'lb-axis' }, chart).textContent = `${Math.round(x1)}`;
  const path = (p: [number, number][]) => p.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  svg(doc, 'path', { d: path(pts), class: 'lb-raw' }, chart);
  svg(doc, 'path', { d: path(smoothed), class: 'lb-smooth' }, chart);
  box.appendChild(chart);
  const legend = box.appendChild(doc.createElement('div'));
  legend.className = 'lb-legend';
  const done = Math.round(Math.max(...xs) - x0 + 1);
  legend.textContent = `loss (faint) and its moving average: ${fmt(ys[0])} → ${fmt(last)} over ${done}${model.live?.total ? ` of ${model.live.total}` : ''} steps`;
  return box;
}

/** A horizontal bar chart; `marker` draws a tick (e.g. P(tag) over all posts beside P(tag | concept)). */
export function drawBars(doc: Document, title: string, bars: Bar[], opts: { max?: number; markerLabel?: string } = {}): HTMLElement {
  const box = doc.createElement('figure');
  box.className = 'lb-bars';
  const caption = box.appendChild(doc.createElement('figcaption'));
  caption.textContent = title;
  const max = opts.max ?? Math.max(1e-12, ...bars.map((b) => Math.max(b.value, b.marker ?? 0)));
  for (const b of bars) {
    const row = box.appendChild(doc.createElement('div'));
    row.className = `lb-bar-row${b.flag ? ` flag-${b.flag}` : ''}`;
    if (b.title) row.title = b.title;
    const label = row.appendChild(doc.createElement('span'));
    label.className = 'lb-bar-label';
    label.textContent = b.label;
    const track = row.appendChild(doc.createElement('span'));
    track.className = 'lb-bar-track';
    const fill = track.appendChild(doc.createElement('span'));
    fill.className = 'lb-bar-fill';
    fill.style.width = `${Math.max(0, Math.min(100, (100 * b.value) / max))}%`;
    if (b.marker !== undefined) {
      const tick = track.appendChild(doc.createElement('span'));
      tick.className = 'lb-bar-marker';
      tick.style.left = `${Math.max(0, Math.min(100, (100 * b.marker) / max))}%`;
      if (opts.markerLabel) tick.title = opts.markerLabel;
    }
    const note = row.appendChild(doc.createElement('span'));
    note.className = 'lb-bar-note';
    note.textContent = (b.note ?? String(b.value)) + (b.flag ? ` · ${b.flag}` : '');
  }
  return box;
}
