// Activating the extension loads neither sharp nor onnxruntime-node (they load on first use). Runs the
// activation benchmark, which loads the built bundle against a FAKE `vscode` (no editor runs in unit tests).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(__dirname, '../..');

it('activates without loading the heavy native modules', () => {
  if (!fs.existsSync(path.join(root, 'dist/extension.js'))) spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root });
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/activation.ts'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /heavy modules loaded at activation: none/);
  assert.match(r.stdout, /\d+ disposables/);
});
