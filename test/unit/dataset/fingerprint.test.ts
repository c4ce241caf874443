// The dataset fingerprint follows content, not timestamps.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { datasetFingerprint } from '../../../extension/core/dataset/fingerprint';
import { structured, tmpDir, writeImage } from './make-images';

describe('datasetFingerprint', () => {
  it('is stable across touches and changes with any image, caption, rename or repeat count', async () => {
    const root = tmpDir('fp');
    await writeImage(path.join(root, 'd/5_x/a.png'), structured(31, 32, 32));
    fs.writeFileSync(path.join(root, 'd/5_x/a.txt'), 'one, two');
    const spec = { images: 'd' };
    const f0 = await datasetFingerprint(spec, root);
    assert.match(f0, /^[0-9a-f]{64}$/);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, 'd/5_x/a.png'), later, later);
    assert.equal(await datasetFingerprint(spec, root), f0);

    fs.writeFileSync(path.join(root, 'd/5_x/a.txt'), 'one, three');
    const f1 = await datasetFingerprint(spec, root);
    assert.notEqual(f1, f0);
    await writeImage(path.join(root, 'd/5_x/a.png'), structured(32, 32, 32));
    const f2 = await datasetFingerprint(spec, root);
    assert.notEqual(f2, f1);
    fs.renameSync(path.join(root, 'd/5_x'), path.join(root, 'd/6_x'));
    const f3 = await datasetFingerprint(spec, root);
    assert.notEqual(f3, f2);
    assert.notEqual(await datasetFingerprint({ images: 'd', caption_extension: '.caption' }, root), f3);
    fs.writeFileSync(path.join(root, 'd/notes.md'), 'not part of the dataset');
    assert.equal(await datasetFingerprint(spec, root), f3);
  });
});
