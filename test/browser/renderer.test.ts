// The built renderer bundle in Debian's Chromium, in the strict-CSP page of harness.ts. Outputs are built by the
// extension's own payload code from pictures made here. Screenshots: test-results/browser/.
//
// Run: npm run build && node --import tsx --test test/browser/*.test.ts
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { OUTPUT_BUDGET, progressPayload, resultPayload } from '../../extension/vscode/outputPayload';
import { analyzeResult, datasetResult, previewResult, targetResult, WEIGHTS } from './fixtures';
import { ORIGIN, openRendererPage, type RendererPage, SHOTS } from './harness';

describe('the lorabias renderer in Chromium', { timeout: 90_000 }, () => {
  let r: RendererPage;
  let page: Page;
  let dir: string;
  let preview: Awaited<ReturnType<typeof resultPayload>>;
  let requests: string[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-renderer-'));
    // 320-pixel pictures: the payload embeds 256-pixel thumbnails, so the zoom can tell full size from thumbnail
    preview = await resultPayload(await previewResult(dir, 320));
    r = await openRendererPage();
    page = r.page;
    requests = r.requests;
    // what the extension host would send for "full size": the picture files themselves
    const full: Record<string, string> = {};
    for (const f of (preview.data.paths as string[][]).flat()) full[f] = `data:image/png;base64,${fs.readFileSync(f).toString('base64')}`;
    await r.setFullImages(full);
  });

  after(async () => {
    await r?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const render = (id: string, payload: unknown, brokenJson = false) => r.render(id, payload, brokenJson);
  const shot = (id: string, name = id) => r.shot(id, name);

  test('a preview payload with thumbnails stays under the 1 MB output budget', () => {
    const bytes = Buffer.byteLength(JSON.stringify(preview));
    assert.ok(bytes < OUTPUT_BUDGET - 300 * 1024, `${bytes} bytes`);
    assert.equal((preview.data.thumbs as string[][]).flat().filter((t) => t.startsWith('data:image/webp;base64,')).length, 15);
  });

  test('draws the grid with its row and column labels, one image per cell, and the leakage table', async () => {
    await render('grid', preview);
    const out = await page.evaluate(() => {
      const host = document.getElementById('grid')!;
      return {
        title: host.querySelector('h3')?.textContent,
        rows: [...host.querySelectorAll('.lb-grid th.lb-row')].map((t) => t.textContent),
        cols: [...host.querySelectorAll('.lb-grid th.lb-col .lb-col-main')].map((t) => t.textContent),
        prompts: [...host.querySelectorAll('.lb-grid .lb-col-sub')].map((t) => t.textContent),
        images: host.querySelectorAll('.lb-grid td.lb-tile img').length,
        loaded: [...host.querySelectorAll<HTMLImageElement>('.lb-grid td img')].every((i) => i.complete && i.naturalWidth > 0),
        leakage: [...host.querySelectorAll('table.lb-leakage tbody tr')].map((r) => [...r.children].map((c) => c.textContent)),
        buttons: [...host.querySelectorAll<HTMLButtonElement>('.lb-toolbar button')].map((b) => [b.textContent, b.disabled]),
        errors: host.querySelectorAll('[role=alert]').length,
        markdownTables: host.querySelectorAll('table:not(.lb-grid):not(.lb-leakage)').length,
      };
    });
    assert.equal(out.title, 'preview of size (4.2 s)');
    assert.deepEqual(out.rows, ['size -1', 'size -0.5', 'size +0', 'size +0.5', 'size +1']);
    assert.deepEqual(out.cols, ['seed 1', 'seed 2', 'seed 3']);
    assert.deepEqual(out.prompts, Array(3).fill('circle, red, white background'));
    assert.equal(out.images, 15);
    assert.ok(out.loaded, 'every thumbnail decodes');
    assert.deepEqual(out.leakage, [['size', '0.042', '0.3100', '0.0130']]);
    assert.equal(out.markdownTables, 0, 'the leakage table is drawn once');
    assert.deepEqual(out.buttons, [['Open grid', false], ['Reveal in file explorer', false]]);
    assert.equal(out.errors, 0);
    await shot('grid');
  });

  test('"Open grid" and "Reveal in file explorer" ask the extension host, with the grid path', async () => {
    await page.click('#grid .lb-toolbar button[data-action=open]');
    await page.click('#grid .lb-toolbar button[data-action=reveal]');
    const sent = await page.evaluate(() => (window as unknown as { sent: { type: string; path: string }[] }).sent.filter((m) => m.type !== 'image'));
    assert.deepEqual(sent, [{ type: 'openGrid', path: preview.artifacts.grid }, { type: 'revealGrid', path: preview.artifacts.grid }]);
  });

  test('clicking an image zooms it at full size, fetched through renderer messaging', async () => {
    await page.click('#grid td.lb-tile[data-row="4"][data-col="1"]');
    await page.waitForSelector('#grid .lb-viewer img.lb-full[data-full=true]');
    const out = await page.evaluate(() => {
      const img = document.querySelector<HTMLImageElement>('#grid .lb-viewer img.lb-full')!;
      return { width: img.naturalWidth, title: document.querySelector('#grid .lb-viewer-title')?.textContent,
        asked: (window as unknown as { sent: { type: string; path: string }[] }).sent.filter((m) => m.type === 'image').map((m) => m.path) };
    });
    assert.equal(out.width, 320, 'the full-size picture replaced the 256-pixel thumbnail');
    assert.equal(out.title, 'size +1 · seed 2 · circle, red, white background');
    assert.deepEqual(out.asked, [(preview.data.paths as string[][])[4][1]]);
    await shot('grid', 'grid-zoom');
  });

  test('the keyboard moves through the grid; S swipes against weight 0, and the swipe moves and changes the visible image', async () => {
    await page.focus('#grid td.lb-tile[data-row="4"][data-col="1"]');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowUp');
    let selected = await page.evaluate(() => { const t = document.querySelector<HTMLElement>('#grid td.selected')!; return [t.dataset.row, t.dataset.col, document.activeElement === t]; });
    assert.deepEqual(selected, ['3', '0', true]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('s');
    selected = await page.evaluate(() => { const t = document.querySelector<HTMLElement>('#grid td.selected')!; return [t.dataset.row, t.dataset.col, document.activeElement === t]; });
    assert.deepEqual(selected, ['4', '0', true]);
    const box = page.locator('#grid .lb-swipe');
    await box.waitFor();
    await box.scrollIntoViewIfNeeded();
    const probe = () => page.evaluate(() => {
      const b = document.querySelector<HTMLElement>('#grid .lb-swipe')!;
      const r = b.getBoundingClientRect();
      const at = document.elementFromPoint(r.left + r.width * 0.3, r.top + r.height * 0.5) as HTMLImageElement;
      return { position: b.dataset.position, visible: at.className, alt: at.alt, before: b.querySelector<HTMLImageElement>('.lb-before')!.alt, after: b.querySelector<HTMLImageElement>('.lb-after')!.alt };
    });
    const start = await probe();
    assert.equal(start.position, '50');
    assert.equal(start.visible, 'lb-after', 'left of the line: the LoRA at +1');
    assert.equal(start.after, 'size +1 · seed 1 · circle, red, white background');
    assert.equal(start.before, 'size +0 · seed 1 · circle, red, white background');
    const picture1 = await box.screenshot({ path: path.join(SHOTS, 'swipe-50.png') });
    // drag the line to the left: the same spot now shows weight 0
    const b = (await box.boundingBox())!;
    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * 0.1, b.y + b.height / 2, { steps: 4 });
    await page.mouse.up();
    const moved = await probe();
    assert.ok(Number(moved.position) <= 12, `the line followed the pointer (${moved.position})`);
    assert.equal(moved.visible, 'lb-before');
    const picture2 = await box.screenshot({ path: path.join(SHOTS, 'swipe-10.png') });
    const [p1, p2] = await Promise.all([sharp(picture1).raw().toBuffer(), sharp(picture2).raw().toBuffer()]);
    let changed = 0;
    for (let i = 0; i < Math.min(p1.length, p2.length); i++) if (Math.abs(p1[i] - p2[i]) > 24) changed++;
    assert.ok(changed > 1000, `the visible picture changed (${changed} channel values)`);
    // the slider moves it too, from the keyboard
    await page.focus('#grid .lb-range');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    assert.ok(Number((await probe()).position) > Number(moved.position));
    await shot('grid', 'grid-swipe');
  });

  test('D shows a difference heat map that is not empty', async () => {
    await page.focus('#grid td.lb-tile[data-row="0"][data-col="2"]');
    await page.keyboard.press('d');
    await page.waitForSelector('#grid .lb-viewer[data-ready=true]');
    const out = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#grid canvas.lb-heat')!;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let bright = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 150) bright++;
      return { w: c.width, h: c.height, bright, mean: Number(c.dataset.mean), title: document.querySelector('#grid .lb-viewer-title')?.textContent };
    });
    assert.equal(out.title, 'size -1 vs size +0 · seed 3 · circle, red, white background');
    assert.ok(out.w > 0 && out.h > 0);
    assert.ok(out.bright > 100, `${out.bright} bright pixels`);
    assert.ok(out.mean > 0.005 && out.mean < 0.5, `mean change ${out.mean}`);
    await shot('grid', 'grid-heatmap');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('#grid .lb-viewer'), true);
  });

  test('draws a training loss curve, raw and smoothed', async () => {
    const payload = await resultPayload(targetResult(1500));
    assert.equal((payload.data.losses as number[]).length, 750 + 1, 'long runs are thinned to at most 1000 points, the last kept');
    await render('loss', payload);
    const out = await page.evaluate(() => {
      const host = document.getElementById('loss')!;
      const d = (sel: string) => host.querySelector(`svg ${sel}`)?.getAttribute('d') ?? '';
      return { raw: d('.lb-raw').split('L').length, smooth: d('.lb-smooth').split('L').length, legend: host.querySelector('.lb-legend')?.textContent, alerts: host.querySelectorAll('[role=alert]').length };
    });
    assert.equal(out.raw, 751);
    assert.equal(out.smooth, 751);
    assert.match(out.legend ?? '', /over 1500 steps/);
    assert.equal(out.alerts, 0);
    await shot('loss');
  });

  test('the live loss curve grows while training, with a progress bar', async () => {
    let last: unknown;
    for (let step = 1; step <= 120; step++) last = progressPayload('target', { step, total: 400, loss: 0.3 * Math.exp(-step / 60) + 0.02 * Math.sin(step), lr: 1e-4, its: 3.2, eta_s: (400 - step) / 3.2 });
    await render('live', last);
    const out = await page.evaluate(() => {
      const host = document.getElementById('live')!;
      return { now: host.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'), text: host.querySelector('.lb-progress-text')?.textContent,
        points: (host.querySelector('svg .lb-raw')?.getAttribute('d') ?? '').split('L').length };
    });
    assert.equal(out.now, '120');
    assert.match(out.text ?? '', /^step 120\/400 · loss 0\.\d{4} · lr 1\.0e-4 · 3\.20 it\/s · ETA 88 s$/);
    assert.equal(out.points, 120);
    await shot('live');
  });

  test('draws the analysis as tag bars with P(tag) ticks and flags, and the most frequent tags', async () => {
    await render('analyze', await resultPayload(analyzeResult()));
    const out = await page.evaluate(() => {
      const host = document.getElementById('analyze')!;
      const charts = [...host.querySelectorAll('figure.lb-bars')];
      return { captions: charts.map((c) => c.querySelector('figcaption')?.textContent),
        tags: [...charts[0].querySelectorAll('.lb-bar-label')].map((l) => l.textContent),
        notes: [...charts[0].querySelectorAll('.lb-bar-note')].map((l) => l.textContent),
        leak: [...charts[0].querySelectorAll('.flag-leak .lb-bar-label')].map((l) => l.textContent),
        widths: [...charts[0].querySelectorAll<HTMLElement>('.lb-bar-fill')].map((f) => f.style.width),
        markers: charts[0].querySelectorAll('.lb-bar-marker').length,
        freq: [...charts[1].querySelectorAll('.lb-bar-label')].map((l) => l.textContent) };
    });
    assert.equal(out.captions.length, 2);
    assert.deepEqual(out.tags, ['cleavage', 'sweater', 'smile', 'solo']);
    assert.deepEqual(out.notes, ['55% · lift 3.06 · leak', '22% · lift 2.20 · watch', '40% · lift 1.05', '90% · lift 1.06']);
    assert.deepEqual(out.leak, ['cleavage']);
    assert.deepEqual(out.widths, ['55%', '22%', '40%', '90%']);
    assert.equal(out.markers, 4);
    assert.deepEqual(out.freq, ['solo', '1girl', 'smile']);
    await shot('analyze');
  });

  test('draws a dataset with its thumbnails and bucket bars', async () => {
    await render('dataset', await resultPayload(await datasetResult(path.join(dir, 'ds'))));
    const out = await page.evaluate(() => {
      const host = document.getElementById('dataset')!;
      return { thumbs: [...host.querySelectorAll<HTMLImageElement>('.lb-thumbs img')].filter((i) => i.complete && i.naturalWidth > 0).length,
        buckets: [...host.querySelectorAll('.lb-bar-label')].map((l) => l.textContent) };
    });
    assert.equal(out.thumbs, 6);
    assert.deepEqual(out.buckets, ['512×512 SD1.5', '576×448 SD1.5']);
    await shot('dataset');
  });

  test('bad input shows an error box inside the output, never a blank area; old payloads draw as before', async () => {
    const cases: [string, unknown, boolean][] = [
      ['bad-json', undefined, true],
      ['bad-array', [1, 2], false],
      ['bad-grid', { ...preview, data: { ...preview.data, thumbs: [['x']], paths: [['y']] } }, false],
      ['bad-nogrid', { title: 'preview of size', kind: 'preview', data: {} }, false],
      ['bad-losses', { title: 'bias copier', kind: 'bias', data: { losses: 'many' } }, false],
      ['bad-data', { title: 'x', data: 'oops' }, false],
      ['bad-analyze', { title: 'analyze', kind: 'analyze', data: { type: 'analyze', report: 3 } }, false],
    ];
    for (const [id, payload, broken] of cases) {
      await render(id, payload, broken);
      const out = await page.evaluate((id) => {
        const host = document.getElementById(id)!;
        return { alert: host.querySelector('[role=alert]')?.textContent ?? '', title: host.querySelector('h3')?.textContent, height: host.getBoundingClientRect().height };
      }, id);
      assert.ok(out.alert.length > 10 && out.title && out.height > 20, `${id}: ${JSON.stringify(out)}`);
    }
    await render('old-table', { title: 'Tag co-occurrence', text: 'large breasts → cleavage: 55%', table: { columns: ['tag', 'lift'], rows: [['cleavage', 3.1]] } });
    const old = await page.evaluate(() => [...document.querySelectorAll('#old-table td')].map((c) => [c.textContent, c.className]));
    assert.deepEqual(old, [['cleavage', ''], ['3.1', 'num']]);
    await shot('bad-grid');
    await page.screenshot({ path: path.join(SHOTS, 'page.png'), fullPage: true });
  });

  test('nothing was loaded from the network and the strict CSP was never violated', async () => {
    const violations = await page.evaluate(() => (window as unknown as { violations: string[] }).violations);
    assert.deepEqual(violations, []);
    const foreign = requests.filter((u) => !u.startsWith('data:') && u !== `${ORIGIN}/` && u !== `${ORIGIN}/renderer.js`);
    assert.deepEqual(foreign, []);
    assert.ok(WEIGHTS.includes(0));
  });
});
