// Parses each cell's YAML into a document that keeps source ranges, and reads the cell's kind and name.
import { Document, isMap, isScalar, isSeq, Node, Pair, parseDocument, YAMLMap } from 'yaml';
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
  /** Offsets where each line of `text` starts. */
  lineStarts: number[];
  text: string;
  /** The cell holds only comments and blank lines. */
  empty: boolean;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function parseCell(cell: RecipeCell, index: number): ParsedCell {
  const text = cell.value;
  const lineStarts = lineStartsOf(text);
  if (cell.kind === 'markup') {
    return { index, kind: 'markdown', kindKey: 'markdown', lineStarts, text, empty: false };
  }
  const empty = text.split('\n').every((l) => /^\s*(#.*)?$/.test(l));
  // logLevel 'error': the library's warnings (a list or mapping used as a key) would go to the process's stderr;
  // the validator reports them on the cell instead
  const doc = parseDocument(text, { prettyErrors: false, merge: true, uniqueKeys: true, strict: true, logLevel: 'error' });
  const out: ParsedCell = { index, doc, lineStarts, text, empty };
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
  const a = positionOf(cell, start);
  const b = positionOf(cell, Math.max(end, start));
  return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}

function positionOf(cell: ParsedCell, offset: number): { line: number; col: number } {
  const o = Math.max(0, Math.min(offset, cell.text.length));
  const starts = cell.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= o) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, col: o - starts[lo] };
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
