// Walking image folders in the kohya layout: `N_name` folders repeat their images N times; captions sit next
// to their images with the same stem. Symlinks are followed once when they stay inside the dataset folder (a
// link back to a folder already being walked is a loop, reported); links that lead out of it (to `/etc`, a home
// folder) are reported and not followed; FIFOs, sockets and devices are reported, never opened. Nothing is written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS } from './images';
import type { DatasetProblem } from './types';

export interface FoundFile {
  abs: string;
  /** Relative to the recipe folder, with `/`. */
  rel: string;
  size: number;
  /** Absolute path without extension: images and captions pair on it. */
  stem: string;
  ext: string;
  repeats: number;
}

export interface WalkResult {
  images: FoundFile[];
  captions: FoundFile[];
  /** Folders scanned, relative to the recipe. */
  folders: string[];
}

/** Files that sit in training folders for good reasons and are not worth a word. */
const QUIET_EXTENSIONS = new Set(['.npz', '.bak', '.json', '.jsonl', '.csv', '.toml', '.tmp']);
const REPEAT_FOLDER = /^(\d+)_(.+)$/;

export function relPath(recipeDir: string, abs: string): string {
  const r = path.relative(recipeDir, abs);
  return (r === '' ? '.' : r).split(path.sep).join('/');
}

export async function walkFolders(
  folders: string[], recipeDir: string, captionExt: string, defaultRepeats: number, problems: DatasetProblem[], signal?: AbortSignal,
): Promise<WalkResult> {
  const result: WalkResult = { images: [], captions: [], folders: [] };
  const active = new Set<string>(); // real paths of the folders on the current walk (loop detection)
  const done = new Set<string>(); // real paths already walked (a folder given twice, or reached twice)
  const problem = (abs: string, code: DatasetProblem['code'], severity: DatasetProblem['severity'], message: string) =>
    problems.push({ file: relPath(recipeDir, abs), code, severity, message });

  let top = ''; // real path of the `images:` folder being walked: links that lead out of it are not followed
  async function walk(dir: string, repeats: number): Promise<number> {
    signal?.throwIfAborted();
    let real: string;
    try { real = await fs.promises.realpath(dir); } catch (e) { problem(dir, 'unreadable', 'error', `cannot be read (${code(e)}).`); return 0; }
    if (active.has(real)) { problem(dir, 'symlink-loop', 'warning', `is a symbolic link back to ${relPath(recipeDir, real)}, a folder that contains it (a loop): it was not followed. Remove the link.`); return 0; }
    if (done.has(real)) return 0;
    active.add(real); done.add(real);
    result.folders.push(relPath(recipeDir, dir));
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (e) {
      problem(dir, 'unreadable', 'error', `cannot be listed (${code(e)}): check its permissions.`);
      active.delete(real);
      return 0;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let found = 0;
    let subfolders = 0;
    for (const ent of entries) {
      if (ent.name.startsWith('.')) continue; // .DS_Store, .lorabias caches, editor files
      const abs = path.join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        let target: string | undefined;
        try { target = await fs.promises.realpath(abs); } catch { /* dangling or a loop: reported below */ }
        if (target !== undefined && !inside(top, target)) {
          problem(abs, 'symlink-outside', 'warning', `is a symbolic link to ${target}, outside the dataset folder ${relPath(recipeDir, top)}: it was not followed. Copy what it points to into the folder, or add that folder to \`images:\`.`);
          continue;
        }
      }
      let st: fs.Stats;
      try {
        st = ent.isSymbolicLink() ? await fs.promises.stat(abs) : await fs.promises.lstat(abs);
      } catch (e) {
        const c = code(e);
        if (c === 'ELOOP') problem(abs, 'symlink-loop', 'warning', 'is a symbolic link that loops back on itself: it was not followed. Remove the link.');
        else if (c === 'ENOENT') problem(abs, 'unreadable', 'error', `is a symbolic link to ${await readlink(abs)}, which does not exist: fix or remove the link.`);
        else problem(abs, 'unreadable', 'error', `cannot be read (${c}): check its permissions.`);
        continue;
      }
      if (st.isDirectory()) {
        subfolders++;
        const m = REPEAT_FOLDER.exec(ent.name);
        found += await walk(abs, m ? Math.max(1, Number(m[1])) : repeats);
        continue;
      }
      const ext = path.extname(ent.name).toLowerCase();
      if (!st.isFile()) {
        if (IMAGE_EXTENSIONS.has(ext) || ext === captionExt) problem(abs, 'not-a-file', 'error', 'is not a regular file (a pipe, socket or device): it was not opened. Remove it from the folder.');
        continue;
      }
      const file: FoundFile = { abs, rel: relPath(recipeDir, abs), size: st.size, stem: abs.slice(0, abs.length - ext.length), ext, repeats };
      if (IMAGE_EXTENSIONS.has(ext)) { result.images.push(file); found++; }
      else if (ext === captionExt) result.captions.push(file);
      else if (!QUIET_EXTENSIONS.has(ext) && !/\.bak\.\d+$/.test(ent.name) && ent.name !== 'Thumbs.db') {
        const other = ext === '.txt' || ext === '.caption' ? ` (captions here are read from \`${captionExt}\` files: set \`caption_extension: ${ext}\` if this is one)` : '';
        problem(abs, 'ignored-file', 'info', `is neither an image nor a caption and is ignored${other}.`);
      }
    }
    if (found === 0 && subfolders === 0) problem(dir, 'empty-folder', 'warning', 'holds no images: add images or remove the folder from the dataset.');
    active.delete(real);
    return found;
  }

  for (const folder of folders) {
    const abs = path.resolve(recipeDir, folder);
    let st: fs.Stats;
    try { st = await fs.promises.stat(abs); } catch (e) {
      problem(abs, 'missing-folder', 'error', `does not exist (${code(e)}): check the \`images:\` path, which is relative to the recipe.`);
      continue;
    }
    if (!st.isDirectory()) { problem(abs, 'missing-folder', 'error', 'is not a folder: `images:` takes folders of images.'); continue; }
    const m = REPEAT_FOLDER.exec(path.basename(abs));
    try { top = await fs.promises.realpath(abs); } catch { top = abs; }
    await walk(abs, m ? Math.max(1, Number(m[1])) : defaultRepeats);
  }
  return result;
}

/** `p` is `dir` or lies inside it (both real paths). */
function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

async function readlink(p: string): Promise<string> {
  try { return `\`${await fs.promises.readlink(p)}\``; } catch { return 'a path'; }
}
