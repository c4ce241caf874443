// Completion inside a cell, from the schema: cell kinds, keys, enum values and the names of earlier cells.
import { parseCell } from './cells';
import { containerPath, keyLine, siblingKeys } from './linePath';
import { accepts, cellSchema, hasType, resolve, schemaAt, SchemaNode } from './schemaNav';
import type { RecipeCell } from './text';
import { BUILTIN_MODELS } from './validate';

export interface CompletionEntry {
  label: string;
  kind: 'key' | 'value' | 'reference' | 'snippet';
  insertText: string;
  /** insertText uses snippet syntax (`${1:name}`). */
  isSnippet?: boolean;
  detail?: string;
  documentation?: string;
  /** Column where the word being replaced starts (on the same line). */
  replaceStart?: number;
  /** Ask for completion again after inserting (a key whose value has choices). */
  retrigger?: boolean;
  /** Order among the entries. */
  sortText?: string;
}

const WORD = /[\w.:-]*$/;

export function completeAt(cells: RecipeCell[], cellIndex: number, line: number, col: number): CompletionEntry[] {
  const cell = cells[cellIndex];
  if (!cell || cell.kind !== 'code') return [];
  const lines = cell.value.split('\n');
  const before = (lines[line] ?? '').slice(0, col);
  const word = WORD.exec(before)![0];
  const replaceStart = col - word.length;

  // `key: value|` or `key: [a, b|` or `key: {bias: b|`
  const k = keyLine(before);
  if (k && before.length > k.indent + k.key.length) {
    const rest = before.slice(before.indexOf(':', k.indent + k.key.length) + 1);
    const path = [...containerPath(lines, line, k.indent, k.dash), k.key];
    let schema = schemaAt(path);
    const flow = /[[{,]\s*(?:([\w-]+)\s*:\s*)?[\w.:-]*$/.exec(rest);
    if (flow && schema) {
      if (rest.lastIndexOf('[') > rest.lastIndexOf(']')) schema = resolve(schema.items);
      if (flow[1]) schema = resolve(resolve(schema)?.properties?.[flow[1]]);
      else if (rest.lastIndexOf('{') > rest.lastIndexOf('}')) return withRange(keyEntries(schema, new Set(), true), replaceStart);
    } else if (rest.trim() !== word && rest.trim() !== '') {
      return [];
    }
    return withRange(valueEntries(schema, cells, cellIndex, path), replaceStart);
  }

  // `  word|` (a key being typed) or `  - word|` (a list item)
  const m = /^(\s*)(-\s+)?[\w-]*$/.exec(before);
  if (!m) return [];
  const dash = m[2] ? m[1].length : undefined;
  const indent = m[1].length + (m[2]?.length ?? 0);
  if (indent === 0) {
    const kind = parseCell(cell, cellIndex).kindKey;
    const otherKindLine = lines.some((l, i) => i !== line && /^[^\s#-]/.test(l));
    return otherKindLine && kind ? [] : withRange(kindEntries(), replaceStart);
  }
  const path = containerPath(lines, line, indent, dash);
  if (path.length === 0) return [];
  let schema = schemaAt(path);
  if (dash !== undefined && schema && !hasType(schema, 'object')) {
    return withRange(valueEntries(schema, cells, cellIndex, path), replaceStart);
  }
  const entries: CompletionEntry[] = [];
  if (dash !== undefined && schema?.['x-ref']) entries.push(...valueEntries(schema, cells, cellIndex, path));
  const present = dash !== undefined ? new Set<string>() : siblingKeys(lines, line, indent);
  entries.push(...keyEntries(schema, present, false));
  return withRange(entries, replaceStart);
}

function withRange(entries: CompletionEntry[], replaceStart: number): CompletionEntry[] {
  return entries.map((e) => ({ ...e, replaceStart }));
}

function firstSentence(s?: string): string | undefined {
  return s?.split(/(?<=\.)\s/)[0];
}

function kindEntries(): CompletionEntry[] {
  const root = cellSchema()!;
  return Object.entries(root.properties ?? {}).map(([kind, raw], i) => {
    const s = resolve(raw)!;
    let body = `${kind}:`;
    if (kind === 'markdown') body += ' |\n  ${1:# Title}';
    else {
      let n = 0;
      for (const req of s.required ?? []) body += `\n  ${req}: \${${++n}}`;
      body += '\n  $0';
    }
    return { label: kind, kind: 'snippet', insertText: body, isSnippet: true, detail: `${kind} cell`, documentation: s.description, sortText: String(i).padStart(2, '0') };
  });
}

function keyEntries(schema: SchemaNode | undefined, present: Set<string>, inline: boolean): CompletionEntry[] {
  const props = resolve(schema)?.properties;
  if (!props) return [];
  const required = new Set(resolve(schema)?.required ?? []);
  return Object.entries(props)
    .filter(([key]) => !present.has(key))
    .map(([key, raw], i) => {
      const s = resolve(raw)!;
      const nested = hasType(s, 'object') && !hasType(s, 'string') && s.properties && !inline;
      const choices = Boolean(s.enum || s['x-ref'] || hasType(s, 'boolean'));
      return {
        label: key,
        kind: 'key' as const,
        insertText: nested ? `${key}:\n  ` : `${key}: `,
        detail: accepts(s) + (required.has(key) ? ' (required)' : ''),
        documentation: s.description,
        retrigger: choices,
        sortText: (required.has(key) ? '0' : '1') + String(i).padStart(2, '0'),
      };
    });
}

function valueEntries(schema: SchemaNode | undefined, cells: RecipeCell[], cellIndex: number, path: string[]): CompletionEntry[] {
  const s = resolve(schema);
  if (!s) return [];
  const target = s['x-ref'] ? s : hasType(s, 'array') ? resolve(s.items) : s;
  if (!target) return [];
  const out: CompletionEntry[] = [];
  for (const e of target.enum ?? []) {
    out.push({ label: String(e), kind: 'value', insertText: String(e), documentation: firstSentence(target.description) });
  }
  if (hasType(target, 'boolean')) for (const b of ['true', 'false']) out.push({ label: b, kind: 'value', insertText: b });
  if (path[path.length - 1] === 'checkpoint') {
    for (const b of BUILTIN_MODELS) out.push({ label: b, kind: 'value', insertText: b, detail: 'embedded model, runs on CPU' });
  }
  const kinds = target['x-ref'];
  if (kinds) {
    for (let i = 0; i < cellIndex; i++) {
      const c = parseCell(cells[i], i);
      if (c.kind && kinds.includes(c.kind) && c.name) {
        out.push({ label: c.name, kind: 'reference', insertText: c.name, detail: `${c.kind} cell ${i + 1}` });
      }
    }
  }
  return out;
}
