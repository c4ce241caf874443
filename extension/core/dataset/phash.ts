// Perceptual hashes and duplicate groups. The hash is the classic DCT pHash: the image (flattened onto white)
// is shrunk to 32×32 grey, its 2-D DCT taken, and each of the 8×8 lowest frequencies becomes one bit (above
// the median of those 64 or not). Resizing, re-encoding and mild colour changes move few bits; different
// pictures differ in about half of them. pHash ignores overall colour, so near duplicates must also have
// close mean colours.
import type { DuplicateGroup } from './types';

export const HASH_SIZE = 32;
/** Near duplicates: at most this many of the 64 bits differ… */
export const NEAR_DISTANCE = 6;
/** …and the mean colours differ by at most this much per channel (0–255). */
export const NEAR_COLOUR = 16;

const COS = (() => {
  const t = new Float64Array(8 * HASH_SIZE);
  for (let u = 0; u < 8; u++) for (let x = 0; x < HASH_SIZE; x++) t[u * HASH_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_SIZE));
  return t;
})();

export interface ImageSignature {
  /** 64-bit pHash as two 32-bit halves. */
  hi: number;
  lo: number;
  /** Mean R, G, B (0–255). */
  mean: [number, number, number];
}

/** The signature of a 32×32 RGB image given as raw bytes (RGBRGB…). */
export function signature(rgb: Uint8Array): ImageSignature {
  const n = HASH_SIZE;
  const grey = new Float64Array(n * n);
  let r = 0, g = 0, b = 0;
  for (let i = 0; i < n * n; i++) {
    const R = rgb[i * 3], G = rgb[i * 3 + 1], B = rgb[i * 3 + 2];
    r += R; g += G; b += B;
    grey[i] = 0.299 * R + 0.587 * G + 0.114 * B;
  }
  // Separable DCT, only the 8 lowest frequencies each way.
  const rows = new Float64Array(n * 8); // rows[y*8+u]
  for (let y = 0; y < n; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += grey[y * n + x] * COS[u * n + x];
      rows[y * 8 + u] = s;
    }
  }
  const coeffs = new Float64Array(64); // coeffs[v*8+u]
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += rows[y * 8 + u] * COS[v * n + y];
      coeffs[v * 8 + u] = s;
    }
  }
  const sorted = Float64Array.from(coeffs.subarray(1)).sort();
  const median = (sorted[31] + sorted[32]) / 2;
  let hi = 0, lo = 0;
  for (let i = 0; i < 64; i++) {
    // A flat image has all AC coefficients ~0: round so that noise does not make random bits.
    const bit = coeffs[i] - median > 1e-6 * (Math.abs(median) + 1) ? 1 : 0;
    if (i < 32) hi = (hi << 1) | bit; else lo = (lo << 1) | bit;
  }
  const px = n * n;
  return { hi: hi >>> 0, lo: lo >>> 0, mean: [r / px, g / px, b / px] };
}

export function hex(s: ImageSignature): string {
  return s.hi.toString(16).padStart(8, '0') + s.lo.toString(16).padStart(8, '0');
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export function distance(a: ImageSignature, b: ImageSignature): number {
  return popcount((a.hi ^ b.hi) >>> 0) + popcount((a.lo ^ b.lo) >>> 0);
}

/**
 * Group exact duplicates (same content hash) and near duplicates (pHash distance ≤ NEAR_DISTANCE and mean
 * colours within NEAR_COLOUR). Each file is in at most one group; a near group holds one file per exact group.
 * Items are in scan order; each group's first file is the earliest.
 */
export function findDuplicates(items: { path: string; sha: string; sig: ImageSignature }[]): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  const bySha = new Map<string, number[]>();
  items.forEach((it, i) => { const l = bySha.get(it.sha); if (l) l.push(i); else bySha.set(it.sha, [i]); });
  const reps: number[] = [];
  for (const idx of bySha.values()) {
    reps.push(idx[0]);
    if (idx.length > 1) groups.push({ kind: 'exact', files: idx.map((i) => items[i].path), distance: 0 });
  }
  reps.sort((a, b) => a - b);
  // Union-find over representatives.
  const parent = reps.map((_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i] = parent[parent[i]]; return i; };
  const his = Int32Array.from(reps, (i) => items[i].sig.hi | 0), los = Int32Array.from(reps, (i) => items[i].sig.lo | 0);
  for (let a = 0; a < reps.length; a++) {
    const ha = his[a], la = los[a];
    for (let b = a + 1; b < reps.length; b++) {
      if (popcount(ha ^ his[b]) + popcount(la ^ los[b]) > NEAR_DISTANCE) continue;
      const ma = items[reps[a]].sig.mean, mb = items[reps[b]].sig.mean;
      if (Math.abs(ma[0] - mb[0]) > NEAR_COLOUR || Math.abs(ma[1] - mb[1]) > NEAR_COLOUR || Math.abs(ma[2] - mb[2]) > NEAR_COLOUR) continue;
      const ra = find(a), rb = find(b);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  }
  const near = new Map<number, number[]>();
  reps.forEach((_, i) => { const r = find(i); const l = near.get(r); if (l) l.push(i); else near.set(r, [i]); });
  for (const members of near.values()) {
    if (members.length < 2) continue;
    const first = items[reps[members[0]]].sig;
    groups.push({
      kind: 'near',
      files: members.map((m) => items[reps[m]].path),
      distance: Math.max(...members.map((m) => distance(first, items[reps[m]].sig))),
    });
  }
  return groups;
}
