// Fingerprints of a recipe's input files and folders, for its cache keys: asynchronous (the event loop keeps
// turning), each file's content read once and then remembered in the cache folder's index (size + times fast
// path, see hashIndex.ts), with progress reports for large trees and cancel between chunks.
import * as fs from 'node:fs';
import { bytesRead, fileFingerprint, listTree, treeFingerprint } from './fingerprint';
import { HashIndex } from './hashIndex';

export interface HashProgress {
  /** The input being fingerprinted (absolute path). */
  input: string;
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
  done: boolean;
}

export interface HashStats {
  /** Files whose content was read. */
  filesHashed: number;
  bytesHashed: number;
  /** Files whose fingerprint came from the index. */
  filesFromIndex: number;
}

export interface HashOptions {
  /** The cache folder whose index remembers fingerprints; without one, every file is read. */
  cacheRoot?: string;
  signal?: AbortSignal;
  /** Progress of inputs whose files must be read, at most every PROGRESS_MS and once when each is done. */
  onProgress?: (p: HashProgress) => void;
}

const PROGRESS_MS = 250;

export class InputHasher {
  readonly stats: HashStats = { filesHashed: 0, bytesHashed: 0, filesFromIndex: 0 };
  private readonly memo = new Map<string, Promise<string>>();

  private constructor(private readonly index: HashIndex, private readonly opts: HashOptions) {}

  static async open(opts: HashOptions = {}): Promise<InputHasher> {
    return new InputHasher(await HashIndex.load(opts.cacheRoot), opts);
  }

  /** The fingerprint of a file or folder tree, or `missing` when there is nothing at the path. */
  fingerprint(abs: string): Promise<string> {
    let fp = this.memo.get(abs);
    if (!fp) this.memo.set(abs, (fp = this.compute(abs)));
    return fp;
  }

  /** Writes what was learnt into the index. */
  close(): Promise<void> {
    return this.index.save();
  }

  private async compute(abs: string): Promise<string> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(abs);
    } catch {
      return 'missing';
    }
    // a device or a pipe (`/dev/zero`) would be read forever: it has no content to key on
    if (!st.isDirectory() && !st.isFile()) return 'not-a-file';
    if (st.isFile()) {
      const known = this.index.lookup(abs, st);
      if (known) {
        this.stats.filesFromIndex++;
        return known;
      }
      const progress = this.reporter(abs, 1, bytesRead(st.size));
      const fp = await this.hashFile(abs, st, progress);
      progress.finish();
      return fp;
    }
    const entries = await listTree(abs, this.opts.signal);
    const fps = new Map<string, string>();
    const todo: { abs: string; stat: fs.Stats }[] = [];
    for (const e of entries) {
      if ('dir' in e) continue;
      const known = this.index.lookup(e.abs, e.stat);
      if (known) {
        fps.set(e.abs, known);
        this.stats.filesFromIndex++;
      } else {
        todo.push(e);
      }
    }
    const progress = this.reporter(abs, todo.length, todo.reduce((n, f) => n + bytesRead(f.stat.size), 0));
    // one file at a time: reading several at once was four times slower on a busy 2-core machine
    for (const f of todo) fps.set(f.abs, await this.hashFile(f.abs, f.stat, progress));
    progress.finish();
    return treeFingerprint(entries, (file) => fps.get(file)!);
  }

  private async hashFile(abs: string, st: fs.Stats, progress: Reporter): Promise<string> {
    const hashedAt = Date.now();
    const fp = await fileFingerprint(abs, st.size, (n) => {
      this.stats.bytesHashed += n;
      progress.bytes(n);
    }, this.opts.signal);
    this.stats.filesHashed++;
    progress.file();
    this.index.record(abs, st, fp, hashedAt);
    return fp;
  }

  private reporter(input: string, totalFiles: number, totalBytes: number): Reporter {
    const report = this.opts.onProgress;
    const p: HashProgress = { input, files: 0, totalFiles, bytes: 0, totalBytes, done: false };
    let last = 0;
    const tell = (force = false) => {
      if (!report || totalFiles === 0) return;
      const now = Date.now();
      if (!force && now - last < PROGRESS_MS) return;
      last = now;
      report({ ...p });
    };
    return {
      bytes: (n) => { p.bytes += n; tell(); },
      file: () => { p.files++; tell(); },
      finish: () => { p.done = true; tell(true); },
    };
  }
}

interface Reporter {
  bytes(n: number): void;
  file(): void;
  finish(): void;
}
