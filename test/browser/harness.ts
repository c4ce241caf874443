// The page the browser tests draw outputs in: the built renderer bundle (dist/renderer.js, what VS Code loads) in
// Debian's Chromium, in a page with a strict Content Security Policy (scripts only with the page's nonce, no
// inline styles, images only from data: URIs) and a minimal renderer context whose messaging answers image
// requests like the extension host does. Every network request but the page and the bundle is refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '../..');
export const SHOTS = path.join(ROOT, 'test-results', 'browser');
const BUNDLE = path.join(ROOT, 'dist/renderer.js');
const CHROMIUM = process.env.LORABIAS_CHROMIUM || '/usr/bin/chromium';
export const ORIGIN = 'http://renderer.lorabias.test';
const NONCE = 'bG9yYWJpYXMtdGVzdA';
const CSP = `default-src 'none'; script-src 'nonce-${NONCE}' 'strict-dynamic'; style-src 'nonce-${NONCE}'; img-src data:; connect-src 'none'`;
// the page: one nonce'd module script loads the bundle and gives the test a way to render an output item
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>lorabias renderer</title></head>
<body><main id="outputs"></main>
<script type="module" nonce="${NONCE}">
  import { activate } from './renderer.js';
  // tsx compiles the test's page functions with esbuild's keepNames, which calls __name(); it does nothing here
  globalThis.__name = (fn) => fn;
  const listeners = [];
  window.sent = [];
  window.fullImages = {};
  window.violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  const context = {
    postMessage(m) {
      window.sent.push(m);
      if (m.type === 'image') setTimeout(() => { for (const l of listeners) l({ type: 'image', id: m.id, uri: window.fullImages[m.path] }); }, 20);
    },
    onDidReceiveMessage(l) { listeners.push(l); return { dispose() {} }; },
  };
  const renderer = activate(context);
  window.renderItem = (id, payload, brokenJson) => {
    const host = document.createElement('div');
    host.id = id;
    host.className = 'output';
    document.getElementById('outputs').appendChild(host);
    renderer.renderOutputItem({ id, mime: 'application/vnd.lorabias.output+json', metadata: undefined,
      json: () => { if (brokenJson) throw new SyntaxError('Unexpected token'); return payload; },
      text: () => JSON.stringify(payload), data: () => new Uint8Array(), blob: () => new Blob() }, host);
  };
  window.ready = true;
</script></body></html>`;

const THEME = `--vscode-font-family: sans-serif; --vscode-font-size: 13px; --vscode-foreground: #cccccc; --vscode-editor-background: #1f1f1f;
--vscode-button-background: #0e639c; --vscode-button-foreground: #ffffff; --vscode-focusBorder: #007fd4; --vscode-charts-blue: #3794ff;
--vscode-editorWidget-background: #252526; --vscode-panel-border: #444; --vscode-descriptionForeground: #9d9d9d`;

export interface RendererPage {
  browser: Browser;
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  render(id: string, payload: unknown, brokenJson?: boolean): Promise<void>;
  shot(id: string, name?: string): Promise<Buffer>;
  /** What the page's messaging answers for "full size" of each path. */
  setFullImages(m: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** Opens the page; fails when the bundle is missing or older than webview/ (run `npm run build`). */
export async function openRendererPage(): Promise<RendererPage> {
  assert.ok(fs.existsSync(BUNDLE), 'dist/renderer.js is missing: run `npm run build` first');
  const stale = fs.readdirSync(path.join(ROOT, 'webview')).some((f) => fs.statSync(path.join(ROOT, 'webview', f)).mtimeMs > fs.statSync(BUNDLE).mtimeMs);
  assert.ok(!stale, 'dist/renderer.js is older than webview/: run `npm run build` first');
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `${ORIGIN}/`) return route.fulfill({ status: 200, headers: { 'content-type': 'text/html', 'content-security-policy': CSP }, body: PAGE });
    if (url === `${ORIGIN}/renderer.js`) return route.fulfill({ status: 200, headers: { 'content-type': 'text/javascript' }, body: fs.readFileSync(BUNDLE) });
    return route.abort();
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  // the workbench's theme variables, set through the CSSOM (the CSP forbids style attributes in markup)
  await page.evaluate((theme) => {
    document.body.style.cssText = `${theme}; background: var(--vscode-editor-background); margin: 12px`;
  }, THEME);
  return {
    browser, page, requests,
    render: async (id, payload, brokenJson = false) => {
      await page.evaluate(({ id, payload, brokenJson }) => (window as unknown as { renderItem: (i: string, p: unknown, b: boolean) => void }).renderItem(id, payload, brokenJson), { id, payload, brokenJson });
    },
    shot: (id, name = id) => page.locator(`#${id}`).screenshot({ path: path.join(SHOTS, `${name}.png`) }),
    setFullImages: async (m) => { await page.evaluate((m) => { (window as unknown as { fullImages: Record<string, string> }).fullImages = m; }, m); },
    close: () => browser.close(),
  };
}
