// The `lorabias` command as users run it: the built dist/cli.js in a real process, on real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/cli.js');
let dir: string;

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-cli-'));
  fs.mkdirSync(path.join(dir, 'pics'));
  fs.writeFileSync(path.join(dir, 'good.lorabias'), 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: pics\n  images: pics\n---\nbias:\n  name: copier\n  model: base\n  dataset: pics\n');
  fs.writeFileSync(path.join(dir, 'bad.lorabias'), 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\nbias:\n  name: copier\n  model: bsae\n  dataset: pics\n  rank: 0\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lorabias validate', () => {
  it('prints nothing and exits 0 for a clean recipe', () => {
    assert.deepEqual(run('validate', 'good.lorabias'), { code: 0, out: '', err: '' });
  });

  it('prints file:line:col: error: message for each problem and exits 1', () => {
    const r = run('validate', 'bad.lorabias');
    assert.equal(r.code, 1);
    assert.deepEqual(r.out.trim().split('\n'), [
      'bad.lorabias:7:10: error: no model cell is named `bsae`; did you mean `base`?',
      'bad.lorabias:8:12: error: no dataset cell is named `pics`; add a dataset cell named `pics` above this one',
      'bad.lorabias:9:9: error: `rank` must be at least 1 (got 0)',
    ]);
  });

  it('prints the cells and problems as JSON with --json', () => {
    const r = run('validate', '--json', 'bad.lorabias');
    assert.equal(r.code, 1);
    const report = JSON.parse(r.out);
    assert.deepEqual(report.cells, [
      { index: 0, kind: 'model', name: 'base', firstLine: 1, lastLine: 3 },
      { index: 1, kind: 'bias', name: 'copier', firstLine: 5, lastLine: 9 },
    ]);
    assert.deepEqual(report.problems[0], { cell: 1, line: 2, col: 9, endLine: 2, endCol: 13, severity: 'error', code: 'unknown-ref',
      message: 'no model cell is named `bsae`; did you mean `base`?', fix: { title: 'Change to `base`', newText: 'base' }, fileLine: 7, fileCol: 10 });
  });

  it('points a key that is a list at its own line and prints no Node warning', () => {
    fs.writeFileSync(path.join(dir, 'complex-key.lorabias'), 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: pics\n  images: pics\n  ? [a, b]\n  : 1\n');
    assert.deepEqual(run('validate', 'complex-key.lorabias'), { code: 1, err: '',
      out: 'complex-key.lorabias:8:5: error: a key must be a plain name (e.g. `rank:`), not a list or mapping (a `? ` key)\n' });
  });

  it('counts a lone CR as a line break, as the editor shows it', () => {
    fs.writeFileSync(path.join(dir, 'lone-cr.lorabias'), 'model:\n  name: base\r  checkpoint: builtin:tiny-shapes\n---\nbias:\n  name: copier\n  model: bsae\n');
    assert.deepEqual(run('validate', 'lone-cr.lorabias'), { code: 1, err: '',
      out: 'lone-cr.lorabias:5:1: error: a `bias` cell needs exactly one of `dataset:` (to train it) or `file:` (an existing LoRA)\n'
        + 'lone-cr.lorabias:7:10: error: no model cell is named `bsae`; did you mean `base`?\n' });
  });

  it('checks several files and fails if any has an error', () => {
    const r = run('validate', 'good.lorabias', 'bad.lorabias', 'missing.lorabias');
    assert.equal(r.code, 1);
    assert.match(r.out, /^missing\.lorabias:1:1: error: no such file: missing\.lorabias$/m);
  });

  it('says how to use it, with exit code 2, for a bad command line', () => {
    const r = run('validate');
    assert.equal(r.code, 2);
    assert.match(r.err, /give a recipe file[\s\S]*usage: lorabias/);
    assert.equal(run('frobnicate', 'x').code, 2);
    assert.equal(run('validate', '--nope', 'x').code, 2);
  });
});

describe('lorabias plan', () => {
  it('prints cells in run order with what each needs', () => {
    const r = run('plan', 'good.lorabias');
    assert.equal(r.code, 0);
    assert.deepEqual(r.out.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim()), [
      '1. model base good.lorabias:1',
      '2. dataset pics good.lorabias:5',
      '3. bias copier good.lorabias:9 ← base, pics',
    ]);
  });

  it('plans only what one cell needs with --cell, as JSON', () => {
    const r = run('plan', '--json', '--cell', 'pics', 'good.lorabias');
    assert.deepEqual(JSON.parse(r.out), [{ cell: 1, kind: 'dataset', name: 'pics', needs: [], line: 5 }]);
  });

  it('refuses to plan a recipe with errors, showing them', () => {
    const r = run('plan', 'bad.lorabias');
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.lorabias: not planned: fix the 3 errors above first/);
  });
});

describe('lorabias run --python / --device', () => {
  const modelOnly = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n';
  const venvPython = path.join(root, '.venv/bin/python');

  it('starts the engine with the Python given by --python, over LORABIAS_PYTHON', () => {
    fs.writeFileSync(path.join(dir, 'model.lorabias'), modelOnly);
    const r = spawnSync(process.execPath, [cli, 'run', '--python', '/nonexistent/python-for-lorabias', 'model.lorabias'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: venvPython } });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot start the engine's Python \(\/nonexistent\/python-for-lorabias\)/);
    assert.doesNotMatch(r.stderr, /unknown option/);
  });

  it('sends --device to the engine (a CUDA device this CPU build of torch lacks is refused by the engine, naming it)', () => {
    fs.writeFileSync(path.join(dir, 'model.lorabias'), modelOnly);
    const r = spawnSync(process.execPath, [cli, 'run', `--python=${venvPython}`, '--device', 'cuda:3', 'model.lorabias'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_DEVICE: 'cpu' } });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /device 'cuda:3'/);
    assert.doesNotMatch(r.stderr, /unknown option/);
  });

  it('says what is missing when --python or --device has no value', () => {
    const r = run('run', 'model.lorabias', '--device');
    assert.equal(r.code, 2);
    assert.match(r.err, /--device needs a value/);
    const bad = run('run', 'model.lorabias', '--device', 'tpu');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--device tpu: use auto, cpu, cuda or cuda:N/);
  });
});

