// The text-slider example in a real VS Code workbench: it opens as a notebook whose `slider:` cell is YAML, shows
// no problems, explains its keys on hover, and reports a misspelt slider key at its line (the check is live).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { recipeNamed, shownText } from './expectations';
import { useSession } from './lib/session';

describe('a recipe with a slider cell in the workbench', { timeout: 240_000 }, () => {
  const recipe = recipeNamed('text-slider.lorabias');
  const name = path.basename(recipe.file);
  const sliderCell = recipe.indexOf('slider');
  const { step } = useSession('slider');

  test('the text-slider recipe opens as a notebook whose slider cell is YAML', step('open', async ({ wb }) => {
    await wb.openNotebook(name);
    await wb.screenshot('slider-open');
    assert.equal(await wb.activeTabTitle(), name);
    assert.equal(await wb.cellCount(), recipe.cells.length);
    const cell = await wb.readCell(sliderCell);
    assert.equal(cell.kind, 'code');
    assert.equal(cell.language, 'YAML');
    assert.equal(cell.text, shownText(recipe.cells[sliderCell]));
  }));

  // before the Problems panel opens: it covers the lower half of the notebook, where the key is
  test('hovering a slider key shows its description from the schema', step('hover', async ({ wb }) => {
    const text = await wb.hover(sliderCell, 'guidance');
    assert.match(text, /η/);
  }));

  test('it shows no problems', step('no-problems', async ({ wb }) => {
    // wait the whole time: diagnostics arrive after a pause, and none may arrive for this file
    const problems = (await wb.readProblems({ until: () => false, timeout: 5_000 })).filter((p) => p.resource === name);
    await wb.screenshot('slider-no-problems');
    assert.deepEqual(problems, []);
  }));

  test('a misspelt slider key typed into the cell shows in the Problems panel with a fix', step('bad-key', async ({ wb }) => {
    const before = await wb.readCell(sliderCell);
    await wb.typeInCell(sliderCell, '\n  guidanse: 3');
    const problems = await wb.readProblems({ until: (ps) => ps.some((p) => p.resource === name && p.message.includes('guidanse')) });
    const bad = problems.find((p) => p.resource === name && p.message.includes('guidanse'));
    assert.ok(bad, `a problem about \`guidanse\`; the panel shows ${JSON.stringify(problems)}`);
    assert.match(bad.message, /did you mean `guidance`\?/);
    assert.equal(bad.line, before.text.split('\n').length + 1);
    assert.equal(bad.col, 3);
  }));
});
