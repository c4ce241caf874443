// The cell cache: a folder counts only once complete; killed runs leave nothing that looks finished.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CellCache } from '../../../extension/core/run/cache';

let root: string;
beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-cache-')); });
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const meta = { kind: 'bias', name: 'c', recipe: '/r.lorabias', engine: 'e', createdAt: 'now', seconds: 1, files: { lora: 'lora.safetensors' }, figures: { steps: 3 }, display: { title: 't', markdown: 'm' } };

describe('cell cache', () => {
  it('finds a committed cell with its files', () => {
    const cache = new CellCache(root);
    const w = cache.begin('k1');
    fs.writeFileSync(path.join(w.dir, 'lora.safetensors'), 'x');
    assert.equal(cache.lookup('k1'), undefined, 'not visible before commit');
    w.commit(meta);
    assert.equal(cache.lookup('k1')?.figures.steps, 3);
    assert.ok(fs.existsSync(path.join(cache.dir('k1'), 'lora.safetensors')));
  });

  it('does not count a folder whose listed file is missing, or whose manifest names another key', () => {
    const cache = new CellCache(root);
    const w = cache.begin('k2');
    w.commit(meta);
    assert.equal(cache.lookup('k2'), undefined);
    fs.mkdirSync(cache.dir('k3'), { recursive: true });
    fs.writeFileSync(path.join(cache.dir('k3'), 'manifest.json'), JSON.stringify({ ...meta, format: 1, key: 'other', files: {} }));
    assert.equal(cache.lookup('k3'), undefined);
  });

  it('leaves nothing that looks finished when the process is killed mid-write', () => {
    // A real child process starts a cell, writes half an artifact, and is killed with SIGKILL before committing.
    const script = `
      const { CellCache } = require(${JSON.stringify(path.resolve(__dirname, '../../../extension/core/run/cache.ts'))});
      const fs = require('fs');
      const w = new CellCache(${JSON.stringify(root)}).begin('k4');
      fs.writeFileSync(w.dir + '/lora.safetensors', 'half');
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL');
    const cache = new CellCache(root);
    assert.equal(cache.lookup('k4'), undefined);
    assert.equal(fs.existsSync(cache.dir('k4')), false);
    const left = fs.readdirSync(path.join(root, 'cells'));
    assert.equal(left.length, 1);
    assert.match(left[0], /^\.tmp-k4/);
    cache.sweep();
    assert.deepEqual(fs.readdirSync(path.join(root, 'cells')), [], 'the dead run\'s temporary folder is swept');
  });

  it('clears one recipe\'s cells and keeps another\'s', () => {
    const cache = new CellCache(root);
    for (const [k, recipe] of [[KEY_A, '/x.lorabias'], [KEY_B, '/y.lorabias']]) {
      const w = cache.begin(k);
      w.commit({ ...meta, files: {} });
      cache.record(recipe, [k]);
    }
    assert.equal(cache.clear('/x.lorabias'), 1);
    assert.equal(cache.lookup(KEY_A), undefined);
    assert.ok(cache.lookup(KEY_B));
  });

  it('clears only this recipe\'s resume checkpoints under work/', () => {
    const cache = new CellCache(root);
    cache.record('/x.lorabias', [KEY_A]);
    cache.record('/y.lorabias', [KEY_B]);
    for (const k of [KEY_A, KEY_B]) {
      fs.mkdirSync(cache.workDir(k), { recursive: true });
      fs.writeFileSync(path.join(cache.workDir(k), 'lora.safetensors.step-00010'), 'checkpoint');
    }
    cache.clear('/x.lorabias');
    assert.equal(fs.existsSync(cache.workDir(KEY_A)), false);
    assert.ok(fs.existsSync(path.join(cache.workDir(KEY_B), 'lora.safetensors.step-00010')), 'the other recipe keeps its checkpoint');
  });

  it('never deletes outside the cache folder, whatever the recipe index lists', () => {
    // a crafted index: keys that climb out of the cache, an absolute path, and a cell folder that is a link out
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-victim-'));
    try {
      fs.writeFileSync(path.join(outside, 'precious.txt'), 'keep me');
      const cache = new CellCache(path.join(root, '.lorabias'));
      cache.record('/x.lorabias', [KEY_A]);
      const index = path.join(cache.root, 'recipes', fs.readdirSync(path.join(cache.root, 'recipes'))[0]);
      const rel = path.relative(path.join(cache.root, 'cells'), outside);
      fs.writeFileSync(index, JSON.stringify([rel, outside, '../../..', `${KEY_A}/../../..`, KEY_B, 42]));
      fs.mkdirSync(path.join(cache.root, 'cells'), { recursive: true });
      fs.symlinkSync(outside, cache.dir(KEY_B));
      fs.mkdirSync(path.join(cache.root, 'work'), { recursive: true });
      fs.symlinkSync(outside, cache.workDir(KEY_B));
      assert.deepEqual(cache.recorded('/x.lorabias'), [KEY_B], 'only keys of the cache\'s own format are read');
      cache.clear('/x.lorabias');
      assert.equal(fs.readFileSync(path.join(outside, 'precious.txt'), 'utf8'), 'keep me');
      assert.equal(fs.existsSync(cache.dir(KEY_B)), false, 'the link itself went, not what it points to');
      assert.ok(fs.existsSync(root), 'the folder holding the cache is still there');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('does not delete through a cells folder that is a link out of the cache', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-victim-'));
    try {
      fs.mkdirSync(path.join(outside, KEY_A));
      fs.writeFileSync(path.join(outside, KEY_A, 'precious.txt'), 'keep me');
      const cache = new CellCache(path.join(root, '.lorabias'));
      fs.mkdirSync(cache.root, { recursive: true });
      fs.symlinkSync(outside, path.join(cache.root, 'cells'));
      cache.record('/x.lorabias', [KEY_A]);
      assert.equal(cache.clear('/x.lorabias'), 0);
      assert.ok(fs.existsSync(path.join(outside, KEY_A, 'precious.txt')));
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
