// The difference heat map of two pictures of the same seed: |after − before| (mean over RGB), scaled so the
// largest change is brightest, in a magma-like palette.
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
