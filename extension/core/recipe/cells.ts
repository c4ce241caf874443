// Parses each cell's YAML into a document that keeps source ranges, and reads the cell's kind and name.
import { Document, isMap, isScalar, isSeq, LineCounter, Node, Pair, parseDocument, YAMLMap } from 'yaml';
import type { RecipeCell } from './text';
import schema from './recipe.schema.json';

export const CELL_KINDS = Object.keys(schema.properties) as CellKindName[];
export type CellKindName = keyof typeof schema.properties;

export interface ParsedCell {
  index: number;
  /** The cell's kind (its top-level key) when it is a known one. */
  kind?: CellKindName;
  /** The top-level key as written, known or not. */
  kindKey?: string;
  name?: string;
  doc?: Document;
  lines: LineCounter;
  text: string;
  /** The cell holds only comments and blank lines. */
  empty: boolean;
}

export function parseCell(cell: RecipeCell, index: number): ParsedCell {
  const lines = new LineCounter();
  if (cell.kind === 'markup') {
    return { index, kind: 'markdown', kindKey: 'markdown', lines, text: cell.value, empty: false };
  }
  const text = cell.value;
  const empty = text.split('\n').every((l) => /^\s*(#.*)?$/.test(l));
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true, strict: true });
  const out: ParsedCell = { index, doc, lines, text, empty };
  const contents = doc.contents;
  if (isMap(contents) && contents.items.length >= 1) {
    const key = contents.items[0].key;
    if (isScalar(key) && typeof key.value === 'string') {
      out.kindKey = key.value;
      if ((CELL_KINDS as string[]).includes(key.value)) out.kind = key.value as CellKindName;
    }
    const body = contents.items[0].value;
    if (isMap(body)) {
      const name = body.get('name', true);
      if (isScalar(name) && typeof name.value === 'string') out.name = name.value;
    }
  }
  return out;
}

/** The node at a path inside a document (through maps and sequences), or undefined. */
export function nodeAt(doc: Document, path: (string | number)[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) node = (node as YAMLMap).get(seg, true);
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node as Node | undefined;
}

/** The key/value pair for the last segment of a path (so that a problem can point at the key). */
export function pairAt(doc: Document, path: (string | number)[]): Pair | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isMap(parent)) return undefined;
  return parent.items.find((p) => isScalar(p.key) && p.key.value === last) as Pair | undefined;
}

export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** Converts a [start, end) offset range in the cell text to 0-based line/column positions. */
export function spanOf(cell: ParsedCell, start: number, end: number): Span {
  const a = cell.lines.linePos(Math.max(0, Math.min(start, cell.text.length)));
  const b = cell.lines.linePos(Math.max(0, Math.min(Math.max(end, start), cell.text.length)));
  return { line: a.line - 1, col: a.col - 1, endLine: b.line - 1, endCol: b.col - 1 };
}

export function nodeSpan(cell: ParsedCell, node: Node | undefined | null): Span | undefined {
  if (!node || !node.range) return undefined;
  return spanOf(cell, node.range[0], node.range[1]);
}

/** The span of a cell's kind key (where problems about the whole cell point). */
export function kindSpan(cell: ParsedCell): Span {
  const contents = cell.doc?.contents;
  if (isMap(contents) && contents.items.length) {
    const s = nodeSpan(cell, contents.items[0].key as Node);
    if (s) return s;
  }
  const firstLine = cell.text.split('\n').findIndex((l) => !/^\s*(#.*)?$/.test(l));
  const line = Math.max(0, firstLine);
  return { line, col: 0, endLine: line, endCol: (cell.text.split('\n')[line] ?? '').length };
}
