// Completion and hover from the schema: kinds, keys, enum values and the names of earlier cells.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeAt, hoverAt } from '../../../extension/core/recipe';
import { code, labelsAt } from './cells';

const cells = [
  code('model:\n  name: base\n  checkpoint: builtin:tiny-shapes'),
  code('dataset:\n  name: orig\n  images: data'),
  code('dataset:\n  name: edit\n  images: data2'),
  code('bias:\n  name: copier\n  model: \n  lo\n  until:\n    fi\n  scheduler: co'),
  code('target:\n  name: t\n  over: [co\n  dataset: \n  over:\n    - \n    - bias: copier\n      we'),
  code(''),
  code('preview:\n  lora: \n  compare: [t, \n  prompts: [a]'),
];
const labels = labelsAt(cells);

describe('completion', () => {
  it('offers every cell kind as a snippet at the top of an empty cell', () => {
    const entries = completeAt(cells, 5, 0, 0);
    assert.deepEqual(entries.map((e) => e.label), ['markdown', 'model', 'dataset', 'analyze', 'bias', 'target', 'slider', 'preview', 'export']);
    const bias = entries.find((e) => e.label === 'bias')!;
    assert.equal(bias.isSnippet, true);
    assert.equal(bias.insertText, 'bias:\n  name: ${1}\n  model: ${2}\n  $0');
  });

  it('offers the keys of a bias cell that are not written yet', () => {
    const keys = labels(3, 3, 4);
    for (const k of ['alpha', 'rank', 'steps', 'dataset', 'lr']) assert.ok(keys.includes(k), k);
    for (const k of ['name', 'model', 'until', 'scheduler', 'over']) assert.ok(!keys.includes(k), k);
    assert.equal(completeAt(cells, 3, 3, 4)[0].replaceStart, 2);
  });

  it('offers the keys of a nested mapping', () => {
    assert.deepEqual(labels(3, 5, 6), ['fidelity', 'every', 'prompts', 'seeds']);
  });

  it('offers enum values with the word being typed replaced', () => {
    const entries = completeAt(cells, 3, 6, 15);
    assert.deepEqual(entries.map((e) => e.label), ['constant', 'constant_with_warmup', 'cosine']);
    assert.equal(entries[0].replaceStart, 13);
  });

  it('offers earlier cells of the right kind where a reference goes', () => {
    assert.deepEqual(labels(3, 2, 9), ['base']);
    assert.deepEqual(labels(4, 3, 11), ['orig', 'edit']);
    assert.deepEqual(labels(4, 2, 11), ['copier']);
    assert.deepEqual(labels(6, 1, 8), ['copier', 't']);
    assert.deepEqual(labels(6, 2, 15), ['copier', 't']);
  });

  it('offers bias names and item keys in a block list under over:', () => {
    assert.deepEqual(labels(4, 5, 6), ['copier', 'bias', 'weight']);
    assert.deepEqual(labels(4, 7, 8), ['weight']);
  });

  it('offers the built-in model for a checkpoint', () => {
    const c = [code('model:\n  name: m\n  checkpoint: ')];
    assert.deepEqual(completeAt(c, 0, 2, 14).map((e) => e.label), ['builtin:tiny-shapes']);
  });

  it('asks for completion again after a key whose value has choices', () => {
    const precision = completeAt(cells, 3, 3, 4).find((e) => e.label === 'mixed_precision')!;
    assert.equal(precision.insertText, 'mixed_precision: ');
    assert.equal(precision.retrigger, true);
    assert.equal(completeAt(cells, 3, 3, 4).find((e) => e.label === 'rank')!.retrigger, false);
  });

  it('offers nothing inside a comment or a markdown cell', () => {
    assert.deepEqual(completeAt([code('model:\n  # a comment')], 0, 1, 10), []);
    assert.deepEqual(completeAt([{ kind: 'markup', value: '# hi' }], 0, 0, 2), []);
  });
});

describe('hover', () => {
  it('explains a key from the schema', () => {
    const h = hoverAt(cells, 3, 6, 3)!;
    assert.match(h.markdown, /^\*\*scheduler\*\*: `constant` \| `constant_with_warmup` \| `cosine`\n\nLearning-rate schedule/);
    assert.deepEqual([h.line, h.startCol, h.endCol], [6, 2, 11]);
  });

  it('shows the range of a number', () => {
    assert.match(hoverAt([code('bias:\n  rank: 4')], 0, 1, 3)!.markdown, /^\*\*rank\*\*: whole number 1…1024\n\nLoRA rank \(kohya `network_dim`\)/);
  });

  it('names the cell a reference points to', () => {
    assert.equal(hoverAt(cells, 4, 6, 15)!.markdown, '`copier`: the bias cell 4');
  });

  it('describes the cell kind on its key', () => {
    assert.match(hoverAt(cells, 0, 0, 2)!.markdown, /^\*\*model\*\* cell\n\nA base model/);
  });
});
