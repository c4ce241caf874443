// Text from files, captions, tags and recipes, made safe to put in the markdown the cells write (the notebook's
// text/markdown fallback, which VS Code renders with HTML allowed, and the CLI's text). Nothing given to these
// functions can start markup: no tag, no link, no emphasis, no code span that ends early, no broken table.

/** Every ASCII punctuation character: CommonMark lets any of them be escaped with a backslash. */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** `s` as literal text in a paragraph or a table cell (line breaks become spaces). */
export function mdText(s: string): string {
  return String(s).replace(/[\r\n]+/g, ' ').replace(PUNCTUATION, (c) => `\\${c}`);
}

/**
 * `s` as an inline code span whatever it holds: the fence is one backtick longer than the longest run of
 * backticks inside, padded with a space where the content starts or ends with a backtick. Code spans show their
 * content literally (no HTML, no emphasis). In a table cell, pipes are escaped as GFM tables require.
 */
export function mdCode(s: string, opts: { inTable?: boolean } = {}): string {
  let text = String(s).replace(/[\r\n]+/g, ' ');
  if (opts.inTable) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim()) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Undoes mdText's backslashes for plain-text output (the CLI's summary lines). */
export function plainFromMarkdown(s: string): string {
  return s.replace(/\*\*/g, '').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}
