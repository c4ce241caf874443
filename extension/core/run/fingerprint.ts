// Content fingerprints of the files a cell reads: whole contents for datasets, a cheap but safe sample for
// multi-gigabyte checkpoints (size + head + tail + the safetensors header, which lists every tensor's offsets).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SAMPLE = 4 * 1024 * 1024;

function readRange(fd: number, start: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, start);
  return buf.subarray(0, n);
}

/** Fingerprint of one file. Files over 64 MB are sampled; smaller ones are hashed whole. */
export function fileFingerprint(file: string): string {
  const st = fs.statSync(file);
  const h = createHash('sha256');
  h.update(`size:${st.size}\0`);
  if (st.size <= 64 * 1024 * 1024) {
    h.update(fs.readFileSync(file));
    return h.digest('hex');
  }
  const fd = fs.openSync(file, 'r');
  try {
    const head = readRange(fd, 0, SAMPLE);
    h.update(head);
    if (file.endsWith('.safetensors') && head.length >= 8) {
      const headerLen = Number(head.readBigUInt64LE(0));
      if (headerLen > 0 && headerLen < 100 * 1024 * 1024) h.update(readRange(fd, 8, headerLen));
    }
    h.update(readRange(fd, Math.max(0, st.size - SAMPLE), SAMPLE));
    for (let i = 1; i < 8; i++) h.update(readRange(fd, Math.floor((st.size * i) / 8), 64 * 1024));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Fingerprint of a file or a folder tree (relative names and contents; symlink loops are not followed). */
export function pathFingerprint(p: string): string {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return fileFingerprint(p);
  const h = createHash('sha256');
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      let s: fs.Stats;
      try {
        s = fs.statSync(full);
      } catch {
        continue;
      }
      if (s.isDirectory()) {
        h.update(`d:${path.relative(p, full)}\0`);
        walk(full);
      } else if (s.isFile()) {
        h.update(`f:${path.relative(p, full)}\0${fileFingerprint(full)}\0`);
      }
    }
  };
  walk(p);
  return h.digest('hex');
}
