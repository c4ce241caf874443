// The output renderer in a real Chromium page: the bundle VS Code loads is activated with a stand-in for the
// workbench's output item and must draw every shape of output, never a blank area.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { KEEP_NAMES_SHIM } from './lib/pageShim';
import { CHROMIUM, REPO_ROOT, RESULTS_DIR } from './lib/paths';

const ARTIFACTS = path.join(RESULTS_DIR, 'renderer');

describe('the lorabias output renderer', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    // the same entry point and browser target as esbuild.mjs, as an IIFE so the page can reach `activate`
    const bundle = await esbuild.build({
      entryPoints: [path.join(REPO_ROOT, 'webview/renderer.ts')], bundle: true, write: false, platform: 'browser',
      target: 'es2022', format: 'iife', globalName: 'lorabiasRenderer', logLevel: 'silent',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><head></head><body style="--vscode-foreground:#222"></body></html>');
    await page.evaluate(KEEP_NAMES_SHIM);
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  /** Renders one output item whose json() returns `payload` (or throws, for `invalidJson`) and returns the element's HTML-less view. */
  async function render(name: string, payload: unknown, invalidJson = false) {
    const result = await page.evaluate(({ payload, invalidJson, name }) => {
      const host = document.createElement('div');
      host.id = name;
      document.body.appendChild(host);
      const api = (window as unknown as { lorabiasRenderer: { activate: (ctx: unknown) => { renderOutputItem(item: unknown, el: HTMLElement): void } } })
        .lorabiasRenderer.activate({});
      api.renderOutputItem({
        id: name, mime: 'application/vnd.lorabias.output+json', metadata: undefined,
        json: () => { if (invalidJson) throw new SyntaxError('Unexpected token'); return payload; },
        text: () => JSON.stringify(payload), data: () => new Uint8Array(), blob: () => new Blob(),
      }, host);
      return {
        heading: host.querySelector('h3')?.textContent ?? null,
        paragraphs: Array.from(host.querySelectorAll('p')).map((p) => p.textContent),
        headers: Array.from(host.querySelectorAll('th')).map((c) => c.textContent),
        rows: Array.from(host.querySelectorAll('tbody tr')).map((r) => Array.from(r.children).map((c) => c.textContent)),
        numericCells: host.querySelectorAll('td.num').length,
        error: host.querySelector('[role=alert]')?.textContent ?? null,
        height: host.getBoundingClientRect().height,
      };
    }, { payload, invalidJson, name });
    await page.locator(`#${name}`).screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
    return result;
  }

  test('draws the title as a heading, the text as a paragraph and the table with its columns and rows', async () => {
    const out = await render('full', {
      title: 'Tag co-occurrence', text: 'large breasts → cleavage: 55%, lift 3.1',
      table: { columns: ['tag', 'P(tag|concept)', 'lift'], rows: [['cleavage', 0.55, 3.1], ['sweater', 0.2, 1.1]] },
    });
    assert.equal(out.heading, 'Tag co-occurrence');
    assert.deepEqual(out.paragraphs, ['large breasts → cleavage: 55%, lift 3.1']);
    assert.deepEqual(out.headers, ['tag', 'P(tag|concept)', 'lift']);
    assert.deepEqual(out.rows, [['cleavage', '0.55', '3.1'], ['sweater', '0.2', '1.1']]);
    assert.equal(out.numericCells, 4, 'numbers are marked for right alignment');
    assert.equal(out.error, null);
  });

  test('draws an error in an alert box under its title', async () => {
    const out = await render('error', { title: 'bias copier', error: 'fidelity 0.62 < 0.9 after 600 steps' });
    assert.equal(out.heading, 'bias copier');
    assert.equal(out.error, 'fidelity 0.62 < 0.9 after 600 steps');
  });

  test('an output with only a title still shows something', async () => {
    const out = await render('title-only', { title: 'export' });
    assert.equal(out.heading, 'export');
    assert.ok(out.paragraphs.length > 0 && out.height > 0, JSON.stringify(out));
  });

  test('a payload that is not JSON or not an object becomes a visible error, not a blank area', async () => {
    const broken = await render('not-json', undefined, true);
    assert.match(broken.error ?? '', /not valid JSON/);
    const list = await render('array', [1, 2]);
    assert.match(list.error ?? '', /array/);
    assert.ok(list.height > 0);
  });

  test('a table without rows says so instead of drawing an empty grid', async () => {
    const out = await render('no-rows', { title: 'co-occurrence', table: { columns: ['tag'], rows: [] } });
    assert.equal(out.rows.length, 0);
    assert.ok(out.paragraphs.some((p) => p?.includes('No rows')), JSON.stringify(out));
  });
});
