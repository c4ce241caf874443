// Content fingerprints of the files a cell reads: whole contents for datasets, a cheap but safe sample for
// multi-gigabyte checkpoints (size + head + tail + the safetensors header, which lists every tensor's offsets).
// Everything here is asynchronous and reads in chunks, so hashing a large tree never blocks the event loop
// (the extension host's thread). The digests are those of earlier versions, so existing cache entries stay valid.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SAMPLE = 4 * 1024 * 1024;
/** Files up to this size are hashed whole; larger ones are sampled. */
export const WHOLE_FILE_LIMIT = 64 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

async function readRange(fh: fs.promises.FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** How many bytes fingerprinting a file of this size reads (for progress reports). */
export function bytesRead(size: number): number {
  return size <= WHOLE_FILE_LIMIT ? size : 2 * SAMPLE + 7 * 64 * 1024;
}

/**
 * Fingerprint of one file of the given size. Files over 64 MB are sampled; smaller ones are hashed whole, 4 MB
 * at a time. `onBytes` hears of each chunk read; `signal` stops between chunks.
 */
export async function fileFingerprint(file: string, size: number, onBytes: (n: number) => void = () => undefined, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  h.update(`size:${size}\0`);
  const fh = await fs.promises.open(file, 'r');
  try {
    if (size <= WHOLE_FILE_LIMIT) {
      await hashWhole(fh, h, onBytes, signal);
      return h.digest('hex');
    }
    const part = async (start: number, length: number) => {
      signal?.throwIfAborted();
      const buf = await readRange(fh, start, length);
      onBytes(buf.length);
      h.update(buf);
      return buf;
    };
    const head = await part(0, SAMPLE);
    if (file.endsWith('.safetensors') && head.length >= 8) {
      const headerLen = Number(head.readBigUInt64LE(0));
      if (headerLen > 0 && headerLen < 100 * 1024 * 1024) await part(8, headerLen);
    }
    await part(Math.max(0, size - SAMPLE), SAMPLE);
    for (let i = 1; i < 8; i++) await part(Math.floor((size * i) / 8), 64 * 1024);
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Hashes a whole file, reading the next chunk while the current one is hashed. */
async function hashWhole(fh: fs.promises.FileHandle, h: Hash, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const buffers = [Buffer.alloc(CHUNK), Buffer.alloc(CHUNK)];
  let pos = 0;
  let which = 0;
  let pending = fh.read(buffers[0], 0, CHUNK, 0);
  for (;;) {
    signal?.throwIfAborted();
    const { bytesRead: n } = await pending;
    if (n === 0) return;
    const current = buffers[which];
    pos += n;
    which = 1 - which;
    pending = fh.read(buffers[which], 0, CHUNK, pos);
    h.update(current.subarray(0, n));
    onBytes(n);
  }
}

/** One entry of a tree, in the order the tree's fingerprint reads them. */
export type TreeEntry = { dir: string } | { file: string; abs: string; stat: fs.Stats };

/**
 * The folders and files under a folder, depth first with names sorted, following symlinks but not loops —
 * stat only, no contents. Entries that vanish or cannot be stat'ed are left out.
 */
export async function listTree(root: string, signal?: AbortSignal): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    const real = await fs.promises.realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    const names = (await fs.promises.readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const stats = await Promise.all(names.map((n) => fs.promises.stat(path.join(dir, n)).catch(() => undefined)));
    for (let i = 0; i < names.length; i++) {
      const full = path.join(dir, names[i]);
      const s = stats[i];
      if (!s) continue;
      if (s.isDirectory()) {
        out.push({ dir: path.relative(root, full) });
        await walk(full);
      } else if (s.isFile()) {
        out.push({ file: path.relative(root, full), abs: full, stat: s });
      }
    }
  };
  await walk(root);
  return out;
}

/** Fingerprint of a folder tree from its entries and its files' fingerprints (relative names and contents). */
export function treeFingerprint(entries: TreeEntry[], fileFp: (abs: string) => string): string {
  const h = createHash('sha256');
  for (const e of entries) {
    if ('dir' in e) h.update(`d:${e.dir}\0`);
    else h.update(`f:${e.file}\0${fileFp(e.abs)}\0`);
  }
  return h.digest('hex');
}
