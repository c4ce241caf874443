// The run plan: cells form a DAG through their references; running a cell runs what it needs first.
import { isScalar } from 'yaml';
import { parseCell, ParsedCell } from '../recipe/cells';
import { cellSchema, walkSchema } from '../recipe/schemaNav';
import type { RecipeCell } from '../recipe/text';

export interface PlanStep {
  /** Index of the cell in the recipe. */
  cell: number;
  kind: string;
  name?: string;
  /** Names of the cells this one uses, in the order written. */
  needs: string[];
}

/** The cells a cell uses, read from the schema's reference fields. */
export function references(cell: ParsedCell): string[] {
  const out: string[] = [];
  if (!cell.doc || !cell.kind || cell.kind === 'markdown') return out;
  const body = cell.doc.get(cell.kind, true);
  walkSchema(cellSchema(cell.kind), body, (node, schema) => {
    if (schema['x-ref'] && isScalar(node) && typeof node.value === 'string' && !out.includes(node.value)) out.push(node.value);
  });
  return out;
}

/**
 * Steps in run order. With `only`, the named cells (by name or index) and everything they need, transitively.
 * References always point upwards in a valid recipe, so file order is a topological order.
 */
export function planRecipe(cells: RecipeCell[], only?: (string | number)[]): PlanStep[] {
  const parsed = cells.map(parseCell);
  const steps = parsed
    .filter((c) => c.kind && c.kind !== 'markdown' && !c.empty)
    .map((c): PlanStep => ({ cell: c.index, kind: c.kind!, ...(c.name !== undefined ? { name: c.name } : {}), needs: references(c) }));
  if (!only) return steps;
  const byName = new Map(steps.filter((s) => s.name !== undefined).map((s) => [s.name!, s]));
  const wanted = new Set<number>();
  const visit = (s: PlanStep | undefined) => {
    if (!s || wanted.has(s.cell)) return;
    wanted.add(s.cell);
    for (const n of s.needs) visit(byName.get(n));
  };
  for (const o of only) visit(typeof o === 'number' ? steps.find((s) => s.cell === o) : byName.get(o));
  return steps.filter((s) => wanted.has(s.cell));
}
