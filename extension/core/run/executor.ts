// Runs a recipe's cells one at a time: what a cell needs first, cached cells from the cache, the rest through
// their handlers (engine requests, dataset scans). Shared by the notebook controller and `lorabias run`.
import * as path from 'node:path';
import type { EngineClient } from '../engine/client';
import { EngineError } from '../engine/client';
import { planRecipe } from '../plan/plan';
import type { RecipeCell } from '../recipe/text';
import { resolveArtifact } from './artifact';
import { CellCache } from './cache';
import { handlerFor } from './cells';
import type { HashProgress } from './inputHashes';
import { computeKeys, KeyedCell } from './keys';
import type { CellResult, Manifest, RunEvent } from './types';

export interface RunOptions {
  recipePath: string;
  cells: RecipeCell[];
  /** Cells to run (by name or index); all when empty. What they need runs first. */
  only?: (string | number)[];
  /** Re-run the chosen cells even when cached (what they need still comes from the cache). */
  force?: boolean;
  cacheRoot?: string;
  engineVersion: string;
  /** The engine, started on first need. */
  engine: () => EngineClient;
  device?: string;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Progress of reading input files for the cache keys (only files the cache folder's index does not know). */
  onHashing?: (p: HashProgress) => void;
}

export class CellFailed extends Error {
  constructor(readonly cell: number, readonly code: string, message: string, readonly log: string[] = []) {
    super(message);
  }
}

export function defaultCacheRoot(recipePath: string): string {
  return path.join(path.dirname(path.resolve(recipePath)), '.lorabias');
}

/**
 * Finished cells' manifests from the cache, for showing outputs of a reopened notebook without running. Reads the
 * inputs' files to key the cells (asynchronously; files the cache folder's index knows are not read again).
 */
export async function cachedResults(opts: Pick<RunOptions, 'recipePath' | 'cells' | 'cacheRoot' | 'engineVersion' | 'signal' | 'onHashing'>): Promise<Map<number, CellResult>> {
  const cacheRoot = opts.cacheRoot ?? defaultCacheRoot(opts.recipePath);
  const cache = new CellCache(cacheRoot);
  const out = new Map<number, CellResult>();
  const keyed = await computeKeys(opts.cells, opts.recipePath, opts.engineVersion, { cacheRoot, signal: opts.signal, onProgress: opts.onHashing });
  for (const [i, kc] of keyed) {
    const m = cache.lookup(kc.key);
    if (m) out.set(i, toResult(kc, m, cache.dir(kc.key), true, 0));
  }
  return out;
}

export async function runRecipe(opts: RunOptions): Promise<CellResult[]> {
  const emit = opts.onEvent ?? (() => undefined);
  const cacheRoot = opts.cacheRoot ?? defaultCacheRoot(opts.recipePath);
  const cache = new CellCache(cacheRoot);
  const only = opts.only && opts.only.length ? opts.only : undefined;
  const planned = planRecipe(opts.cells, only);
  // only the cells that will run (or come from the cache) are keyed, so only their inputs are read
  let keyed: Map<number, KeyedCell>;
  try {
    keyed = await computeKeys(opts.cells, opts.recipePath, opts.engineVersion, {
      only: planned.map((s) => s.cell), cacheRoot, signal: opts.signal, onProgress: opts.onHashing,
    });
  } catch (e) {
    if (opts.signal?.aborted) throw new CellFailed(planned[planned.length - 1]?.cell ?? 0, 'E_CANCELLED', 'cancelled');
    throw e;
  }
  const steps = planned.filter((s) => keyed.has(s.cell));
  const chosen = new Set(only
    ? steps.filter((s) => only.includes(s.cell) || (s.name !== undefined && only.includes(s.name))).map((s) => s.cell)
    : steps.map((s) => s.cell));
  emit({ type: 'plan', cells: steps.map((s) => s.cell) });
  const done = new Map<string, { manifest: Manifest; dir: string }>();
  const results: CellResult[] = [];
  for (const step of steps) {
    const kc = keyed.get(step.cell)!;
    if (opts.signal?.aborted) throw new CellFailed(kc.index, 'E_CANCELLED', 'cancelled');
    const hit = opts.force && chosen.has(kc.index) ? undefined : cache.lookup(kc.key);
    emit({ type: 'start', cell: kc.index, kind: kc.kind, name: kc.name, cached: Boolean(hit) });
    let result: CellResult;
    if (hit) {
      result = toResult(kc, hit, cache.dir(kc.key), true, 0);
    } else {
      result = await runCell(kc, cache, done, opts, emit);
    }
    if (kc.name !== undefined) done.set(kc.name, { manifest: manifestOf(result, kc, opts), dir: cache.dir(kc.key) });
    cache.record(opts.recipePath, [kc.key]);
    results.push(result);
    emit({ type: 'done', result });
  }
  return results;
}

async function runCell(kc: KeyedCell, cache: CellCache, done: Map<string, { manifest: Manifest; dir: string }>, opts: RunOptions, emit: (e: RunEvent) => void): Promise<CellResult> {
  const t0 = performance.now();
  const work = cache.begin(kc.key);
  try {
    const outcome = await handlerFor(kc.kind)({
      cell: kc,
      recipePath: path.resolve(opts.recipePath),
      recipeDir: path.dirname(path.resolve(opts.recipePath)),
      outDir: work.dir,
      workDir: cache.workDir(kc.key),
      upstream: (name) => {
        const u = done.get(name);
        if (!u) throw new CellFailed(kc.index, 'E_UPSTREAM', `\`${name}\` has not run`);
        return u;
      },
      engine: opts.engine,
      device: opts.device,
      signal: opts.signal ?? new AbortController().signal,
      progress: (data) => emit({ type: 'progress', cell: kc.index, data }),
      log: (line) => emit({ type: 'log', cell: kc.index, line }),
    });
    const seconds = (performance.now() - t0) / 1000;
    const manifest = work.commit({
      kind: kc.kind, ...(kc.name !== undefined ? { name: kc.name } : {}), recipe: path.resolve(opts.recipePath), engine: opts.engineVersion,
      createdAt: new Date().toISOString(), seconds, files: outcome.files, figures: outcome.figures,
      ...(outcome.artifact ? { artifact: outcome.artifact } : {}), display: outcome.display,
    });
    return toResult(kc, manifest, cache.dir(kc.key), false, seconds);
  } catch (e) {
    work.abort();
    if (e instanceof CellFailed) throw e;
    if (e instanceof EngineError) throw new CellFailed(kc.index, e.code, e.message, e.log);
    if (opts.signal?.aborted) throw new CellFailed(kc.index, 'E_CANCELLED', 'cancelled');
    const err = e as Error & { code?: string };
    throw new CellFailed(kc.index, err.code && /^E_/.test(err.code) ? err.code : 'E_CELL', err.message);
  }
}

function manifestOf(r: CellResult, kc: KeyedCell, opts: RunOptions): Manifest {
  return { format: 1, key: kc.key, kind: kc.kind, name: kc.name, recipe: opts.recipePath, engine: opts.engineVersion, createdAt: '', seconds: r.seconds,
    files: r.artifacts, figures: r.figures, ...(r.artifact ? { artifact: r.artifact } : {}), display: r.display };
}

function toResult(kc: KeyedCell, m: Manifest, dir: string, cached: boolean, seconds: number): CellResult {
  const artifacts: Record<string, string> = {};
  for (const [role, f] of Object.entries(m.files)) artifacts[role] = path.resolve(dir, f);
  const display = { ...m.display, images: m.display.images?.map((im) => ({ ...im, path: path.resolve(dir, im.path) })) };
  return { cell: kc.index, kind: kc.kind, ...(kc.name !== undefined ? { name: kc.name } : {}), cached, seconds: cached ? 0 : seconds, artifacts, figures: m.figures,
    ...(m.artifact ? { artifact: resolveArtifact(m.artifact, dir) } : {}), display };
}
