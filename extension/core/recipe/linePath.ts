// Where in a cell's structure a line sits, read from indentation alone. Completion runs on half-typed text that
// does not parse, so it cannot rely on the YAML tree; block-style recipes make indentation a faithful guide.

const KEY_LINE = /^(\s*)(-\s+)?([^\s#:'"[\]{},-][^:#]*?|'[^']*'|"[^"]*")\s*:(?=\s|$)/;

export interface KeyLine {
  /** Column of the key. */
  indent: number;
  /** Column of a `- ` that opens a list item on this line, if any. */
  dash?: number;
  key: string;
}

export function keyLine(line: string): KeyLine | undefined {
  const m = KEY_LINE.exec(line);
  if (!m) return undefined;
  const key = m[3].replace(/^['"]|['"]$/g, '');
  return { indent: m[1].length + (m[2]?.length ?? 0), key, ...(m[2] ? { dash: m[1].length } : {}) };
}

const isBlank = (l: string) => /^\s*(#.*)?$/.test(l);

/**
 * The path of keys ('[]' for a list item) to the mapping that holds a key written at `indent` on line `at`.
 * `dash`: the line opens a list item with `- ` at this column; the path then ends inside that item.
 */
export function containerPath(lines: string[], at: number, indent: number, dash?: number): string[] {
  const path: string[] = [];
  let want = indent;
  // Looking for the key that owns a list whose items start at column `seqAt`.
  let seqAt: number | undefined = dash;
  if (dash !== undefined) path.unshift('[]');
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i];
    if (isBlank(l)) continue;
    const k = keyLine(l);
    if (seqAt !== undefined) {
      if (k && k.dash === undefined && k.indent <= seqAt) {
        path.unshift(k.key);
        seqAt = undefined;
        want = k.indent;
        if (want === 0) break;
      } else if (k && k.dash !== undefined && k.dash < seqAt) {
        // A list item that opens a mapping whose key owns our list.
        path.unshift(k.key);
        path.unshift('[]');
        seqAt = k.dash;
      }
      continue;
    }
    if (!k) continue;
    if (k.dash !== undefined && k.indent === want) {
      // A sibling key on the line that opened the list item we are in.
      path.unshift('[]');
      seqAt = k.dash;
      continue;
    }
    if (k.indent < want) {
      path.unshift(k.key);
      want = k.indent;
      if (k.dash !== undefined) {
        path.unshift('[]');
        seqAt = k.dash;
        continue;
      }
      if (want === 0) break;
    }
  }
  return path;
}

/** Keys already written in the mapping that holds line `at` (its siblings at the same indentation). */
export function siblingKeys(lines: string[], at: number, indent: number): Set<string> {
  const keys = new Set<string>();
  const scan = (from: number, step: number) => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const l = lines[i];
      if (isBlank(l)) continue;
      const lead = /^(\s*)/.exec(l)![1].length;
      const k = keyLine(l);
      if (k && k.indent === indent) {
        if (k.dash !== undefined && step > 0) return;
        keys.add(k.key);
        if (k.dash !== undefined) return;
        continue;
      }
      if (lead < indent) return;
    }
  };
  scan(at - 1, -1);
  scan(at + 1, 1);
  return keys;
}
