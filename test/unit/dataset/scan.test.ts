// Walking kohya folders: repeats from `N_name` folders (nested ones inherit), the spec's `repeats` elsewhere,
// a folder listed twice walked once, captions paired by stem with the configured extension.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { walkFolders } from '../../../extension/core/dataset/scan';
import type { DatasetProblem } from '../../../extension/core/dataset/types';
import { tmpDir } from './make-images';

function touch(root: string, rel: string, text = 'x') {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

describe('walkFolders', () => {
  it('takes repeats from N_ folders, inherits them in subfolders, and uses the default elsewhere', async () => {
    const root = tmpDir('walk');
    for (const f of ['d/a.png', 'd/12_x/b.jpg', 'd/12_x/sub/c.webp', 'd/12_x/2_y/e.png', 'd/plain/f.PNG', '3_top/g.png']) touch(root, f);
    const problems: DatasetProblem[] = [];
    const w = await walkFolders(['d', 'd', '3_top'], root, '.txt', 5, problems);
    assert.deepEqual(w.images.map((i) => [i.rel, i.repeats]), [
      ['d/12_x/2_y/e.png', 2], ['d/12_x/b.jpg', 12], ['d/12_x/sub/c.webp', 12], ['d/a.png', 5], ['d/plain/f.PNG', 5], ['3_top/g.png', 3],
    ]);
    assert.deepEqual(problems, []);
  });

  it('pairs captions by the configured extension and points out the other kind', async () => {
    const root = tmpDir('walk');
    for (const f of ['d/a.png', 'd/a.caption', 'd/a.txt', 'd/.hidden.png', 'd/latents.npz']) touch(root, f);
    const problems: DatasetProblem[] = [];
    const w = await walkFolders(['d'], root, '.caption', 1, problems);
    assert.deepEqual(w.images.map((i) => i.rel), ['d/a.png']);
    assert.deepEqual(w.captions.map((c) => c.rel), ['d/a.caption']);
    assert.deepEqual(problems.map((p) => [p.file, p.code]), [['d/a.txt', 'ignored-file']]);
    assert.match(problems[0].message, /caption_extension: \.txt/);
  });
});
