// A preview's figure tables — pixel leakage and the WD14 tag leakage — drawn by the renderer from the payload's
// typed data (core/preview/previewData.ts), never from its markdown text.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resultPayload } from '../../extension/vscode/outputPayload';
import { previewResult, SEEDS, WEIGHTS } from './fixtures';
import { openRendererPage, type RendererPage } from './harness';

describe('preview figure tables in Chromium', { timeout: 90_000 }, () => {
  let r: RendererPage;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-tables-'));
    r = await openRendererPage();
  });
  after(async () => {
    await r?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const tables = (id: string) => r.page.evaluate((id) => [...document.querySelectorAll(`#${id} section.lb-figures`)].map((s) => ({
    id: (s as HTMLElement).dataset.table,
    caption: s.querySelector('.lb-section')?.textContent,
    head: [...s.querySelectorAll('th')].map((t) => t.textContent),
    rows: [...s.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => [c.textContent, c.className])),
  })), id);

  test('draws the tag-leakage table of a preview with a tagger, beside the pixel leakage, with the summary line', async () => {
    const result = await previewResult(path.join(dir, 'tags'), 64, WEIGHTS, SEEDS, {
      tagLeakage: [{ lora: 'size', ratio: 0.25, intended: 0.4, unintended: 0.1 }], concept: 'large breasts',
    });
    await r.render('tags', await resultPayload(result));
    const drawn = await tables('tags');
    assert.deepEqual(drawn.map((t) => t.id), ['leakage', 'tagLeakage']);
    const tag = drawn[1];
    assert.match(tag.caption ?? '', /^Tag leakage: change of every other tag's probability per unit of change of “large breasts”/);
    assert.deepEqual(tag.head, ['LoRA', 'tag leakage ratio', 'concept change', "other tags' change"]);
    assert.deepEqual(tag.rows, [[['size', ''], ['0.250', 'num'], ['0.4000', 'num'], ['0.1000', 'num']]]);
    assert.deepEqual(drawn[0].rows.map((row) => row.map((c) => c[0])), [['size', '0.042', '0.3100', '0.0130']]);
    const summary = await r.page.evaluate(() => document.querySelector('#tags p.lb-summary')?.textContent);
    assert.equal(summary, '15 images: size at weights -1, -0.5, 0, 0.5, 1; 1 prompt(s) × 3 seed(s)');
    await r.shot('tags', 'preview-tag-leakage');
  });

  test('the tables come from the data: a markdown table in the text is not drawn, the figures are', async () => {
    const payload = await resultPayload(await previewResult(path.join(dir, 'text'), 64, WEIGHTS, SEEDS, {
      tagLeakage: [{ lora: 'size', ratio: 0.5, intended: 0.2, unintended: 0.1 }],
    }));
    payload.text = 'Tag leakage: lower is better.\n\n| LoRA | tag leakage ratio |\n|---|---:|\n| other | 9.999 |';
    await r.render('text', payload);
    const out = await r.page.evaluate(() => ({
      text: document.getElementById('text')!.textContent ?? '',
      tables: document.querySelectorAll('#text table:not(.lb-grid)').length,
    }));
    assert.ok(!out.text.includes('9.999'), 'the text was not parsed into a table');
    assert.equal(out.tables, 2);
    assert.deepEqual((await tables('text'))[1].rows.map((row) => row.map((c) => c[0])), [['size', '0.500', '0.2000', '0.1000']]);
  });

  test('a preview cached before typed data still shows its tables and its swipe rows, from its figures', async () => {
    const result = await previewResult(path.join(dir, 'old'), 64, WEIGHTS, SEEDS, { tagLeakage: [{ lora: 'size', ratio: 0.3, intended: 0.2, unintended: 0.06 }] });
    const { rowLabels, colLabels, images } = result.display.data as Record<string, unknown>;
    result.display.data = { rowLabels, colLabels, images };
    await r.render('old', await resultPayload(result));
    const drawn = await tables('old');
    assert.deepEqual(drawn.map((t) => [t.id, t.rows.map((row) => row[1][0])]), [['leakage', ['0.042']], ['tagLeakage', ['0.300']]]);
    await r.page.focus('#old td.lb-tile[data-row="4"][data-col="0"]');
    await r.page.keyboard.press('s');
    await r.page.waitForSelector('#old .lb-swipe');
  });
});
