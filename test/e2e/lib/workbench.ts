// Drives the VS Code workbench in Chromium: the small vocabulary e2e tests are written in (open a notebook,
// run a command, type in a cell, read the Problems panel, the suggestions, the outputs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { KEEP_NAMES_SHIM } from './pageShim';
import { CHROMIUM, E2E_HOME, RESULTS_DIR } from './paths';

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

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

export class Workbench {
  private readonly consoleLines: string[] = [];
  private shots = 0;

  private constructor(readonly page: Page, private readonly context: BrowserContext, private readonly profile: string,
    readonly artifacts: string) {
    page.on('console', (m) => this.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`pageerror: ${e.message}`));
  }

  /**
   * Launches Chromium with a fresh profile (a folder made under `scratch`, removed by close()) and loads the
   * workbench at `url`. Screenshots and the browser console go to `artifacts`.
   */
  static async open(url: string, { artifacts = RESULTS_DIR, scratch = path.join(E2E_HOME, 'tmp') } = {}): Promise<Workbench> {
    fs.mkdirSync(artifacts, { recursive: true });
    fs.mkdirSync(scratch, { recursive: true });
    const profile = fs.mkdtempSync(path.join(scratch, 'chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1000 },
      // keep Chromium's crash database, dconf and nss files in the throwaway profile, not in $HOME
      env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: path.join(profile, 'config'), XDG_CACHE_HOME: path.join(profile, 'cache') },
    });
    await context.addInitScript({ content: KEEP_NAMES_SHIM });
    const page = context.pages()[0] ?? await context.newPage();
    const wb = new Workbench(page, context, profile, artifacts);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
    return wb;
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

  private async revealCell(index: number): Promise<void> {
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
      await this.notebook().locator('.cell-list-container .monaco-list-row').first().click({ position: { x: 4, y: 4 } });
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
    const row = await this.cell(index);
    await row.locator('.monaco-editor .view-lines').first().click();
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

  /**
   * Runs every cell ("Notebook: Run All"), answering the kernel picker with `kernel` if VS Code asks which
   * controller should run the notebook.
   */
  async runAll(kernel: RegExp): Promise<void> {
    await this.runCommand('Notebook: Run All', { opensPicker: true });
    await this.pickKernelIfAsked(kernel);
  }

  /** Picks `kernel` in the "Select Kernel" quick pick if it opens within a moment; otherwise does nothing. */
  async pickKernelIfAsked(kernel: RegExp, timeout = 3_000): Promise<boolean> {
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: kernel }).first();
    try {
      await row.waitFor({ timeout });
    } catch {
      await this.page.locator('.quick-input-widget input').waitFor({ state: 'hidden', timeout: 1_000 }).catch(() => undefined);
      return false;
    }
    await row.click();
    await this.page.locator('.quick-input-widget input').waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    return true;
  }

  /** Clicks cell `index`'s run button (left of its editor). */
  async runCell(index: number): Promise<void> {
    await this.clickCellRunButton(index, /Execute Cell|Run Cell/);
  }

  /** Clicks the stop button that replaces a running (or pending) cell's run button. */
  async stopCell(index: number): Promise<void> {
    await this.clickCellRunButton(index, /Stop|Cancel|Interrupt/);
  }

  /** Stops every running and waiting cell of the active notebook: its toolbar's "Stop Execution". */
  async stopAll(): Promise<void> {
    const button = this.notebook().locator('.notebook-toolbar-container .action-item', { hasText: /Stop Execution|Interrupt/ }).first();
    if (await button.isVisible()) await button.click();
    else await this.runCommand('Notebook: Stop Execution');
  }

  private async clickCellRunButton(index: number, label: RegExp): Promise<void> {
    const row = await this.cell(index);
    await row.locator('.cell-editor-part').first().hover();
    const all = await row.locator('.run-button-container .action-label').all();
    for (const b of all) {
      if (label.test((await b.getAttribute('aria-label')) ?? '')) {
        await b.click();
        return;
      }
    }
    const labels = await Promise.all(all.map((b) => b.getAttribute('aria-label')));
    throw new Error(`cell ${index + 1} has no button matching ${label}: ${JSON.stringify(labels)}`);
  }

  /** The execution order and run status cell `index` shows (its `[n]` label and status bar icon). */
  async cellRunState(index: number): Promise<CellRunState> {
    const row = await this.cell(index);
    return row.evaluate((el) => {
      const label = (el.querySelector('.execution-count-label') as HTMLElement | null)?.innerText ?? '';
      const order = /\[(\d+)\]/.exec(label)?.[1];
      const icons = Array.from(el.querySelectorAll('.cell-statusbar-container .codicon')).map((i) => i.className).join(' ');
      const status = /spin|executing/.test(icons) ? 'running' as const
        : /clock|pending/.test(icons) ? 'pending' as const
          : /state-error|codicon-error\b/.test(icons) ? 'error' as const
            : /state-success|codicon-check\b/.test(icons) ? 'success' as const : 'idle' as const;
      return { ...(order ? { order: Number(order) } : {}), status };
    });
  }

  /**
   * The outputs of cell `index`, in order: those output containers of the notebook's output webview (nested
   * iframes) that lie over the cell's row. The cell is scrolled into view first.
   */
  async cellOutputs(index: number): Promise<CellOutput[]> {
    const row = await this.cell(index);
    await row.scrollIntoViewIfNeeded().catch(() => undefined);
    // the webview moves its outputs after the list scrolls (by message): read until two reads agree
    let last = '';
    for (let i = 0; i < 10; i++) {
      await this.page.waitForTimeout(250);
      const found = await this.outputsOver(row);
      const key = JSON.stringify(found);
      if (key === last) return found;
      last = key;
    }
    return JSON.parse(last) as CellOutput[];
  }

  /** The output containers lying over `row`, between its editor and its bottom toolbar. */
  private async outputsOver(row: Locator): Promise<CellOutput[]> {
    const span = await row.evaluate((el) => {
      const top = el.getBoundingClientRect().top;
      const bottom = el.querySelector('.cell-bottom-toolbar-container')?.getBoundingClientRect().top ?? el.getBoundingClientRect().bottom;
      return { top, bottom };
    });
    const found: (CellOutput & { y: number })[] = [];
    for (const frame of this.page.frames()) {
      if (frame === this.page.mainFrame()) continue;
      let items: (CellOutput & { top: number; bottom: number })[];
      try {
        items = await frame.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.output_container')).map((el) => {
          const r = el.getBoundingClientRect();
          return {
            top: r.top, bottom: r.bottom, text: el.innerText.trim(),
            images: Array.from(el.querySelectorAll('img')).map((im) => ({
              width: im.width, height: im.height, loaded: im.complete && im.naturalWidth > 0, src: im.src.split(':')[0],
            })),
          };
        }).filter((o) => o.bottom > o.top));
      } catch {
        continue; // frame went away
      }
      if (!items.length) continue;
      const at = await (await frame.frameElement()).boundingBox().catch(() => null);
      if (!at) continue;
      for (const { top, bottom, text, images } of items) {
        const mid = at.y + (top + bottom) / 2;
        if (mid >= span.top && mid <= span.bottom) found.push({ y: Math.round(at.y + top), text, images });
      }
    }
    return found.sort((a, b) => a.y - b.y).map(({ text, images }) => ({ text, images }));
  }

  /** Scrolls the notebook so that cell `index`'s outputs (the end of the cell) are in view, e.g. for a screenshot. */
  async showCellOutputs(index: number): Promise<void> {
    const row = await this.cell(index);
    const [bottom, listBottom] = await row.evaluate((el) => [
      el.querySelector('.cell-bottom-toolbar-container')?.getBoundingClientRect().top ?? el.getBoundingClientRect().bottom,
      el.closest('.cell-list-container')?.getBoundingClientRect().bottom ?? window.innerHeight,
    ]);
    if (bottom <= listBottom) return;
    await row.locator('.cell-editor-part').first().hover();
    await this.page.mouse.wheel(0, bottom - listBottom + 24);
    await this.page.waitForTimeout(400);
  }

  /** Waits until cell `index`'s outputs satisfy `until`, and returns them (the last ones read, on timeout). */
  async waitForCellOutputs(index: number, until: (o: CellOutput[]) => boolean, timeout = 30_000): Promise<CellOutput[]> {
    const end = Date.now() + timeout;
    for (;;) {
      const outputs = await this.cellOutputs(index);
      if (until(outputs) || Date.now() > end) return outputs;
      await this.page.waitForTimeout(500);
    }
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

/** A notebook cell's list row (not the rows of lists inside it, such as the suggest widget's). */
function cellRowSelector(index: number): string {
  const at = `[aria-posinset="${index + 1}"]`;
  return `.cell-list-container .monaco-list-row.code-cell-row${at}, .cell-list-container .monaco-list-row.markdown-cell-row${at}`;
}

/** The text of a cell's Monaco editor, with the non-breaking spaces Monaco renders turned back into spaces. */
async function editorText(row: Locator): Promise<string> {
  const lines = await row.locator('.monaco-editor .view-lines .view-line').evaluateAll((els) =>
    els.map((el) => ({ top: parseFloat((el as HTMLElement).style.top) || 0, text: (el as HTMLElement).innerText })));
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, ' ')).join('\n');
}
