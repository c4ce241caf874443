// A recipe in a real VS Code workbench: opened as a notebook, edited with live diagnostics and completion,
// validated by command, and started from the "New Recipe" command. One workbench for the whole file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CELL_KINDS } from '../../extension/core/recipe/index.js';
import { exampleRecipe, shownText, snippetPrefixes, starterRecipe } from './expectations';
import { useSession } from './lib/session';

describe('recipe notebooks in the workbench', { timeout: 240_000 }, () => {
  const example = exampleRecipe();
  const biasCell = example.indexOf('bias');
  let asText = '';
  const { step } = useSession('notebook', {
    prepare(session) {
      // a copy of the example with a misspelt key in its bias cell
      const original = fs.readFileSync(path.join(session.workspace, example.file), 'utf8');
      const broken = original.replace(/^(bias:\n(?: {2}.*\n)*?)( {2}rank:)/m, '$1  rnak: 2\n$2');
      assert.notEqual(broken, original);
      asText = path.join(session.workspace, 'recipes', 'as-text.lorabias');
      fs.writeFileSync(asText, broken);
    },
  });

  test('an example recipe opens as a notebook whose code cells are YAML', step('open-example', async ({ wb }) => {
    await wb.openNotebook(path.basename(example.file));
    await wb.screenshot('example-open');
    assert.equal(await wb.activeTabTitle(), path.basename(example.file));
    assert.equal(await wb.cellCount(), example.cells.length, 'one notebook cell per YAML document');
    const cell = await wb.readCell(biasCell);
    assert.equal(cell.kind, 'code');
    assert.equal(cell.language, 'YAML');
    assert.equal(cell.text, shownText(example.cells[biasCell]));
    if (example.cells[0].kind === 'markup') assert.equal((await wb.readCell(0)).kind, 'markup', 'a `markdown: |` document is a markdown cell');
  }));

  test('hovering a key shows its description from the schema', step('hover', async ({ wb }) => {
    const text = await wb.hover(biasCell, 'rank');
    await wb.screenshot('hover-rank');
    assert.match(text, /network_dim/);
    assert.match(text, /1…1024/);
  }));

  test('a misspelt key typed into a cell shows in the Problems panel at its line and column', step('bad-key', async ({ wb }) => {
    const before = await wb.readCell(biasCell);
    await wb.typeInCell(biasCell, '\n  rnak: 4');
    const problems = await wb.readProblems();
    await wb.screenshot('bad-key-problems');
    const rnak = problems.find((p) => p.message.includes('rnak'));
    assert.ok(rnak, `a problem about \`rnak\`; the panel shows ${JSON.stringify(problems)}`);
    assert.equal(rnak.severity, 'error');
    assert.equal(rnak.source, 'lorabias');
    assert.equal(rnak.line, before.text.split('\n').length + 1, 'the line typed, counted inside the cell');
    assert.equal(rnak.col, 3);
    assert.equal(rnak.resource, path.basename(example.file));
  }));

  test('a problem with a fix offers it as a quick fix that rewrites the cell', step('quick-fix', async ({ wb }) => {
    await wb.gotoProblem(/rnak/);
    const applied = await wb.applyQuickFix(/rank/);
    assert.match(applied, /rank/);
    const cell = await wb.readCell(biasCell);
    assert.match(cell.text, /^ {2}rank: 4$/m);
    assert.doesNotMatch(cell.text, /rnak/);
    const problems = await wb.readProblems({ until: (ps) => !ps.some((p) => p.message.includes('rnak')) });
    assert.ok(!problems.some((p) => p.message.includes('rnak')), 'the problem went away once fixed');
  }));

  test('"LoRA Bias: Validate Recipe" shows the Problems panel and reports the count', step('validate', async ({ wb }) => {
    // the quick fix above left two `rank:` keys in the bias cell: the validator says so
    await wb.closePanel();
    assert.equal(await wb.problemsPanelVisible(), false);
    await wb.runCommand('LoRA Bias: Validate Recipe');
    const message = await wb.waitForNotification(/LoRA Bias: .*problem/);
    await wb.screenshot('validate');
    assert.equal(await wb.problemsPanelVisible(), true, 'the command reveals the Problems panel');
    const shown = (await wb.readProblems()).filter((p) => p.resource === path.basename(example.file));
    const reported = Number(/(\d+) problems?/.exec(message)?.[1]);
    assert.ok(reported > 0, message);
    assert.equal(reported, shown.length, `${message} vs ${JSON.stringify(shown)}`);
    assert.ok(shown.some((p) => /twice/.test(p.message)), JSON.stringify(shown));
  }));

  test('completion in a bias cell offers the schema keys and the cell snippets', step('completion', async ({ wb }) => {
    await wb.typeInCell(biasCell, 'bias:\n  ', { replace: true });
    let suggestions = await wb.suggestions();
    // VS Code reads contributed snippet files on first use: a list opened before that holds no snippets yet
    for (let i = 0; i < 3 && !suggestions.some((x) => x.kind === 'snippet'); i++) {
      await wb.page.keyboard.press('Escape');
      await wb.page.waitForTimeout(1000);
      suggestions = await wb.suggestions();
    }
    const labels = suggestions.filter((x) => x.kind === 'property').map((x) => x.label);
    await wb.screenshot('completion');
    await wb.page.keyboard.press('Escape');
    for (const key of ['scheduler', 'alpha', 'conv_rank', 'seed']) assert.ok(labels.includes(key), `\`${key}\` in ${JSON.stringify(labels)}`);
    assert.ok(!labels.includes('over'), '`over` belongs to target cells, not bias cells');
    const snippets = suggestions.filter((x) => x.kind === 'snippet').map((x) => x.label);
    for (const prefix of snippetPrefixes()) assert.ok(snippets.includes(prefix), `snippet \`${prefix}\` in ${JSON.stringify(snippets)}`);
  }));

  test('completion where a reference is expected offers the names of earlier cells', step('references', async ({ wb }) => {
    const target = example.indexOf('target');
    await wb.typeInCell(target, 'target:\n  name: t\n  dataset: ', { replace: true });
    // (the manifest's cell snippets are offered everywhere in YAML; they are not references)
    const labels = (await wb.suggestions()).filter((x) => x.kind !== 'snippet').map((x) => x.label);
    await wb.screenshot('reference-completion');
    await wb.page.keyboard.press('Escape');
    const datasets = example.cells.slice(0, target)
      .map((c) => /^dataset:\n {2}name: (\S+)/m.exec(c.value)?.[1]).filter((n): n is string => !!n);
    assert.ok(datasets.length > 0);
    assert.deepEqual([...labels].sort(), [...datasets].sort(), 'exactly the earlier dataset cells');
  }));

  test('"LoRA Bias: New Recipe" opens the starter recipe as an untitled notebook', step('new-recipe', async ({ wb }) => {
    const starter = starterRecipe();
    await wb.runCommand('LoRA Bias: New Recipe');
    await wb.waitForNotebook(/^Untitled/);
    await wb.screenshot('new-recipe');
    assert.match(await wb.activeTabTitle(), /^Untitled-\d+/);
    assert.equal(await wb.cellCount(), starter.cells.length);
    const model = starter.indexOf('model');
    const cell = await wb.readCell(model);
    assert.equal(cell.language, 'YAML');
    assert.equal(cell.text, shownText(starter.cells[model]));
  }));

  test('an empty cell offers a skeleton for each cell kind, and picking one inserts it', step('cell-skeleton', async ({ wb }) => {
    // the untitled starter from the previous step is the active notebook
    const starter = starterRecipe();
    const model = starter.indexOf('model');
    await wb.typeInCell(model, '', { replace: true });
    const offered = (await wb.suggestions()).filter((x) => x.kind === 'snippet').map((x) => x.label);
    await wb.page.keyboard.press('Escape');
    for (const kind of CELL_KINDS) assert.ok(offered.includes(kind), `\`${kind}\` skeleton in ${JSON.stringify(offered)}`);
    await wb.page.keyboard.press(`Control+Space`);
    await wb.page.keyboard.insertText('target');
    await wb.page.waitForTimeout(300);
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('Escape');
    await wb.screenshot('cell-skeleton');
    const text = (await wb.readCell(model)).text;
    assert.match(text, /^target:\n {2}\S/, text);
  }));

  test('"Validate Recipe" on a recipe open as plain text puts problems at their file lines', step('validate-text', async ({ wb }) => {
    const name = path.basename(asText);
    const broken = fs.readFileSync(asText, 'utf8');
    await wb.openNotebook(name);
    await wb.reopenAsText();
    await wb.runCommand('LoRA Bias: Validate Recipe');
    await wb.waitForNotification(/LoRA Bias: .*problem.* in as-text\.lorabias/);
    const problems = await wb.readProblems({ until: (ps) => ps.some((p) => p.resource === name) });
    await wb.screenshot('validate-text');
    const rnak = problems.find((p) => p.resource === name && p.message.includes('rnak'));
    assert.ok(rnak, JSON.stringify(problems));
    assert.equal(rnak.line, broken.split('\n').indexOf('  rnak: 2') + 1, 'the line in the file, not in the cell');
    assert.equal(rnak.col, 3);
  }));
});
