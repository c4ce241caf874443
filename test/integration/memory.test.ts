// One copy of the model across a whole recipe (real engine, tiny model, CPU), what the status bar reads from
// `models`, and unloading what no open recipe names.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { engineVersion } from '../../extension/core/engine/locate';
import { checkpointsNamed, loadedModels, memoryText, unloadUnnamed } from '../../extension/core/engine/models';
import { EngineSession } from '../../extension/core/engine/session';
import { parseRecipeText } from '../../extension/core/recipe';
import { runRecipe } from '../../extension/core/run/executor';
import { tinyRecipe } from '../fixtures/tinyRecipe';

const root = path.resolve(__dirname, '../..');
const python = path.join(root, '.venv/bin/python');
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-memory-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('one copy of the model (real engine, tiny model, CPU)', () => {
  it('loads the checkpoint once for model, bias (with fidelity), target, preview and export; unloads it when no recipe names it', async () => {
    const text = tinyRecipe({ copierSteps: 2, targetSteps: 2, until: '{ fidelity: 0.99, every: 1, seeds: [1] }', onFail: 'continue' });
    const recipePath = path.join(dir, 'r.lorabias');
    fs.writeFileSync(recipePath, text);
    const cells = parseRecipeText(text).cells;
    const session = new EngineSession({ python, searchDirs: [] });
    try {
      assert.equal(await loadedModels(session.get()), undefined, 'asking does not start a worker');
      const results = await runRecipe({ recipePath, cells, engineVersion: engineVersion(), engine: () => session.get() });
      assert.equal(results.length, 7);
      const status = await loadedModels(session.get());
      assert.ok(status);
      assert.equal(status.loads, 1, 'read from disk once');
      assert.deepEqual(status.models.map((m) => [m.source, m.family]), [['builtin:tiny-shapes', 'tiny']]);
      assert.ok(status.models[0].bytes > 4 * status.models[0].params * 0.99, 'fp32 weights');
      assert.match(memoryText(status).text, /^[\d.]+ GB in 1 model$/);
      assert.match(memoryText(status).tooltip, /builtin:tiny-shapes \(tiny, float32 on cpu\)/);

      const named = checkpointsNamed(cells, dir);
      assert.deepEqual(named, ['builtin:tiny-shapes']);
      const kept = await unloadUnnamed(session.get(), named);
      assert.deepEqual(kept?.unloaded, []);
      const gone = await unloadUnnamed(session.get(), []);
      assert.deepEqual(gone?.unloaded, [status.models[0].modelId]);
      assert.equal(gone?.freedBytes, status.models[0].bytes);
      assert.deepEqual(gone?.status.models, []);
    } finally {
      await session.shutdown();
    }
  });

  it('names a model cell\'s checkpoint as the cell sends it (resolved against the recipe folder)', () => {
    const cells = parseRecipeText('model:\n  name: a\n  checkpoint: models/x.safetensors\n---\nmodel:\n  name: b\n  checkpoint: builtin:tiny-shapes\n---\ndataset:\n  name: d\n  images: data\n').cells;
    assert.deepEqual(checkpointsNamed(cells, '/r'), ['/r/models/x.safetensors', 'builtin:tiny-shapes']);
  });
});
