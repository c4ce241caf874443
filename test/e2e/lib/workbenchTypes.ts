// What the e2e workbench driver reads back from the page, and the small DOM helpers its parts share.
import type { Locator } from 'playwright-core';

export const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

/** A row of the Problems panel: line and column are 1-based, as shown. */
export interface ShownProblem { message: string; source: string; code: string; line: number; col: number; severity: string; resource: string }
/** An entry of the suggest widget. */
export interface Suggestion { label: string; kind: string }
export interface CellInfo { kind: 'code' | 'markup'; text: string; language: string }
/** One rendered output of a cell: its text, and the images it shows (with whether each has loaded). */
export interface CellOutput {
  text: string;
  /** `src` is the image URL's scheme: `blob`/`data` for an `image/png` output, a webview resource for the renderer's. */
  images: { width: number; height: number; loaded: boolean; src: string }[];
}
/** What a cell's gutter and status bar show about its last run. */
export interface CellRunState {
  /** The execution order shown as `[n]`, if any. */
  order?: number;
  status: 'idle' | 'pending' | 'running' | 'success' | 'error';
}

/** A notebook cell's list row (not the rows of lists inside it, such as the suggest widget's). */
export function cellRowSelector(index: number): string {
  const at = `[aria-posinset="${index + 1}"]`;
  return `.cell-list-container .monaco-list-row.code-cell-row${at}, .cell-list-container .monaco-list-row.markdown-cell-row${at}`;
}

/** The text of a cell's Monaco editor, with the non-breaking spaces Monaco renders turned back into spaces. */
export async function editorText(row: Locator): Promise<string> {
  const lines = await row.locator('.monaco-editor .view-lines .view-line').evaluateAll((els) =>
    els.map((el) => ({ top: parseFloat((el as HTMLElement).style.top) || 0, text: (el as HTMLElement).innerText })));
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, ' ')).join('\n');
}
