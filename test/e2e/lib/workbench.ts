// Drives the VS Code workbench in Chromium: the small vocabulary e2e tests are written in (open a notebook,
// run a command, type in a cell, read the Problems panel, the suggestions, the outputs). This file opens the
// window and runs cells; the rest lives in workbenchCore.ts and workbenchEditing.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Locator } from 'playwright-core';
import { KEEP_NAMES_SHIM } from './pageShim';
import { CHROMIUM, E2E_HOME, RESULTS_DIR } from './paths';
import { EditingWorkbench } from './workbenchEditing';
import type { CellOutput, CellRunState } from './workbenchTypes';

export type { CellInfo, CellOutput, CellRunState, ShownProblem, Suggestion } from './workbenchTypes';

export class Workbench extends EditingWorkbench {
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
}
