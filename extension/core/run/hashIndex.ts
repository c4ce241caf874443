// The content-hash index under the cache folder (`fingerprints.json`): for every input file fingerprinted
// before, its size, times, inode and fingerprint. A file whose size, mtime, ctime and inode are unchanged is not
// read again. As in git's index, a file modified within RACY_MS before it was hashed is not trusted from the
// index (it could change again within the same timestamp tick) and is hashed again the next time.
// Accepted risk, as with git and make: a file rewritten with the same size whose mtime and ctime are both put
// back is taken as unchanged (ctime can only be set back by changing the system clock).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const INDEX_FILE = 'fingerprints.json';
/** Files modified this close before they were hashed are hashed again the next time. */
export const RACY_MS = 3000;
/** Entries not used for this long are dropped when the index is written. */
const DAY_MS = 24 * 3600 * 1000;
const FORGET_MS = 30 * DAY_MS;

/** [size, mtimeMs, ctimeMs, ino, hashedAt, usedAt, fingerprint] */
type Entry = [number, number, number, number, number, number, string];

interface IndexFile {
  format: 1;
  entries: Record<string, Entry>;
}

export class HashIndex {
  private dirty = false;

  private constructor(private readonly file: string | undefined, private readonly entries: Map<string, Entry>) {}

  /** The index of a cache folder (empty when there is none yet or it cannot be read); none without a folder. */
  static async load(cacheRoot: string | undefined): Promise<HashIndex> {
    if (!cacheRoot) return new HashIndex(undefined, new Map());
    const file = path.join(cacheRoot, INDEX_FILE);
    const entries = new Map<string, Entry>();
    try {
      const data = JSON.parse(await fs.promises.readFile(file, 'utf8')) as IndexFile;
      if (data.format === 1 && data.entries && typeof data.entries === 'object') {
        for (const [k, e] of Object.entries(data.entries)) if (validEntry(e)) entries.set(k, e);
      }
    } catch { /* none yet, or unreadable: everything is hashed */ }
    return new HashIndex(file, entries);
  }

  /** The fingerprint recorded for a file, if its stat says it has not changed since (and was not racy). */
  lookup(abs: string, st: fs.Stats): string | undefined {
    const e = this.entries.get(abs);
    if (!e) return undefined;
    const [size, mtime, ctime, ino, hashedAt] = e;
    if (size !== st.size || mtime !== st.mtimeMs || ctime !== st.ctimeMs || ino !== st.ino) return undefined;
    if (Math.max(mtime, ctime) >= hashedAt - RACY_MS) return undefined;
    // the last use is kept to the day, so that an index that taught nothing new is not written again
    const now = Date.now();
    if (now - e[5] > DAY_MS) {
      e[5] = now;
      this.dirty = true;
    }
    return e[6];
  }

  /** Records a fingerprint computed now, from content read after `hashedAt`. */
  record(abs: string, st: fs.Stats, fingerprint: string, hashedAt: number): void {
    this.entries.set(abs, [st.size, st.mtimeMs, st.ctimeMs, st.ino, hashedAt, Date.now(), fingerprint]);
    this.dirty = true;
  }

  /** Writes the index (to a temporary name, then renamed) if anything changed. Failing to write is not an error. */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const now = Date.now();
    const entries: Record<string, Entry> = {};
    for (const [k, e] of this.entries) if (now - e[5] < FORGET_MS) entries[k] = e;
    const tmp = `${this.file}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.part`;
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await fs.promises.writeFile(tmp, JSON.stringify({ format: 1, entries } satisfies IndexFile));
      await fs.promises.rename(tmp, this.file);
      this.dirty = false;
    } catch {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}

function validEntry(e: unknown): e is Entry {
  return Array.isArray(e) && e.length === 7 && e.slice(0, 6).every((x) => typeof x === 'number') && typeof e[6] === 'string' && /^[0-9a-f]{64}$/.test(e[6]);
}
