// A `.lorabias` file is a YAML stream: one document per notebook cell. This module splits the text into cells
// and joins cells back into text so that an untouched file comes back byte for byte (BOM, CRLF, separators with
// comments, blank lines, trailing whitespace), while edited or new cells are written in the plain house style.
import { Document, isMap, isScalar, parseDocument, Scalar } from 'yaml';

export type CellKind = 'code' | 'markup';

/** Opaque round-trip data kept beside a cell; given back unchanged on save. */
export interface CellMeta {
  /** The separator line that opened this cell (`---` with any comment), including its line end. */
  sep?: string;
  /** The cell's exact original text, including line ends and trailing blank lines. */
  raw?: string;
}

export interface RecipeCell {
  kind: CellKind;
  /**
   * Code cells: the YAML text with LF line ends. Markup cells: the markdown text. Every line break (CRLF, and a
   * lone CR, which VS Code also turns into LF) reads as LF, so this is the text the editor shows.
   */
  value: string;
  meta?: CellMeta;
}

export interface RecipeFile {
  cells: RecipeCell[];
  bom: boolean;
  eol: '\n' | '\r\n';
}

const SEPARATOR = /^---(?=[ \t]|\r?\n|$)/;

/** Decodes bytes as UTF-8, keeping a BOM as U+FEFF; reports the offset of the first invalid byte, if any. */
export function decodeRecipe(bytes: Uint8Array): { text: string; invalidUtf8At?: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    return { text, invalidUtf8At: firstInvalidUtf8(bytes) };
  }
}

export function encodeRecipe(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  // Binary search for the longest valid prefix (a cut inside a multi-byte character also fails, so step back 3).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      dec.decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}

/** Splits recipe text into cells. `cellLines[i]` is the 0-based file line where cell i's text starts. */
export function parseRecipeText(input: string): RecipeFile & { cellLines: number[] } {
  const bom = input.startsWith('\uFEFF');
  const text = bom ? input.slice(1) : input;
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  const eol: '\n' | '\r\n' = crlf > lf ? '\r\n' : '\n';

  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const segments: { sep?: string; raw: string; line: number }[] = [];
  let current: { sep?: string; raw: string; line: number } = { raw: '', line: 0 };
  // File lines as an editor counts them: a lone CR inside a line breaks it too.
  let fileLine = 0;
  for (const line of lines) {
    if (SEPARATOR.test(line)) {
      segments.push(current);
      current = { sep: line, raw: '', line: fileLine + 1 };
    } else {
      current.raw += line;
    }
    fileLine += 1 + loneCRs(line);
  }
  segments.push(current);
  // Text before the first separator is a cell only if it holds something (an empty preamble is just "no text").
  if (segments.length > 1 && segments[0].raw === '') segments.shift();
  if (segments.length === 1 && segments[0].raw === '' && segments[0].sep === undefined) segments.shift();

  const cells = segments.map((s): RecipeCell => {
    const meta: CellMeta = { raw: s.raw };
    if (s.sep !== undefined) meta.sep = s.sep;
    const value = codeValue(s.raw);
    const markdown = markdownOf(value);
    return markdown === undefined ? { kind: 'code', value, meta } : { kind: 'markup', value: markdown, meta };
  });
  return { cells, bom, eol, cellLines: segments.map((s) => s.line) };
}

/**
 * Joins cells into recipe text; untouched cells give back their original bytes. Linear in the size of the file:
 * the pieces are collected and joined once (appending to one string and looking at its end after every cell
 * made V8 flatten the growing string each time, which was quadratic).
 */
export function serializeRecipe(file: RecipeFile): string {
  const { eol } = file;
  const parts: string[] = [];
  let lastChar = '';
  const put = (s: string) => {
    if (s === '') return;
    parts.push(s);
    lastChar = s[s.length - 1];
  };
  if (file.bom) put('\uFEFF');
  const last = file.cells.length - 1;
  file.cells.forEach((cell, i) => {
    const meta = cell.meta ?? {};
    let sep = meta.sep;
    if (sep === undefined && (i > 0 || meta.raw === undefined)) sep = i === 0 ? '' : '---' + eol;
    put(sep ?? '');
    const raw = meta.raw;
    if (raw !== undefined && sameContent(cell, raw)) {
      put(raw);
    } else {
      const body = cell.kind === 'markup' ? markdownDocument(cell.value) : cell.value;
      put(body === '' ? '' : toEol(body.replace(/\n*$/, '\n'), eol));
    }
    // A cell must end with a line end before the next separator, or the separator would join its last line.
    if (i < last && parts.length && lastChar !== '\n') put(eol);
  });
  return parts.join('');
}

/** Whether a cell's text is still what its original bytes show in the editor (line breaks read as LF). */
function sameContent(cell: RecipeCell, raw: string): boolean {
  const value = codeValue(raw);
  const now = editorText(cell.value);
  if (cell.kind === 'code') return value === now;
  // a quoted scalar can hold a CR of its own (`"a\rb"`), which the editor also shows as a line break
  const markdown = markdownOf(value);
  return markdown !== undefined && editorText(markdown) === now;
}

/** Text as VS Code holds it: CRLF and lone CR become LF. */
export function editorText(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function loneCRs(line: string): number {
  let n = 0;
  for (let i = line.indexOf('\r'); i >= 0; i = line.indexOf('\r', i + 1)) if (line[i + 1] !== '\n') n++;
  return n;
}

function codeValue(raw: string): string {
  return editorText(raw).replace(/\n+$/, '');
}

function toEol(text: string, eol: string): string {
  return eol === '\n' ? text : text.replace(/\n/g, eol);
}

/** The markdown of a `markdown: <string>` document that holds nothing else (no comments, no other keys). */
export function markdownOf(value: string): string | undefined {
  if (!/^markdown\s*:/.test(value)) return undefined;
  let doc: Document;
  try {
    doc = parseDocument(value, { keepSourceTokens: false });
  } catch {
    return undefined;
  }
  if (doc.errors.length || doc.warnings.length || doc.commentBefore || doc.comment) return undefined;
  const map = doc.contents;
  if (!isMap(map) || map.items.length !== 1 || map.comment || map.commentBefore) return undefined;
  const pair = map.items[0];
  if (!isScalar(pair.key) || pair.key.value !== 'markdown' || !isScalar(pair.value)) return undefined;
  const scalar = pair.value as Scalar;
  if (typeof scalar.value !== 'string' || scalar.comment || scalar.commentBefore || pair.key.commentBefore) return undefined;
  // Block scalars keep a final newline (`|`); the notebook shows the text without it.
  return scalar.value.replace(/\n$/, '');
}

/** A `markdown: |` document for markdown text (used for edited or new markdown cells). */
export function markdownDocument(markdown: string): string {
  const doc = new Document({ markdown: markdown === '' ? '' : markdown + '\n' });
  const pair = (doc.contents as unknown as { items: { value: Scalar }[] }).items[0];
  pair.value.type = markdown === '' ? Scalar.QUOTE_DOUBLE : Scalar.BLOCK_LITERAL;
  return doc.toString({ lineWidth: 0 }).replace(/\n$/, '');
}
