// Benchmark: cache keys of a recipe whose dataset is a large folder (default /usr/lib, the case that once spent
// 28 s reading 4.2 GB synchronously before a 13 ms cell). Prints the time to key it with an empty index (every
// file read once), with the index filled (nothing read), the bytes read, and the longest stall of the event loop
// while it ran (the extension host's responsiveness: a timer every 10 ms measures how late it fires).
// Usage: npx tsx bench/keys.ts [folder]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecipeText } from '../extension/core/recipe';
import { InputHasher } from '../extension/core/run/inputHashes';
import { computeKeys } from '../extension/core/run/keys';

const folder = path.resolve(process.argv[2] ?? '/usr/lib');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-bench-keys-'));
const recipe = path.join(work, 'r.lorabias');
const cells = parseRecipeText(`dataset:\n  name: big\n  images: ${folder}\n`).cells;
const cacheRoot = path.join(work, '.lorabias');

async function keyOnce(label: string): Promise<string> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  const hasher = await InputHasher.open({ cacheRoot });
  const t0 = performance.now();
  const keys = await computeKeys(cells, recipe, 'bench', { hasher });
  await hasher.close();
  const s = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const { filesHashed, bytesHashed, filesFromIndex } = hasher.stats;
  console.log(`${label}: ${s.toFixed(1)} s; read ${filesHashed} files (${(bytesHashed / 1024 ** 3).toFixed(2)} GB), ${filesFromIndex} from the index; longest event-loop stall ${worst.toFixed(0)} ms`);
  return [...keys.values()][0].key;
}

(async () => {
  console.log(`keying a dataset of ${folder}`);
  const cold = await keyOnce('empty index ');
  const warm = await keyOnce('filled index');
  console.log(`same key both times: ${cold === warm}; index ${(fs.statSync(path.join(cacheRoot, 'fingerprints.json')).size / 1024 ** 2).toFixed(1)} MB`);
  fs.rmSync(work, { recursive: true, force: true });
})();
