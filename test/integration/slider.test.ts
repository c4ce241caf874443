// A `slider` cell end to end through the CLI (real engine, tiny model, CPU, a few steps): trained over a bias with
// an anchor, previewed beside a target, exported with its provenance, and reported by `lorabias run --json`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const python = path.join(root, '.venv/bin/python');
let dir: string;

const RECIPE = `model:
  name: base
  checkpoint: builtin:tiny-shapes
---
dataset:
  name: a
  images: data/small-circle
---
bias:
  name: copier
  model: base
  dataset: a
  rank: 2
  steps: 2
  lr: 1e-3
---
slider:
  name: size-text
  over: [{ bias: copier, weight: 0.5 }]
  target: [red, circle, "blue, square"]
  positive: "large, {target}"
  negative: "small, {target}"
  guidance: 2
  anchors: ["green, triangle", { prompt: "white background", strength: 2 }]
  timesteps: [200, 1000]
  denoise_steps: 4
  rank: 2
  steps: 3
  lr: 1e-3
  seed: 4
---
preview:
  lora: size-text
  compare: [copier]
  weights: [-1, 1]
  prompts: ["blue, circle, white background"]
  seeds: [1]
  steps: 3
---
export:
  lora: size-text
  to: out/size-text.safetensors
`;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: python } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-slider-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'r.lorabias'), RECIPE);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a slider cell through lorabias run (real engine, tiny model, CPU)', () => {
  it('trains over its bias with anchors, previews beside another LoRA, exports, and reports figures as JSON', () => {
    const r = run('run', '--json', 'r.lorabias');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.kind), ['model', 'dataset', 'bias', 'slider', 'preview', 'export']);
    const slider = lines[3];
    assert.equal(slider.steps, 3);
    assert.equal(slider.losses.length, 3);
    assert.ok(slider.losses.every((x: number) => Number.isFinite(x) && x > 0));
    assert.equal(slider.anchorLosses.length, 3);
    assert.ok(slider.its > 0);
    assert.equal(slider.model, 'base');
    assert.deepEqual(slider.over.map((o: { name: string; weight: number }) => [o.name, o.weight]), [['copier', 0.5]]);
    assert.deepEqual(slider.slider.targets, ['red', 'circle', 'blue, square']);
    assert.deepEqual(slider.slider.anchors, [{ prompt: 'green, triangle', strength: 1 }, { prompt: 'white background', strength: 2 }]);
    assert.ok(fs.statSync(slider.artifacts.lora).size > 1000);
    const preview = lines[4];
    assert.equal(preview.images, 4, 'two LoRAs × two weights × one prompt × one seed');
    assert.deepEqual(preview.loras, ['size-text', 'copier']);

    const bytes = fs.readFileSync(path.join(dir, 'out/size-text.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    const meta = header.__metadata__;
    const keys = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.ok(keys.length > 0 && keys.every((k) => /^lora_unet_.*\.(lora_down\.weight|lora_up\.weight|alpha)$/.test(k)), keys[0]);
    assert.equal(meta.ss_network_dim, '2');
    assert.equal(meta.lorabias_cell, 'size-text');
    assert.equal(meta.lorabias_role, 'slider');
    const info = JSON.parse(meta.lorabias_slider);
    assert.deepEqual([info.positive, info.negative, info.guidance, info.timesteps], ['large, {target}', 'small, {target}', 2, [200, 1000]]);
    assert.deepEqual(JSON.parse(meta.lorabias_bias).map((b: { name: string }) => b.name), ['copier']);
    assert.equal(JSON.parse(meta.lorabias_bias_loras)[0].multiplier, 0.5);
  });

  it('runs the unchanged recipe again from the cache, and a changed η retrains the slider and what uses it only', () => {
    const again = run('run', '--json', 'r.lorabias');
    assert.equal(again.code, 0, again.err);
    assert.ok(again.out.trim().split('\n').map((l) => JSON.parse(l)).every((l) => l.cached));
    fs.writeFileSync(path.join(dir, 'r.lorabias'), RECIPE.replace('guidance: 2', 'guidance: 3'));
    const changed = run('run', '--json', 'r.lorabias');
    assert.equal(changed.code, 0, changed.err);
    const lines = changed.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.kind, l.cached]), [['model', true], ['dataset', true], ['bias', true], ['slider', false], ['preview', false], ['export', false]]);
  });

  it('reports a slider whose timesteps window is empty as a line-located problem, without running anything', () => {
    fs.writeFileSync(path.join(dir, 'bad.lorabias'), RECIPE.replace('timesteps: [200, 1000]', 'timesteps: [900, 100]'));
    const r = run('validate', 'bad.lorabias');
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /bad\.lorabias:25:\d+: .*`timesteps: \[900, 100\]` is not a window/);
  });
});
