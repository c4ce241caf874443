// The e2e driver's editing vocabulary: hovers, suggestions, the Problems panel and quick fixes.
import { MOD, type ShownProblem, type Suggestion } from './workbenchTypes';
import { WorkbenchCore } from './workbenchCore';

export class EditingWorkbench extends WorkbenchCore {
  /** Hovers the mouse over the first occurrence of `word` in cell `index` and returns the hover's text (left open). */
  async hover(index: number, word: string): Promise<string> {
    const row = await this.cell(index);
    const token = row.locator('.view-line span span', { hasText: new RegExp(`^${word}$`) }).first();
    await token.hover();
    const widget = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
    await widget.waitFor({ timeout: 10_000 });
    return (await widget.innerText()).trim();
  }

  /**
   * Opens the suggest widget at the cursor (Ctrl+Space) and returns every entry it offers, with its kind
   * (`property`, `enum-member`, `reference`, `snippet`, …, from the entry's icon). The list is virtual, so it
   * is paged through; the widget is left open on the last page.
   */
  async suggestions(): Promise<Suggestion[]> {
    await this.page.keyboard.press(`${MOD}+Space`);
    const rows = this.page.locator('.editor-widget.suggest-widget.visible .monaco-list-row');
    await rows.first().waitFor({ timeout: 10_000 });
    await this.page.waitForTimeout(300);
    const total = Number(await rows.first().getAttribute('aria-setsize'));
    const seen = new Map<number, Suggestion>();
    for (let page = 0; page < 20 && seen.size < total; page++) {
      const visible = await rows.evaluateAll((els) => els.map((el) => ({
        at: Number(el.getAttribute('aria-posinset')),
        label: (el.querySelector('.label-name') as HTMLElement | null)?.innerText.trim() ?? '',
        kind: /codicon-symbol-([\w-]+)/.exec(el.querySelector('.suggest-icon')?.className ?? '')?.[1] ?? '',
      })));
      for (const { at, label, kind } of visible) seen.set(at, { label, kind });
      await this.page.keyboard.press('PageDown');
    }
    return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  }

  /**
   * Opens the Problems panel and reads its entries (message, 1-based line and column), waiting up to `timeout`
   * for them to satisfy `until` (by default: at least one entry) since diagnostics follow edits after a pause.
   */
  async readProblems({ until = (p: ShownProblem[]) => p.length > 0, timeout = 10_000 } = {}): Promise<ShownProblem[]> {
    await this.runCommand('View: Focus Problems');
    const end = Date.now() + timeout;
    for (;;) {
      const parsed = await this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => {
        const out: ShownProblem[] = [];
        let resource = '';
        for (const el of els) {
          const [message, source, code, where, file] = ['.marker-message', '.marker-source', '.marker-code', '.marker-line', '.label-name']
            .map((sel) => (el.querySelector(sel) as HTMLElement | null)?.innerText.trim() ?? '');
          if (!el.querySelector('.marker-message')) {
            resource = file;   // a file row: the problems below it are in that file
            continue;
          }
          const at = /Ln\s*(\d+),\s*Col\s*(\d+)/.exec(where);
          out.push({
            message, source, code, resource,
            line: at ? Number(at[1]) : NaN,
            col: at ? Number(at[2]) : NaN,
            severity: el.querySelector('.marker-icon')?.className.match(/\b(error|warning|info)\b/)?.[1] ?? '',
          });
        }
        return out;
      });
      if (until(parsed) || Date.now() > end) return parsed;
      await this.page.waitForTimeout(250);
    }
  }

  async problemsPanelVisible(): Promise<boolean> {
    return this.page.locator('.markers-panel').isVisible();
  }

  async closePanel(): Promise<void> {
    await this.runCommand('View: Hide Panel');
    await this.page.locator('.markers-panel').waitFor({ state: 'hidden' }).catch(() => undefined);
  }

  /** Opens the location of the Problems panel entry whose message matches: its cell, line and column. */
  async gotoProblem(message: RegExp): Promise<void> {
    await this.runCommand('View: Focus Problems');
    const row = this.page.locator('.markers-panel .monaco-list-row', { has: this.page.locator('.marker-message', { hasText: message }) }).first();
    await row.click();
    await this.page.keyboard.press('Enter');
    await this.page.waitForTimeout(300);
  }

  /** Opens the quick-fix menu at the cursor, picks the entry matching `title`, and returns its text. */
  async applyQuickFix(title: RegExp): Promise<string> {
    await this.page.keyboard.press(`${MOD}+Period`);
    const menu = this.page.locator('.action-widget');
    await menu.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
    // the menu sits under a pointer-blocking overlay: choose with the keyboard, as a user would
    const rows = await menu.locator('.monaco-list-row').count();
    for (let i = 0; i <= rows; i++) {
      const focused = ((await menu.locator('.monaco-list-row.focused').first().innerText().catch(() => '')) || '').trim();
      if (title.test(focused)) {
        await this.page.keyboard.press('Enter');
        await menu.waitFor({ state: 'hidden' }).catch(() => undefined);
        return focused;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no quick fix matching ${title} could be selected`);
  }
}
