// The small markdown the cells write (core/dataset/markdown.ts, the preview and training summaries), drawn as
// DOM nodes — never through innerHTML, so no text in an output can become markup: paragraphs (line breaks
// kept), `#` headings, `-` lists, pipe tables, **bold**, *emphasis*, `code` and backslash escapes.

function inline(doc: Document, text: string, into: HTMLElement): void {
  // tokens: `code`, **bold**, *em* / _em_, \x escapes; links keep their text only
  // a code span's fence is a run of backticks closed by a run of the same length (so it can hold backticks)
  const re = /(?<!`)(`+)(?!`)(.*?[^`])\1(?!`)|\*\*(.+?)\*\*|(?<![\w\\])[*_](?!\s)(.+?)(?<![\s\\])[*_](?!\w)|\\([!-/:-@[-`{-~])|\[([^\]]+)\]\([^)]*\)/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) into.append(text.slice(at, m.index));
    if (m[2] !== undefined) into.appendChild(doc.createElement('code')).textContent = /^ .* $/.test(m[2]) && m[2].trim() ? m[2].slice(1, -1) : m[2];
    else if (m[3] !== undefined) inline(doc, m[3], into.appendChild(doc.createElement('strong')));
    else if (m[4] !== undefined) inline(doc, m[4], into.appendChild(doc.createElement('em')));
    else if (m[5] !== undefined) into.append(m[5]);
    else if (m[6] !== undefined) inline(doc, m[6], into);
    at = m.index + m[0].length;
  }
  if (at < text.length) into.append(text.slice(at));
}

/** Splits a table row on unescaped pipes. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  const s = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') { cur += '|'; i++; } else if (s[i] === '|') { out.push(cur.trim()); cur = ''; } else cur += s[i];
  }
  out.push(cur.trim());
  return out;
}

const isTableRule = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

/** Appends the markdown `text` to `into` as DOM. */
export function drawMarkdown(doc: Document, text: string, into: HTMLElement): void {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      inline(doc, heading[2], into.appendChild(doc.createElement('h4')));
      i++;
      continue;
    }
    if (line.trim().startsWith('|') && i + 1 < lines.length && isTableRule(lines[i + 1])) {
      const align = cells(lines[i + 1]).map((c) => (c.endsWith(':') ? 'num' : ''));
      const table = into.appendChild(doc.createElement('table'));
      const head = table.createTHead().insertRow();
      for (const c of cells(line)) inline(doc, c, head.appendChild(doc.createElement('th')));
      const body = table.createTBody();
      for (i += 2; i < lines.length && lines[i].trim().startsWith('|'); i++) {
        const tr = body.insertRow();
        cells(lines[i]).forEach((c, k) => {
          const td = tr.insertCell();
          if (align[k]) td.className = align[k];
          inline(doc, c, td);
        });
      }
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const list = into.appendChild(doc.createElement('ul'));
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]); i++) inline(doc, lines[i].replace(/^\s*[-*]\s+/, ''), list.appendChild(doc.createElement('li')));
      continue;
    }
    const p = into.appendChild(doc.createElement('p'));
    let first = true;
    for (; i < lines.length && lines[i].trim() && !/^(#{1,6})\s|^\s*[-*]\s+/.test(lines[i]) && !(lines[i].trim().startsWith('|') && isTableRule(lines[i + 1] ?? '')); i++) {
      if (!first) p.appendChild(doc.createElement('br'));
      inline(doc, lines[i], p);
      first = false;
    }
  }
}
