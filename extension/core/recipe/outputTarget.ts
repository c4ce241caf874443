// What an export's `to:` would replace, read from the disk for validation: a folder, a file that is not a LoRA
// (a checkpoint, a text file), or a place outside the recipe's folder (`../`, an absolute path, a symbolic link).
// An export may replace only a LoRA: a .safetensors file whose tensors have LoRA names.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OutputTarget {
  /** What is at the path now. */
  existing: 'none' | 'folder' | 'lora' | 'other';
  /** For `other`: what the file is, in a few words. */
  what?: string;
  /** Set when the real path of the file (links resolved) lies outside the recipe's folder: that real path. */
  outside?: string;
  /** The path goes through a symbolic link (the file itself or a folder on the way). */
  viaLink?: boolean;
}

/** LoRA tensor names: kohya (`lora_unet_…`, `.lora_down.`), diffusers/PEFT (`.lora_A.`), LyCORIS (`lora_te_…`). */
const LORA_KEY = /(^|[._])lora[._]/i;

/** The tensor names of a safetensors file, read from its header only; undefined when it is not one. */
export function safetensorsKeys(file: string): string[] | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(8);
    if (fs.readSync(fd, head, 0, 8, 0) !== 8) return undefined;
    const len = Number(head.readBigUInt64LE(0));
    const size = fs.fstatSync(fd).size;
    if (len < 2 || len > Math.min(100 * 1024 * 1024, size - 8)) return undefined;
    const json = Buffer.alloc(len);
    fs.readSync(fd, json, 0, len, 8);
    const header = JSON.parse(json.toString('utf8'));
    if (!header || typeof header !== 'object' || Array.isArray(header)) return undefined;
    return Object.keys(header).filter((k) => k !== '__metadata__');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function isLoraFile(file: string): boolean {
  const keys = safetensorsKeys(file);
  return keys !== undefined && keys.some((k) => LORA_KEY.test(k));
}

/** Real path of `p`, resolving links of the deepest part that exists (the rest is appended as written). */
function realPathOf(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

/** A relative path that leaves its base folder. */
function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel);
}

export function inspectOutputTarget(abs: string, recipeDir: string): OutputTarget {
  const out: OutputTarget = { existing: 'none' };
  let lst: fs.Stats | undefined;
  try { lst = fs.lstatSync(abs); } catch { /* nothing there yet */ }
  let st: fs.Stats | undefined;
  try { st = fs.statSync(abs); } catch { /* a dangling link, or nothing */ }
  if (st?.isDirectory()) out.existing = 'folder';
  else if (st?.isFile()) {
    if (isLoraFile(abs)) out.existing = 'lora';
    else {
      out.existing = 'other';
      const keys = safetensorsKeys(abs);
      out.what = keys === undefined ? 'not a .safetensors file' : keys.length === 0 ? 'a .safetensors file without tensors' : `a .safetensors file without LoRA tensors (${keys.length} tensors, e.g. \`${keys[0]}\`: a checkpoint?)`;
    }
  } else if (lst || st) {
    out.existing = 'other';
    out.what = lst?.isSymbolicLink() && !st ? 'a symbolic link to nothing' : 'not a regular file';
  }
  let dirReal: string;
  try { dirReal = fs.realpathSync(recipeDir); } catch { dirReal = path.resolve(recipeDir); }
  const real = realPathOf(abs);
  const rel = path.relative(dirReal, real);
  if (escapes(rel)) out.outside = real;
  // a link on the way from the recipe's folder to the file (the recipe's folder itself may be reached by a link)
  const recipeAbs = path.resolve(recipeDir);
  const relLex = path.relative(recipeAbs, path.resolve(abs));
  const parts = escapes(relLex) || relLex === '' ? [] : relLex.split(path.sep);
  for (let i = 1; i <= parts.length; i++) {
    try {
      if (fs.lstatSync(path.join(recipeAbs, ...parts.slice(0, i))).isSymbolicLink()) { out.viaLink = true; break; }
    } catch { break; }
  }
  if (lst?.isSymbolicLink()) out.viaLink = true;
  return out;
}
