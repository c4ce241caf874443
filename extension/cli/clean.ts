// `lorabias clean`: delete what a recipe left in the cache (its trained LoRAs, images, reports).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CellCache } from '../core/run/cache';
import { defaultCacheRoot } from '../core/run/executor';

export function runClean(file: string, out: (s: string) => void): number {
  if (!fs.existsSync(file)) {
    out(`${file}:1:1: error: no such file: ${file}`);
    return 1;
  }
  const cache = new CellCache(defaultCacheRoot(path.resolve(file)));
  // only this recipe's cells and resume checkpoints: other recipes beside it keep theirs
  const n = cache.clear(path.resolve(file));
  out(`${file}: removed ${n} cached cell${n === 1 ? '' : 's'} from ${cache.root}`);
  return 0;
}
