// The shape of a `application/vnd.lorabias.output+json` output, and a forgiving reader for it: whatever
// arrives, the renderer gets something it can draw (an unreadable payload becomes an error to show).
export const OUTPUT_MIME = 'application/vnd.lorabias.output+json';

export type Cell = string | number | boolean | null;

export interface LorabiasOutput {
  title: string;
  text?: string;
  table?: { columns: string[]; rows: Cell[][] };
  error?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toCell(v: unknown): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return v === undefined ? null : JSON.stringify(v);
}

/** Reads an output payload; never throws. */
export function readOutput(payload: unknown): LorabiasOutput {
  if (!isRecord(payload)) {
    return { title: 'Unreadable output', error: `Expected an object, got ${Array.isArray(payload) ? 'an array' : typeof payload}.` };
  }
  const out: LorabiasOutput = { title: typeof payload.title === 'string' && payload.title ? payload.title : 'Output' };
  if (typeof payload.text === 'string') out.text = payload.text;
  if (typeof payload.error === 'string') out.error = payload.error;
  const table = payload.table;
  if (isRecord(table) && Array.isArray(table.columns) && Array.isArray(table.rows)) {
    out.table = {
      columns: table.columns.map((c) => String(c)),
      rows: table.rows.filter(Array.isArray).map((row) => (row as unknown[]).map(toCell)),
    };
  } else if (table !== undefined) {
    out.error = [out.error, 'The table in this output has no `columns` and `rows` lists.'].filter(Boolean).join('\n');
  }
  return out;
}