describe('lorabias clean', () => {
  it('removes its own recipe\'s cells and resume checkpoints, never another recipe\'s', () => {
    // two recipes share one `.lorabias/` folder; each has a finished cell and a resume checkpoint under work/
    const { CellCache } = require('../../../extension/core/run/cache') as typeof import('../../../extension/core/run/cache');
    const cache = new CellCache(path.join(dir, '.lorabias'));
    const keys = { 'good.lorabias': '1'.repeat(64), 'other.lorabias': '2'.repeat(64) };
    fs.copyFileSync(path.join(dir, 'good.lorabias'), path.join(dir, 'other.lorabias'));
    for (const [recipe, key] of Object.entries(keys)) {
      const w = cache.begin(key);
      w.commit({ kind: 'bias', recipe, engine: 'e', createdAt: 'now', seconds: 1, files: {}, figures: {}, display: { title: 't', markdown: 'm' } });
      cache.record(path.join(dir, recipe), [key]);
      fs.mkdirSync(cache.workDir(key), { recursive: true });
      fs.writeFileSync(path.join(cache.workDir(key), 'lora.safetensors.step-00010'), 'checkpoint');
    }
    const r = run('clean', 'other.lorabias');
    assert.equal(r.code, 0);
    assert.match(r.out, /removed 1 cached cell /);
    assert.equal(fs.existsSync(cache.workDir(keys['other.lorabias'])), false);
    assert.ok(cache.lookup(keys['good.lorabias']), 'the other recipe\'s cell stays');
    assert.ok(fs.existsSync(path.join(cache.workDir(keys['good.lorabias']), 'lora.safetensors.step-00010')), 'and so does its resume checkpoint');
  });
});

describe('lorabias validate: export targets', () => {
  /** A safetensors file with the given tensor names (zeros, f32), written as the format lays it out. */
  function safetensors(file: string, names: string[]) {
    const header: Record<string, unknown> = {};
    names.forEach((n, i) => { header[n] = { dtype: 'F32', shape: [1], data_offsets: [i * 4, i * 4 + 4] }; });
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(file, Buffer.concat([len, json, Buffer.alloc(names.length * 4)]));
  }

  it('refuses a folder, a nameless file and any existing file that is not a LoRA; warns outside the recipe folder', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'exp-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-outside-'));
    try {
      fs.mkdirSync(path.join(sub, 'out.safetensors'));
      safetensors(path.join(sub, 'model.safetensors'), ['model.diffusion_model.input_blocks.0.0.weight']);
      safetensors(path.join(sub, 'old.safetensors'), ['lora_unet_a_to_q.lora_down.weight', 'lora_unet_a_to_q.lora_up.weight']);
      fs.writeFileSync(path.join(sub, 'notes.safetensors'), 'my notes');
      fs.symlinkSync(outside, path.join(sub, 'linked'));
      const targets = ['out.safetensors', 'out/.safetensors', 'model.safetensors', 'notes.safetensors', 'old.safetensors', '../../x.safetensors', 'linked/y.safetensors', 'fine.safetensors'];
      const recipe = 'model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: pics\n  images: pics\n---\nbias:\n  name: copier\n  model: base\n  dataset: pics\n'
        + targets.map((t) => `---\nexport:\n  lora: copier\n  to: ${t}\n`).join('');
      fs.mkdirSync(path.join(sub, 'pics'));
      fs.writeFileSync(path.join(sub, 'exports.lorabias'), recipe);
      const r = spawnSync(process.execPath, [cli, 'validate', 'exports.lorabias'], { cwd: sub, encoding: 'utf8' });
      assert.equal(r.status, 1);
      const lines = r.stdout.trim().split('\n');
      // each export cell is 4 lines long; `to:` is its third line, the value at column 7
      const at = (i: number) => `exports.lorabias:${14 + 4 * i + 2}:7:`;
      assert.match(lines[0], new RegExp(`^${at(0)} error: \`out\\.safetensors\` is an existing folder .*\`out\\.safetensors/slider\\.safetensors\``));
      assert.match(lines[1], new RegExp(`^${at(1)} error: \`out/\\.safetensors\` has no file name before \`\\.safetensors\``));
      assert.match(lines[2], new RegExp(`^${at(2)} error: \`model\\.safetensors\` already exists and is a \\.safetensors file without LoRA tensors`));
      assert.match(lines[3], new RegExp(`^${at(3)} error: \`notes\\.safetensors\` already exists and is not a \\.safetensors file`));
      assert.match(lines[4], new RegExp(`^${at(5)} warning: \`\\.\\./\\.\\./x\\.safetensors\` is outside the recipe's folder`));
      assert.match(lines[5], new RegExp(`^${at(6)} warning: \`linked/y\\.safetensors\` is outside the recipe's folder \\(through a symbolic link\\)`));
      assert.equal(lines.length, 6, 'replacing an earlier LoRA and a new file are fine');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
