// Cache keys: a hash of a cell's canonical content, the keys of the cells it uses, the contents of the files it
// reads and the engine's version. Comments, formatting and key order do not change a key; content does.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isScalar } from 'yaml';
import { parseCell } from '../recipe/cells';
import { cellSchema, walkSchema } from '../recipe/schemaNav';
import type { RecipeCell } from '../recipe/text';
import { references } from '../plan/plan';
import { POLICY_KEYS } from './constraint';
import { pathFingerprint } from './fingerprint';

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

/** Keys for every runnable cell of a valid recipe (markdown and empty cells get none). */
export function computeKeys(cells: RecipeCell[], recipePath: string, engine: string, memo = new Map<string, string>()): Map<number, KeyedCell> {
  const out = new Map<number, KeyedCell>();
  const byName = new Map<string, KeyedCell>();
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
    const h = createHash('sha256');
    // keys that only say how the run treats the result (a bias's `on_fail`) do not change what the cell makes
    const made = Object.fromEntries(Object.entries(body).filter(([k]) => !(POLICY_KEYS[parsed.kind!] ?? []).includes(k)));
    h.update(canonical({ format: 1, engine, kind: parsed.kind, body: made }));
    for (const n of [...needs].sort()) h.update(`\0need:${n}:${byName.get(n)?.key ?? 'missing'}`);
    for (const p of [...inputs].sort()) {
      let fp = memo.get(p);
      if (fp === undefined) {
        fp = fs.existsSync(p) ? pathFingerprint(p) : 'missing';
        memo.set(p, fp);
      }
      h.update(`\0input:${fp}`);
    }
    const keyed: KeyedCell = { index, kind: parsed.kind, ...(parsed.name !== undefined ? { name: parsed.name } : {}), body, needs, inputs, key: h.digest('hex') };
    out.set(index, keyed);
    if (parsed.name !== undefined) byName.set(parsed.name, keyed);
  });
  return out;
}
