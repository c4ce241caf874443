// Cache keys: a hash of a cell's canonical content, the keys of the cells it uses, the contents of the files it
// reads and the engine's version. Comments, formatting and key order do not change a key; content does.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { isScalar } from 'yaml';
import { parseCell } from '../recipe/cells';
import { cellSchema, walkSchema } from '../recipe/schemaNav';
import type { RecipeCell } from '../recipe/text';
import { references } from '../plan/plan';
import { POLICY_KEYS } from './constraint';
import { HashOptions, InputHasher } from './inputHashes';

export interface KeyedCell {
  index: number;
  kind: string;
  name?: string;
  /** The cell's body as plain data. */
  body: Record<string, unknown>;
  /** Names of the cells it uses. */
  needs: string[];
  /** Absolute paths of the files and folders it reads. */
  inputs: string[];
  key: string;
}

/** Stable JSON: object keys sorted, so the same content always gives the same text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical((value as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(value ?? null);
}

export interface KeyOptions extends HashOptions {
  /** Only these cells' keys (and those of the cells they use) are wanted; the other cells' inputs are not read. */
  only?: Iterable<number>;
  /** A hasher to share between calls (its fingerprints are remembered); one is opened and closed otherwise. */
  hasher?: InputHasher;
}

interface Described extends Omit<KeyedCell, 'key'> {}

/**
 * Keys for every runnable cell of a valid recipe (markdown and empty cells get none), or for the cells in
 * `only` and what they use. Input files are read asynchronously, and only when the cache folder's index
 * does not already know them (see inputHashes.ts).
 */
export async function computeKeys(cells: RecipeCell[], recipePath: string, engine: string, opts: KeyOptions = {}): Promise<Map<number, KeyedCell>> {
  const described = describeCells(cells, recipePath);
  const wanted = wantedCells(described, opts.only);
  const hasher = opts.hasher ?? await InputHasher.open(opts);
  try {
    const out = new Map<number, KeyedCell>();
    const byName = new Map<string, KeyedCell>();
    for (const d of described) {
      if (!wanted.has(d.index)) continue;
      const h = createHash('sha256');
      // keys that only say how the run treats the result (a bias's `on_fail`) do not change what the cell makes
      const made = Object.fromEntries(Object.entries(d.body).filter(([k]) => !(POLICY_KEYS[d.kind] ?? []).includes(k)));
      h.update(canonical({ format: 1, engine, kind: d.kind, body: made }));
      for (const n of [...d.needs].sort()) h.update(`\0need:${n}:${byName.get(n)?.key ?? 'missing'}`);
      for (const p of [...d.inputs].sort()) h.update(`\0input:${await hasher.fingerprint(p)}`);
      const keyed: KeyedCell = { ...d, key: h.digest('hex') };
      out.set(d.index, keyed);
      if (d.name !== undefined) byName.set(d.name, keyed);
    }
    return out;
  } finally {
    if (!opts.hasher) await hasher.close();
  }
}

/** What each runnable cell is made of: its body, the cells it uses and the files it reads (no file is read). */
function describeCells(cells: RecipeCell[], recipePath: string): Described[] {
  const out: Described[] = [];
  const recipeDir = path.dirname(path.resolve(recipePath));
  cells.forEach((cell, index) => {
    const parsed = parseCell(cell, index);
    if (!parsed.kind || parsed.kind === 'markdown' || parsed.empty || !parsed.doc) return;
    const body = (parsed.doc.toJS({ maxAliasCount: 100 }) as Record<string, Record<string, unknown>>)[parsed.kind] ?? {};
    const needs = references(parsed);
    const inputs: string[] = [];
    walkSchema(cellSchema(parsed.kind), parsed.doc.get(parsed.kind, true), (node, schema) => {
      const kind = schema['x-path'];
      if (!kind || kind === 'output' || !isScalar(node) || typeof node.value !== 'string' || node.value.startsWith('builtin:')) return;
      inputs.push(path.resolve(recipeDir, node.value));
    });
    out.push({ index, kind: parsed.kind, ...(parsed.name !== undefined ? { name: parsed.name } : {}), body, needs, inputs });
  });
  return out;
}

/** The cells whose keys are wanted: `only` and, through their references, every cell they use. */
function wantedCells(described: Described[], only: Iterable<number> | undefined): Set<number> {
  if (only === undefined) return new Set(described.map((d) => d.index));
  // a reference means the nearest cell above with that name, as when the keys are hashed
  const uses = new Map<number, number[]>();
  const above = new Map<string, number>();
  for (const d of described) {
    uses.set(d.index, d.needs.map((n) => above.get(n)).filter((i): i is number => i !== undefined));
    if (d.name !== undefined) above.set(d.name, d.index);
  }
  const wanted = new Set<number>();
  const stack = [...only];
  while (stack.length) {
    const i = stack.pop()!;
    if (!uses.has(i) || wanted.has(i)) continue;
    wanted.add(i);
    stack.push(...uses.get(i)!);
  }
  return wanted;
}
