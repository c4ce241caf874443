// Streams a tag-list file (one post per line, tags separated by commas: the shape of a Danbooru metadata dump)
// without ever holding it whole. Lines are cut from 4 MiB chunks as bytes; each tag's bytes are looked up in
// an open-addressing hash table, so a tag seen before costs no string allocation. Only a tag's first
// appearance is decoded and normalised (`intern`), which maps spelling variants (`large_breasts`,
// `large breasts`) to one id.
import * as fs from 'node:fs';

export interface TagFileProblem { line: number; message: string }

export interface TagFileStats {
  lines: number;
  posts: number;
  blankLines: number;
  /** The first `maxProblems` malformed lines; `problemCount` counts them all. Malformed lines are skipped. */
  problems: TagFileProblem[];
  problemCount: number;
  /** The file had no commas in its first 64 KiB but spaces: tags were split on spaces (a note in `problems`, line 0). */
  spaceSeparated?: boolean;
}

const CHUNK = 1 << 22;
const MAX_TAG_BYTES = 512;
const enum Bad { None = 0, Control = 1, Utf8 = 2, Json = 3, LongTag = 4, LongLine = 5, Empty = 6 }
const MESSAGES: Record<number, string> = {
  [Bad.Control]: 'contains control characters (a binary file, or a NUL byte); the line was skipped',
  [Bad.Utf8]: 'is not valid UTF-8 (Shift-JIS or Latin-1?); the line was skipped: re-save the file as UTF-8',
  [Bad.Json]: 'looks like JSON, not a comma-separated tag list; the line was skipped: extract the tags, one post per line',
  [Bad.LongTag]: `has a tag longer than ${MAX_TAG_BYTES} bytes; the line was skipped: is the file really comma-separated?`,
  [Bad.LongLine]: `is longer than ${CHUNK} bytes; it was skipped`,
  [Bad.Empty]: 'has separators but no tags; the line was skipped',
};

/**
 * Read `file` and call `onPost(ids, n)` for every well-formed non-blank line with the ids of its tags
 * (`ids[0..n)`, possibly repeated; the buffer is reused, copy what you keep). `intern(text)` gives a tag's id
 * from its decoded text, or -1 to drop it; it is called once per distinct spelling.
 */
