// The cell cache under `.lorabias/` beside the recipe: one folder per cell key holding its artifacts and a
// manifest. A folder is built under a temporary name and renamed into place only when complete, so a killed run
// leaves nothing that a later run could mistake for a finished cell.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from './types';

const MANIFEST = 'manifest.json';

/** A cell key as computeKeys makes them: a sha256 in lower-case hex. Keys read from disk are checked against it. */
export const CELL_KEY = /^[0-9a-f]{64}$/;
/** How many characters of a key name its resume folder under `work/` (see the executor). */
export const WORK_KEY_CHARS = 24;

export class CellCache {
  constructor(readonly root: string) {}

  dir(key: string): string {
    return path.join(this.root, 'cells', key);
  }

  /** The manifest of a finished cell, if its folder is complete and every file it lists is there. */
  lookup(key: string): Manifest | undefined {
    const dir = this.dir(key);
    let m: Manifest;
    try {
      m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
    } catch {
      return undefined;
    }
    if (m.format !== 1 || m.key !== key) return undefined;
    for (const f of Object.values(m.files)) if (!fs.existsSync(path.resolve(dir, f))) return undefined;
    return m;
  }

  /** A fresh temporary folder for a cell's artifacts; `commit` renames it into place with its manifest. */
  begin(key: string): { dir: string; commit: (m: Omit<Manifest, 'format' | 'key'>) => Manifest; abort: () => void } {
    const cells = path.join(this.root, 'cells');
    fs.mkdirSync(cells, { recursive: true });
    this.sweep();
    const tmp = path.join(cells, `.tmp-${key.slice(0, 16)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    fs.mkdirSync(tmp);
    return {
      dir: tmp,
      commit: (partial) => {
        const manifest: Manifest = { format: 1, key, ...partial };
        const file = path.join(tmp, MANIFEST);
        fs.writeFileSync(file + '.part', JSON.stringify(manifest, null, 1));
        fs.renameSync(file + '.part', file);
        const final = this.dir(key);
        fs.rmSync(final, { recursive: true, force: true });
        fs.renameSync(tmp, final);
        return manifest;
      },
      abort: () => fs.rmSync(tmp, { recursive: true, force: true }),
    };
  }

  /** Removes temporary folders left by runs that were killed (older than an hour, or of a dead process). */
  sweep(): void {
    const cells = path.join(this.root, 'cells');
    let names: string[] = [];
    try {
      names = fs.readdirSync(cells).filter((n) => n.startsWith('.tmp-'));
    } catch {
      return;
    }
    for (const n of names) {
      const pid = Number(n.split('-')[2]);
      const full = path.join(cells, n);
      let old = false;
      try {
        old = Date.now() - fs.statSync(full).mtimeMs > 3600_000;
      } catch {
        continue;
      }
      if (old || !alive(pid)) fs.rmSync(full, { recursive: true, force: true });
    }
  }

  /** Remembers which keys a recipe produced, so its cache can be cleared on its own. */
  record(recipe: string, keys: string[]): void {
    const file = this.recordFile(recipe);
    const known = new Set(this.recorded(recipe));
    for (const k of keys) known.add(k);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file + '.part', JSON.stringify([...known], null, 1));
    fs.renameSync(file + '.part', file);
  }

  recorded(recipe: string): string[] {
    try {
      const keys: unknown = JSON.parse(fs.readFileSync(this.recordFile(recipe), 'utf8'));
      return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string' && CELL_KEY.test(k)) : [];
    } catch {
      return [];
    }
  }

  /**
   * Deletes every artifact a recipe produced and its resume checkpoints under `work/`; returns how many cell
   * folders went. Only keys in the cache's own format are used (the index is a file anyone can edit), and a
   * folder is deleted only when its real path lies inside the cache folder.
   */
  clear(recipe: string): number {
    const keys = this.recorded(recipe).filter((k) => CELL_KEY.test(k));
    let n = 0;
    for (const k of keys) {
      if (this.removeInside(this.dir(k))) n++;
      this.removeInside(this.workDir(k));
    }
    fs.rmSync(this.recordFile(recipe), { force: true });
    return n;
  }

  /** The folder that keeps a cell's resume checkpoints between cancelled runs. */
  workDir(key: string): string {
    return path.join(this.root, 'work', key.slice(0, WORK_KEY_CHARS));
  }

  /** Removes `target` when it (or, for a link, the link itself) lies inside the cache folder; true if it was there. */
  private removeInside(target: string): boolean {
    let st: fs.Stats;
    try { st = fs.lstatSync(target); } catch { return false; }
    let rootReal: string, parentReal: string;
    try {
      rootReal = fs.realpathSync(this.root);
      parentReal = fs.realpathSync(path.dirname(target));
    } catch { return false; }
    const real = path.join(parentReal, path.basename(target));
    const rel = path.relative(rootReal, real);
    if (rel === '' || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return false;
    // a symbolic link is removed as a link: what it points to is never walked
    fs.rmSync(real, { recursive: st.isDirectory() && !st.isSymbolicLink(), force: true });
    return true;
  }

  private recordFile(recipe: string): string {
    const id = crypto.createHash('sha256').update(path.resolve(recipe)).digest('hex').slice(0, 16);
    return path.join(this.root, 'recipes', `${path.basename(recipe, '.lorabias')}-${id}.json`);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
