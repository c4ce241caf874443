// The e2e driver's base: the workbench window itself (commands, files, editors, notebook cells, notifications,
// the status bar, screenshots). workbenchEditing.ts adds the language features, workbench.ts running cells.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { type CellInfo, cellRowSelector, editorText, MOD } from './workbenchTypes';

export class WorkbenchCore {
  protected readonly consoleLines: string[] = [];
  private shots = 0;

  protected constructor(readonly page: Page, private readonly context: BrowserContext, private readonly profile: string,
    readonly artifacts: string) {
    page.on('console', (m) => this.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`pageerror: ${e.message}`));
  }

  /** Answers the "Do you trust the authors of the files in this folder?" dialog of a Workspace Trust run. */
  async answerTrustPrompt(trust: boolean): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.locator('.monaco-button', { hasText: trust ? /Yes, I trust/ : /No, I don't trust/ }).first().click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** Whether the workbench shows the Restricted Mode indicator (an untrusted workspace). */
  async inRestrictedMode(): Promise<boolean> {
    return this.page.locator('#status\\.workspaceTrust, .statusbar-item', { hasText: /Restricted Mode/ }).first().isVisible();
  }

  async close(): Promise<void> {
    fs.writeFileSync(path.join(this.artifacts, 'browser-console.log'), this.consoleLines.join('\n') + '\n');
    await this.context.close().catch(() => undefined);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }

  /** Saves a numbered screenshot under the artifacts folder and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    return file;
  }

  /**
   * Runs a command from the palette by its title. Extension commands appear only once the extension host
   * has registered them, and the open palette does not refresh, so it is reopened until the entry shows.
   * Set `opensPicker` for a command that opens a quick pick of its own.
   */
  async runCommand(title: string, { timeout = 60_000, opensPicker = false } = {}): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    const end = Date.now() + timeout;
    for (;;) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press(`${MOD}+Shift+KeyP`);
      await input.waitFor();
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ timeout: 1500 });
        break;
      } catch {
        if (Date.now() > end) throw new Error(`command "${title}" is not in the command palette after ${timeout} ms`);
        await this.page.waitForTimeout(750);
      }
    }
    // click the matching entry itself: Enter would take the top one, which may be a recently used other command
    await row.click();
    // a command that asks something next (`opensPicker`) keeps the quick input open
    if (!opensPicker) await input.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  }

  /** Opens a workspace file with Quick Open; a `.lorabias` file opens in the notebook editor. */
  async openFile(name: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press(`${MOD}+KeyP`);
    await input.waitFor();
    await input.fill(name);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** Reopens the active editor's file in the plain text editor ("Reopen Editor With…" → Text Editor). */
  async reopenAsText(): Promise<void> {
    await this.runCommand('View: Reopen Editor With...', { opensPicker: true });
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /^Text Editor/ }).first();
    await row.click();
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor();
  }

  /** The active notebook editor. */
  notebook(): Locator {
    // each open notebook keeps an overlay; only the active one is shown
    return this.page.locator('.notebookOverlay.notebook-editor').filter({ visible: true }).first();
  }

  async openNotebook(name: string): Promise<void> {
    await this.openFile(name);
    await this.waitForNotebook();
  }

  async waitForNotebook(titleMatch?: RegExp): Promise<void> {
    if (titleMatch) {
      await this.page.locator('.editor-group-container.active .tab.active', { hasText: titleMatch }).waitFor({ timeout: 30_000 });
    }
    // rows are attached before they have a size; Playwright calls a row without a box "hidden"
    await this.notebook().locator('.cell-list-container .monaco-list-row').first().waitFor({ state: 'attached', timeout: 30_000 });
    await this.page.waitForTimeout(300);
  }

  /** The active editor tab's label. */
  async activeTabTitle(): Promise<string> {
    return (await this.page.locator('.editor-group-container.active .tab.active .label-name').first().innerText()).trim();
  }

  /** Whether the active editor has unsaved changes. */
  async isDirty(): Promise<boolean> {
    return this.page.locator('.editor-group-container.active .tab.active.dirty').isVisible();
  }

  /**
   * Saves the active editor (Ctrl+S). Resolves when it is no longer dirty (`saved`), or when the workbench
   * reports that the save failed (`error` holds the message), or after `timeout`.
   */
  async save({ timeout = 10_000 } = {}): Promise<{ saved: boolean; error?: string }> {
    const failure = this.page.locator('.notification-toast .notification-list-item-message', { hasText: /^Failed to save/ }).first();
    await this.page.keyboard.press(`${MOD}+KeyS`);
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      if (await failure.isVisible()) return { saved: false, error: (await failure.innerText()).trim() };
      if (!(await this.isDirty())) return { saved: true };
      await this.page.waitForTimeout(100);
    }
    return { saved: false };
  }

  /** How many cells the notebook has (the list is virtual: read its size, not the rendered rows). */
  async cellCount(): Promise<number> {
    const size = await this.notebook().locator('.cell-list-container .monaco-list-row').first().getAttribute('aria-setsize');
    if (size === null) throw new Error('notebook cell rows carry no aria-setsize');
    return Number(size);
  }

  /** The rendered cell at `index` (0-based), scrolled into view. */
  async cell(index: number): Promise<Locator> {
    const row = this.notebook().locator(cellRowSelector(index));
    if (!(await row.count())) await this.revealCell(index);
    await row.waitFor({ state: 'attached' });
    return row;
  }

  protected async revealCell(index: number): Promise<void> {
    // focus the list, go to the first cell, then step down: the list renders rows as they come into view.
    // The list is focused through a cell editor in plain view: rendered rows can lie above the visible area,
    // and outputs are drawn by a webview over the list that takes the clicks.
    const list = this.notebook().locator('.cell-list-container');
    const visible = await list.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const editors = Array.from(el.querySelectorAll('.monaco-list-row.code-cell-row .cell-editor-part .view-lines'));
      const inView = editors.find((e) => {
        const r = e.getBoundingClientRect();
        return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom;
      });
      return inView ? inView.closest('.monaco-list-row')?.getAttribute('aria-posinset') ?? null : null;
    });
    if (visible) {
      await this.notebook().locator(`.cell-list-container .monaco-list-row.code-cell-row[aria-posinset="${visible}"] .cell-editor-part .view-lines`).first().click();
    } else {
      try {
        await this.notebook().locator('.cell-list-container .monaco-list-row').first().click({ position: { x: 4, y: 4 }, timeout: 5_000 });
      } catch {
        // a window reopened scrolled to its last cell can put that row's corner under the notebook toolbar
        await this.runCommand('Notebook: Focus First Cell');
      }
    }
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Home');
    for (let i = 0; i < index; i++) await this.page.keyboard.press('ArrowDown');
  }

  /** Kind, language and text of the cell at `index` (a markup cell's text is empty unless it is being edited). */
  async readCell(index: number): Promise<CellInfo> {
    const row = await this.cell(index);
    const isMarkup = await row.evaluate((el) => el.classList.contains('markdown-cell-row'));
    if (isMarkup) {
      // a rendered markdown cell draws its text in the output webview; its source shows only while editing
      return { kind: 'markup', text: await editorText(row), language: 'markdown' };
    }
    const language = (await row.locator('.cell-status-item', { hasText: /./ }).last().innerText()).trim();
    return { kind: 'code', text: await editorText(row), language };
  }

  /** Puts the cursor at the end of code cell `index`'s text, in edit mode. */
  async focusCellEnd(index: number): Promise<void> {
    // a click can leave the focus on the notebook's list instead of in the cell's editor (the list is still
    // laying out after a hover or a scroll); there MOD+End would go to the last cell, so the keys would edit
    // another cell. Click until this row's editor has the text focus.
    for (let attempt = 1; ; attempt++) {
      const row = await this.cell(index);
      await row.locator('.monaco-editor .view-lines').first().click();
      try {
        await row.locator('.monaco-editor.focused').first().waitFor({ state: 'attached', timeout: 2_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw new Error(`cell ${index}'s editor did not take the focus after 3 clicks: ${e}`);
        await this.page.keyboard.press('Escape');
      }
    }
    await this.page.keyboard.press(`${MOD}+End`);
  }

  /** Types into code cell `index`: at the end of its text, or replacing all of it. */
  async typeInCell(index: number, text: string, { replace = false } = {}): Promise<void> {
    await this.focusCellEnd(index);
    if (replace) {
      await this.page.keyboard.press(`${MOD}+KeyA`);
      await this.page.keyboard.press('Delete');
    }
    // insertText avoids the editor's auto-closing and auto-indent, so the cell gets exactly `text`
    for (const [i, line] of text.split('\n').entries()) {
      if (i > 0) {
        await this.page.keyboard.press('Enter');
        await this.page.keyboard.press('Shift+Home');
        await this.page.keyboard.press('Shift+Home');
        await this.page.keyboard.press('Delete');
      }
      if (line) await this.page.keyboard.insertText(line);
    }
  }

  /** Waits for a notification toast whose text matches, and returns the text. */
  async waitForNotification(text: RegExp, timeout = 10_000): Promise<string> {
    const toast = this.page.locator('.notification-toast .notification-list-item-message', { hasText: text }).first();
    await toast.waitFor({ timeout });
    return (await toast.innerText()).trim();
  }

  /** Texts of the notifications toasts currently shown. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  /** Texts of the status bar items whose text matches. */
  async statusBarItems(text: RegExp): Promise<string[]> {
    const items = this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: text });
    return (await items.allInnerTexts()).map((t) => t.trim());
  }

  /** Closes the active editor (Ctrl+W would close the browser tab in some setups: the command is used). */
  async closeActiveEditor(): Promise<void> {
    await this.runCommand('View: Close Editor');
  }

  /** Reloads the browser page, i.e. the whole workbench window, and waits for it to be ready again. */
  async reloadWindow(): Promise<void> {
    await this.page.reload({ waitUntil: 'domcontentloaded' });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
  }

  /** Text of every rendered output in the notebook's output webview (outputs live in nested iframes). */
  async readOutputs(): Promise<string[]> {
    const texts: string[] = [];
    for (const frame of this.page.frames()) {
      try {
        const found = await frame.evaluate(() =>
          // the notebook webview wraps each cell's outputs in an `.output_container` (VS Code's webview preload)
          Array.from(document.querySelectorAll<HTMLElement>('.output_container')).map((el) => el.innerText.trim()));
        texts.push(...found.filter(Boolean));
      } catch { /* frame went away */ }
    }
    return texts;
  }
}
