// Hostile names and URLs: file names, captions, tags and recipe text that try to become markup, and picture URLs
// that are not pictures. The text/markdown fallback (rendered with markdown-it and HTML allowed, as VS Code does,
// then parsed by Chromium) and the renderer's DOM must show them as text; only raster data: URIs reach <img src>.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { analyzeMarkdown, analyzeTags, datasetMarkdown, scanDataset } from '../../extension/core/dataset';
import { leakageTable, previewMarkdown } from '../../extension/core/preview/previewData';
import { mdCode, mdText } from '../../extension/core/text/markdownEscape';
import { fallbackMarkdown, resultPayload } from '../../extension/vscode/outputPayload';
import { datasetResult, previewResult, SEEDS, WEIGHTS } from './fixtures';
import { openRendererPage, type RendererPage } from './harness';

// markdown-it, the parser VS Code renders markdown outputs with (here as a dependency of the packaging tools)
const MarkdownIt = createRequire(__filename)('markdown-it') as new (o: object) => { render(md: string): string };
const HOSTILE = 'a`<img src=x onerror="window.pwned=1">';
const TAG = '`<img src=x onerror="window.pwned=2">`';
const RASTER = /^data:image\/(png|webp|jpeg|gif);base64,/;

describe('hostile names and URLs', { timeout: 120_000 }, () => {
  let r: RendererPage;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-hostile-'));
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    // two identical small pictures (a duplicate group, each too small: problems that name the files), captioned
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
    for (const name of [HOSTILE, `${HOSTILE}2`]) {
      fs.writeFileSync(path.join(data, `${name}.png`), png);
      fs.writeFileSync(path.join(data, `${name}.txt`), `${TAG}, solo, | broken table`);
    }
    r = await openRendererPage();
  });
  after(async () => {
    await r?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Elements that would run or load something, in `html` parsed by Chromium. */
  const live = (html: string) => r.page.evaluate((html) => {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    return { live: doc.querySelectorAll('img, script, iframe, [onerror], [onload], a[href^="javascript"]').length, text: doc.body.textContent ?? '' };
  }, html);

  test('the markdown fallback of a dataset, an analysis and a preview shows hostile file names and tags as text', async () => {
    const md = new MarkdownIt({ html: true, linkify: true });
    const report = await scanDataset({ images: 'data' }, dir, { thumbnails: 0 });
    assert.ok(report.problems.some((p) => p.file.includes(HOSTILE)), 'the scan names the hostile files in its problems');
    assert.ok(report.duplicates.length > 0);
    const analysis = await analyzeTags({ report }, 'solo');
    const preview = previewMarkdown({ summary: `2 images: size at weights 0, 1`, tables: [leakageTable([{ lora: 'size', ratio: 0.1, intended: 0.3, unintended: 0.03 }], `mask ${HOSTILE}.png`)], notes: [HOSTILE] });
    const tag = analysis.frequencies.map((f) => f.tag).find((t) => t.includes('<img'));
    assert.ok(tag, 'the hostile tag was read from the captions');
    for (const [what, text, shown] of [['dataset', datasetMarkdown(report), HOSTILE], ['analysis', analyzeMarkdown(analysis), tag],
      ['preview', preview, HOSTILE], ['title', fallbackMarkdown(`dataset ${HOSTILE}`, ''), HOSTILE]] as const) {
      const out = await live(md.render(text));
      assert.equal(out.live, 0, `${what}: no live element in\n${md.render(text)}`);
      assert.ok(out.text.includes(shown), `${what}: the name is shown as it is in\n${out.text}`);
    }
  });

  test('grid thumbnails and full-size replies that are not raster data: URIs never reach <img src>', async () => {
    const payload = await resultPayload(await previewResult(path.join(dir, 'grid'), 64));
    const thumbs = payload.data.thumbs as string[][];
    thumbs[0][0] = 'javascript:window.pwned=3';
    thumbs[0][1] = 'https://evil.example/x.png';
    thumbs[0][2] = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=4"/>').toString('base64')}`;
    thumbs[1][0] = ' javascript:window.pwned=5';
    const paths = payload.data.paths as string[][];
    await r.setFullImages({ [paths[2][0]]: 'javascript:window.pwned=6' });
    await r.render('grid', payload);
    await r.page.click('#grid td.lb-tile[data-row="2"][data-col="0"]');
    await r.page.waitForTimeout(200);
    const out = await r.page.evaluate(() => ({
      srcs: [...document.querySelectorAll('#grid img')].map((i) => i.getAttribute('src') ?? ''),
      missing: [...document.querySelectorAll('#grid td.lb-tile .lb-missing')].map((m) => m.textContent),
      pwned: (window as unknown as { pwned?: number }).pwned,
    }));
    assert.ok(out.srcs.length > 0);
    for (const src of out.srcs) assert.ok(src === '' || RASTER.test(src), `refused source reached the DOM: ${src.slice(0, 40)}`);
    assert.deepEqual(out.missing, ['no thumbnail', 'no thumbnail', 'no thumbnail', 'no thumbnail']);
    assert.equal(out.pwned, undefined);
    assert.ok(!r.requests.some((u) => u.includes('evil.example')));
  });

  test('hostile names in labels, tables, notes and captions are drawn as text in the renderer', async () => {
    const result = await previewResult(path.join(dir, 'names'), 64, WEIGHTS, SEEDS, { source: `mask ${HOSTILE}.png` });
    const data = result.display.data as { rowLabels: string[]; colLabels: string[]; notes: string[] };
    data.rowLabels[0] = HOSTILE;
    data.colLabels[0] = `seed 1\n${HOSTILE}`;
    data.notes = [HOSTILE];
    await r.render('names', { ...(await resultPayload(result)), title: `preview of ${HOSTILE}` });
    const ds = await datasetResult(path.join(dir, 'ds'));
    ds.display.markdown = `**6** images from ${mdCode(HOSTILE)}; ${mdText(HOSTILE)} [x](javascript:alert(1))`;
    ds.display.images = ds.display.images!.map((im, i) => (i === 0 ? { ...im, caption: HOSTILE } : im));
    const dsPayload = await resultPayload(ds);
    dsPayload.images[1].thumb = 'javascript:window.pwned=7';
    await r.render('ds', dsPayload);
    const out = await r.page.evaluate(() => ({
      names: document.getElementById('names')!.textContent ?? '',
      ds: document.getElementById('ds')!.textContent ?? '',
      imgs: [...document.querySelectorAll('#names img, #ds img')].map((i) => i.getAttribute('src') ?? ''),
      links: document.querySelectorAll('#names a, #ds a').length,
      pwned: (window as unknown as { pwned?: number }).pwned,
    }));
    assert.equal(out.pwned, undefined);
    assert.ok(out.imgs.every((s) => RASTER.test(s)), 'every picture is a raster data: URI (the tiles and the dataset strip)');
    assert.equal(out.imgs.length, WEIGHTS.length * SEEDS.length + 5, 'the tiles, and the strip without the refused thumbnail');
    assert.equal(out.links, 0);
    for (const where of [out.names, out.ds]) assert.ok(where.includes(HOSTILE), 'shown literally');
    await r.shot('names', 'hostile-names');
  });
});