export async function readTagFile(
  file: string,
  intern: (tag: string) => number,
  onPost: (ids: Int32Array, n: number) => void,
  opts: { signal?: AbortSignal; maxProblems?: number; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<TagFileStats> {
  const maxProblems = opts.maxProblems ?? 100;
  const stats: TagFileStats = { lines: 0, posts: 0, blankLines: 0, problems: [], problemCount: 0 };
  const fatal = new TextDecoder('utf-8', { fatal: true });

  // Raw spelling table: open addressing, one 16-byte entry per slot (length, two independent 32-bit hashes,
  // id), so a probe touches one cache line and never the tag's bytes. Two spellings are taken as the same
  // when length and both hashes agree: for 10^6 distinct spellings the chance of any false match is ~3·10^-8.
  let cap = 1 << 16;
  let slots = new Int32Array(cap * 4); // length 0 = empty
  let rawCount = 0;

  const grow = () => {
    const newCap = cap * 2;
    const t = new Int32Array(newCap * 4);
    const mask = newCap - 1;
    for (let o = 0; o < cap * 4; o += 4) {
      if (slots[o] === 0) continue;
      let s = slots[o + 1] & mask;
      while (t[s * 4] !== 0) s = (s + 1) & mask;
      t.set(slots.subarray(o, o + 4), s * 4);
    }
    slots = t; cap = newCap;
  };

  const insert = (buf: Buffer, s: number, e: number, h: number, h2: number, slot: number): number => {
    let text: string | undefined;
    try { text = fatal.decode(buf.subarray(s, e)); } catch { /* invalid UTF-8 */ }
    const canon = text === undefined ? -2 : intern(text); // -2: every line holding these bytes is malformed
    const o = slot * 4;
    slots[o] = e - s; slots[o + 1] = h; slots[o + 2] = h2; slots[o + 3] = canon;
    if (++rawCount * 2 > cap) grow();
    return canon;
  };

  const lookup = (buf: Buffer, s: number, e: number): number => {
    let h = 0x811c9dc5 | 0;
    let h2 = 0x1b873593 | 0;
    for (let k = s; k < e; k++) {
      const b = buf[k];
      h = Math.imul(h ^ b, 16777619);
      h2 = Math.imul(h2 ^ b, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const mask = cap - 1;
    const len = e - s;
    let slot = h & mask;
    for (;;) {
      const o = slot * 4;
      const l = slots[o];
      if (l === 0) return insert(buf, s, e, h, h2, slot);
      if (l === len && slots[o + 1] === h && slots[o + 2] === h2) return slots[o + 3];
      slot = (slot + 1) & mask;
    }
  };

  let sep = 44; // ','
  let ids = new Int32Array(256);
  let n = 0;
  let bad: Bad = Bad.None;
  let lineNo = 0;

  const report = (line: number, why: Bad) => {
    stats.problemCount++;
    if (stats.problems.length < maxProblems) stats.problems.push({ line, message: `line ${line} ${MESSAGES[why]}` });
  };

  const endLine = (buf: Buffer, lineStart: number, lineEnd: number) => {
    lineNo++;
    stats.lines++;
    if (bad === Bad.None && n === 0) {
      let k = lineStart;
      while (k < lineEnd && (buf[k] === 32 || buf[k] === 9 || buf[k] === 13)) k++;
      if (k === lineEnd) { stats.blankLines++; return; }
      bad = Bad.Empty;
    }
    if (bad === Bad.None) {
      let k = lineStart;
      while (k < lineEnd && (buf[k] === 32 || buf[k] === 9)) k++;
      if (buf[k] === 123 /* { */ || (buf[k] === 91 /* [ */ && buf[k + 1] === 123)) bad = Bad.Json;
    }
    if (bad !== Bad.None) report(lineNo, bad);
    else { stats.posts++; onPost(ids, n); }
  };

  const tagEnd = (buf: Buffer, s: number, e: number) => {
    while (s < e && (buf[s] === 32 || buf[s] === 9 || buf[s] === 13)) s++;
    while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9 || buf[e - 1] === 13)) e--;
    if (e === s || bad !== Bad.None) return;
    if (e - s > MAX_TAG_BYTES) { bad = Bad.LongTag; return; }
    const id = lookup(buf, s, e);
    if (id === -2) bad = Bad.Utf8;
    else if (id >= 0) {
      if (n === ids.length) { const g = new Int32Array(n * 2); g.set(ids); ids = g; }
      ids[n++] = id;
    }
  };

  /** Process the whole lines in buf[start, end); at end of file the last line may lack its newline. */
  const processLines = (buf: Buffer, start: number, end: number, eof: boolean) => {
    let tagStart = start;
    let lineStart = start;
    const separator = sep;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c === separator || c === 10) {
        tagEnd(buf, tagStart, i);
        tagStart = i + 1;
        if (c === 10) { endLine(buf, lineStart, i); lineStart = i + 1; n = 0; bad = Bad.None; }
      } else if (c < 32 && c !== 9 && c !== 13) bad = Bad.Control;
    }
    if (eof && lineStart < end) { tagEnd(buf, tagStart, end); endLine(buf, lineStart, end); n = 0; bad = Bad.None; }
  };

  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const totalBytes = (await fh.stat()).size;
    // Danbooru's own `tag_string` separates tags by spaces (`1girl large_breasts`): when the first lines have
    // no comma at all but do have spaces, read the file that way and say so.
    const HEAD = 1 << 16;
    const head = await fh.read(buf, 0, HEAD, 0);
    const sample = buf.subarray(0, head.bytesRead);
    const cut = head.bytesRead === HEAD ? sample.lastIndexOf(10) + 1 : 0;
    const firstLines = cut > 0 ? sample.subarray(0, cut) : sample;
    if (firstLines.length > 0 && !firstLines.includes(44) && firstLines.includes(32)) {
      sep = 32;
      stats.spaceSeparated = true;
      stats.problemCount++;
      stats.problems.push({ line: 0, message: 'has no commas in its first lines: read as space-separated tags (Danbooru `tag_string` style, `large_breasts`), one post per line' });
    }
    let bytesDone = 0;
    let carry = 0;
    let skipping = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, bytesDone);
      const end = carry + bytesRead;
      const eof = bytesRead === 0;
      bytesDone += bytesRead;
      opts.onProgress?.(bytesDone, totalBytes);
      let start = 0;
      if (skipping) {
        const nl = buf.indexOf(10, 0);
        if (nl < 0 || nl >= end) { carry = 0; if (eof) break; continue; }
        start = nl + 1; skipping = false;
      }
      if (eof) { if (end > start) processLines(buf, start, end, true); break; }
      const lastNl = buf.lastIndexOf(10, end - 1);
      if (lastNl < start) {
        if (start > 0) { buf.copy(buf, 0, start, end); carry = end - start; continue; }
        if (end === buf.length) { // one line fills the whole buffer
          lineNo++; stats.lines++; report(lineNo, Bad.LongLine);
          skipping = true; carry = 0;
        } else carry = end;
        continue;
      }
      processLines(buf, start, lastNl + 1, false);
      buf.copy(buf, 0, lastNl + 1, end);
      carry = end - lastNl - 1;
    }
  } finally {
    await fh.close();
  }
  return stats;
}
