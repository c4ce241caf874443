// The content-hash index under the cache folder (`fingerprints/`): for every input file fingerprinted before,
// its size, times, inode and fingerprint. A file whose size, mtime, ctime and inode are unchanged is not read
// again. As in git's index, a file modified within RACY_MS before it was hashed is not trusted from the index
// (it could change again within the same timestamp tick) and is hashed again the next time.
// The entries are spread over up to 256 shard files by the folder that holds each file, so that a run writes
// only the shards of the folders it read, and two runs on different datasets do not rewrite each other's.
// Accepted risk, as with git and make: a file rewritten with the same size whose mtime and ctime are both put
// back is taken as unchanged (ctime can only be set back by changing the system clock).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const INDEX_DIR = 'fingerprints';
/** The single-file index of lorabias 0.1 (2026-12-01 and before): read once, then replaced by the shards. */
export const LEGACY_INDEX_FILE = 'fingerprints.json';
/** Files modified this close before they were hashed are hashed again the next time. */
export const RACY_MS = 3000;
/** Entries not used for this long are dropped when their shard is written. */
const DAY_MS = 24 * 3600 * 1000;
const FORGET_MS = 30 * DAY_MS;

/** [size, mtimeMs, ctimeMs, ino, hashedAt, usedAt, fingerprint] */
type Entry = [number, number, number, number, number, number, string];

interface IndexFile {
  format: 1;
  entries: Record<string, Entry>;
}

/** The shard file name (two hex digits and `.json`) that holds the entry of a file. */
export function shardOf(abs: string): string {
  return `${crypto.createHash('sha256').update(path.dirname(abs)).digest('hex').slice(0, 2)}.json`;
}

export class HashIndex {
  private readonly dirty = new Set<string>();
  private legacyRead = false;

  private constructor(private readonly root: string | undefined, private readonly shards: Map<string, Map<string, Entry>>) {}

  /** The index of a cache folder (empty when there is none yet or it cannot be read); none without a folder. */
  static async load(cacheRoot: string | undefined): Promise<HashIndex> {
    const index = new HashIndex(cacheRoot, new Map());
    if (!cacheRoot) return index;
    const dir = path.join(cacheRoot, INDEX_DIR);
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => /^[0-9a-f]{2}\.json$/.test(n)).map(async (n) => {
      for (const [k, e] of await readEntries(path.join(dir, n))) if (shardOf(k) === n) index.put(k, e, false);
    }));
    const legacy = await readEntries(path.join(cacheRoot, LEGACY_INDEX_FILE));
    for (const [k, e] of legacy) if (!index.entry(k)) index.put(k, e, true);
    index.legacyRead = fs.existsSync(path.join(cacheRoot, LEGACY_INDEX_FILE));
    return index;
  }

  /** The fingerprint recorded for a file, if its stat says it has not changed since (and was not racy). */
  lookup(abs: string, st: fs.Stats): string | undefined {
    const e = this.entry(abs);
    if (!e) return undefined;
    const [size, mtime, ctime, ino, hashedAt] = e;
    if (size !== st.size || mtime !== st.mtimeMs || ctime !== st.ctimeMs || ino !== st.ino) return undefined;
    if (Math.max(mtime, ctime) >= hashedAt - RACY_MS) return undefined;
    // the last use is kept to the day, so that an index that taught nothing new is not written again
    const now = Date.now();
    if (now - e[5] > DAY_MS) {
      e[5] = now;
      this.dirty.add(shardOf(abs));
    }
    return e[6];
  }

  /** Records a fingerprint computed now, from content read after `hashedAt`. */
  record(abs: string, st: fs.Stats, fingerprint: string, hashedAt: number): void {
    this.put(abs, [st.size, st.mtimeMs, st.ctimeMs, st.ino, hashedAt, Date.now(), fingerprint], true);
  }

  /** Writes the shards that changed (each to a temporary name, then renamed). Failing to write is not an error. */
  async save(): Promise<void> {
    if (!this.root || (!this.dirty.size && !this.legacyRead)) return;
    const dir = path.join(this.root, INDEX_DIR);
    const now = Date.now();
    let all = true;
    for (const name of [...this.dirty]) {
      const entries: Record<string, Entry> = {};
      for (const [k, e] of this.shards.get(name) ?? []) if (now - e[5] < FORGET_MS) entries[k] = e;
      if (await writeAtomically(dir, name, JSON.stringify({ format: 1, entries } satisfies IndexFile))) this.dirty.delete(name);
      else all = false;
    }
    // the old single file is removed once everything it held is in the shards
    if (this.legacyRead && all) {
      await fs.promises.rm(path.join(this.root, LEGACY_INDEX_FILE), { force: true }).catch(() => undefined);
      this.legacyRead = false;
    }
  }

  private entry(abs: string): Entry | undefined {
    return this.shards.get(shardOf(abs))?.get(abs);
  }

  private put(abs: string, e: Entry, dirty: boolean): void {
    const name = shardOf(abs);
    let shard = this.shards.get(name);
    if (!shard) this.shards.set(name, (shard = new Map()));
    shard.set(abs, e);
    if (dirty) this.dirty.add(name);
  }
}

async function readEntries(file: string): Promise<[string, Entry][]> {
  try {
    const data = JSON.parse(await fs.promises.readFile(file, 'utf8')) as IndexFile;
    if (data.format !== 1 || !data.entries || typeof data.entries !== 'object') return [];
    return Object.entries(data.entries).filter((kv): kv is [string, Entry] => validEntry(kv[1]));
  } catch {
    return []; // none yet, or unreadable: its files are hashed again
  }
}

async function writeAtomically(dir: string, name: string, text: string): Promise<boolean> {
  const tmp = path.join(dir, `${name}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.part`);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(tmp, text);
    await fs.promises.rename(tmp, path.join(dir, name));
    return true;
  } catch {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    return false;
  }
}

function validEntry(e: unknown): e is Entry {
  return Array.isArray(e) && e.length === 7 && e.slice(0, 6).every((x) => typeof x === 'number') && typeof e[6] === 'string' && /^[0-9a-f]{64}$/.test(e[6]);
}
