// Hover inside a cell: what a key means (from the schema), or which cell a reference names.
import { parseCell } from './cells';
import { containerPath, keyLine } from './linePath';
import { accepts, resolve, schemaAt } from './schemaNav';
import type { RecipeCell } from './text';

export interface HoverInfo {
  markdown: string;
  line: number;
  startCol: number;
  endCol: number;
}

export function hoverAt(cells: RecipeCell[], cellIndex: number, line: number, col: number): HoverInfo | undefined {
  const cell = cells[cellIndex];
  if (!cell || cell.kind !== 'code') return undefined;
  const lines = cell.value.split('\n');
  const text = lines[line] ?? '';
  const k = keyLine(text);
  if (!k) return undefined;
  const path = [...containerPath(lines, line, k.indent, k.dash), k.key];
  const keyStart = text.indexOf(k.key, k.indent);
  const keyEnd = keyStart + k.key.length;
  if (col >= keyStart && col <= keyEnd) {
    const s = schemaAt(path);
    if (!s) return undefined;
    const title = path.length === 1 ? `**${k.key}** cell` : `**${k.key}**: ${accepts(s)}`;
    return { markdown: `${title}\n\n${s.description ?? ''}`.trim(), line, startCol: keyStart, endCol: keyEnd };
  }
  // A reference: the name under the cursor, on a key whose schema names cells.
  const s = resolve(schemaAt(path));
  const kinds = s?.['x-ref'] ?? resolve(s?.items)?.['x-ref'];
  if (!kinds) return undefined;
  const left = /[\w.-]*$/.exec(text.slice(0, col))![0];
  const right = /^[\w.-]*/.exec(text.slice(col))![0];
  const name = left + right;
  if (!name) return undefined;
  for (let i = 0; i < cells.length; i++) {
    const c = parseCell(cells[i], i);
    if (c.name === name && c.kind) {
      return { markdown: `\`${name}\`: the ${c.kind} cell ${i + 1}${i > cellIndex ? ' (below this one: move it above)' : ''}`, line, startCol: col - left.length, endCol: col + right.length };
    }
  }
  return undefined;
}
