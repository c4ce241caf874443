// Benchmark: the renderer in Chromium on a 5×5 preview of 1024×1024 pictures — how big the output is, how long
// the payload takes to build, and how long Chromium takes to draw the grid (all 25 tiles decoded), open the swipe
// and compute the difference heat map. Needs `npm run build` (dist/renderer.js) and /usr/bin/chromium.
//
//   npx tsx bench/renderer.ts
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { resultPayload } from '../extension/vscode/outputPayload';
import { previewResult } from '../test/browser/fixtures';

const ROOT = path.resolve(__dirname, '..');
const ORIGIN = 'http://renderer.lorabias.test';
const PAGE = `<!doctype html><html><body><div id="out"></div><script type="module">
  import { activate } from './renderer.js';
  globalThis.__name = (fn) => fn;
  const r = activate({});
  window.draw = async (payload) => {
    const host = document.getElementById('out');
    const t0 = performance.now();
    r.renderOutputItem({ id: 'x', mime: 'application/vnd.lorabias.output+json', json: () => payload, text: () => '', data: () => new Uint8Array(), blob: () => new Blob() }, host);
    const sync = performance.now() - t0;
    await Promise.all([...host.querySelectorAll('img')].map((i) => i.decode()));
    const painted = performance.now() - t0;
    const tile = host.querySelector('td.lb-tile[data-row="4"][data-col="2"]');
    tile.focus();
    let t1 = performance.now();
    tile.dispatchEvent(new KeyboardEvent('keydown', { key: 's', bubbles: true }));
    await Promise.all([...host.querySelectorAll('.lb-swipe img')].map((i) => i.decode()));
    const swipe = performance.now() - t1;
    t1 = performance.now();
    tile.dispatchEvent(new KeyboardEvent('keydown', { key: 'd', bubbles: true }));
    while (!host.querySelector('.lb-viewer[data-ready=true]')) await new Promise((res) => setTimeout(res, 2));
    const heat = performance.now() - t1;
    return { sync, painted, swipe, heat, tiles: host.querySelectorAll('td.lb-tile img').length };
  };
  window.ready = true;
</script></body></html>`;

async function main(): Promise<void> {
  const exe = process.env.LORABIAS_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(exe) || !fs.existsSync(path.join(ROOT, 'dist/renderer.js'))) {
    console.log(`skipped: needs ${exe} (apt-get install -y chromium) and dist/renderer.js (npm run build)`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-bench-renderer-'));
  const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const result = await previewResult(dir, 1024, [-1, -0.5, 0, 0.5, 1], [1, 2, 3, 4, 5]);
    let t0 = performance.now();
    const payload = await resultPayload(result);
    const build = (performance.now() - t0) / 1000;
    const json = JSON.stringify(payload);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === `${ORIGIN}/`) return route.fulfill({ status: 200, contentType: 'text/html', body: PAGE });
      if (url === `${ORIGIN}/renderer.js`) return route.fulfill({ status: 200, contentType: 'text/javascript', body: fs.readFileSync(path.join(ROOT, 'dist/renderer.js')) });
      return route.abort();
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    t0 = performance.now();
    const r = await page.evaluate((p) => (window as unknown as { draw: (p: unknown) => Promise<Record<string, number>> }).draw(JSON.parse(p)), json);
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    console.log(`renderer payload for a 5×5 preview of 1024² pictures: ${(json.length / 1024).toFixed(0)} KB, built in ${build.toFixed(2)} s`);
    console.log(`Chromium: grid drawn in ${ms(r.sync)}, ${r.tiles} tiles decoded after ${ms(r.painted)}; swipe opened in ${ms(r.swipe)}; heat map in ${ms(r.heat)}`);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
