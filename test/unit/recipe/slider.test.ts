// Completion and hover inside a `slider` cell come from the schema, and a slider is a LoRA other cells can use.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hoverAt } from '../../../extension/core/recipe';
import { code, labelsAt } from './cells';

const cells = [
  code('model:\n  name: base\n  checkpoint: builtin:tiny-shapes'),
  code('bias:\n  name: copier\n  model: base\n  file: x.safetensors'),
  code('slider:\n  name: size\n  over: [\n  target: circle\n  positive: "large, {target}"\n  gu\n  anchors:\n    - prompt: red\n      '),
  code('preview:\n  lora: \n  prompts: [a]'),
  code('export:\n  lora: \n  to: out/x.safetensors'),
];
const labels = labelsAt(cells);

it('offers the slider keys not written yet, and the keys of an anchor', () => {
  const keys = labels(2, 5, 4);
  for (const k of ['guidance', 'negative', 'neutral', 'timesteps', 'denoise_steps', 'rank', 'steps', 'lr', 'seed']) assert.ok(keys.includes(k), k);
  for (const k of ['name', 'target', 'positive', 'anchors', 'dataset', 'until']) assert.ok(!keys.includes(k), k);
  assert.deepEqual(labels(2, 8, 6), ['strength']);
});

it('offers bias cells under over: and the slider where a preview or an export names a LoRA', () => {
  assert.deepEqual(labels(2, 2, 9), ['copier']);
  assert.ok(labels(3, 1, 8).includes('size'));
  assert.ok(labels(4, 1, 8).includes('size'));
});

it('explains η and the anchors on hover', () => {
  assert.match(hoverAt([code('slider:\n  guidance: 2')], 0, 1, 4)!.markdown, /^\*\*guidance\*\*: number >0…50\n\nη, the strength of the direction/);
  assert.match(hoverAt([code('slider:\n  anchors: [red]')], 0, 1, 4)!.markdown, /must not change/);
});
