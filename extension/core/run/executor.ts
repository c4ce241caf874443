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
import { constraintFailure } from './constraint';
import { CellFailed, CellSkipped, RunFailures, waitingOnFailures } from './failures';
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
  /**
   * Cells that failed earlier in the same run (shared by the jobs of one Run All): they are not run again, and the
   * cells that need them are skipped with a `skipped` event. Failures of this call are added to it.
   */
  failures?: RunFailures;
  /**
   * Go on after a failed cell with the cells that do not need it (each failure is an `error` event, each skipped
   * cell a `skipped` event; read `failures` afterwards). Without it the first failure or skip is thrown.
   * A cancel always ends the run.
   */
  keepGoing?: boolean;
}

export { CellFailed, CellSkipped, RunFailures } from './failures';

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
  const failures = opts.failures ?? new RunFailures();
  const byName = new Map([...keyed.values()].filter((k) => k.name !== undefined).map((k) => [k.name!, k.index]));
  const needsOf = (kc: KeyedCell) => kc.needs.map((n) => byName.get(n)).filter((c): c is number => c !== undefined);
  if (!opts.keepGoing) {
    // a chosen cell that waits on a cell failed earlier in this run is skipped before anything runs for it
    const waiting = waitingOnFailures(steps.map((st) => ({ cell: st.cell, needs: needsOf(keyed.get(st.cell)!) })), failures, chosen);
    const first = steps.find((st) => chosen.has(st.cell) && waiting.has(st.cell));
    if (first) throw skip(first.cell, waiting.get(first.cell)!, failures, emit);
  }
  /** Cells not run in this call, by the failed cell they wait on. */
  const blocked = new Map<number, number>();
  const done = new Map<string, { manifest: Manifest; dir: string }>();
  const results: CellResult[] = [];
  for (const step of steps) {
    const kc = keyed.get(step.cell)!;
    if (opts.signal?.aborted) throw new CellFailed(kc.index, 'E_CANCELLED', 'cancelled');
    // a cell that failed earlier in this run is not run again; what needs it is skipped
    if (failures.has(kc.index) && !chosen.has(kc.index)) {
      blocked.set(kc.index, kc.index);
      continue;
    }
    const upstream = needsOf(kc).find((c) => blocked.has(c));
    if (upstream !== undefined) {
      blocked.set(kc.index, blocked.get(upstream)!);
      const skipped = skip(kc.index, blocked.get(upstream)!, failures, emit);
      if (!opts.keepGoing) throw skipped;
      continue;
    }
    let result: CellResult;
    try {
      result = await cachedOrRun(kc, cache, done, opts, emit, opts.force && chosen.has(kc.index));
    } catch (e) {
      if (!(e instanceof CellFailed) || e.code === 'E_CANCELLED') throw e;
      failures.record(e, [kc.kind, kc.name].filter(Boolean).join(' '));
      blocked.set(kc.index, kc.index);
      emit({ type: 'error', cell: kc.index, code: e.code, message: e.message, ...(e.log.length ? { log: e.log } : {}) });
      if (!opts.keepGoing) throw e;
      continue;
    }
    if (kc.name !== undefined) done.set(kc.name, { manifest: manifestOf(result, kc, opts), dir: cache.dir(kc.key) });
    results.push(result);
    emit({ type: 'done', result });
  }
  return results;
}

/** The `skipped` event and error of a cell waiting on `upstream`, a cell that failed. */
function skip(cell: number, upstream: number, failures: RunFailures, emit: (e: RunEvent) => void): CellSkipped {
  const skipped = new CellSkipped(cell, upstream, failures.get(upstream)?.label ?? `cell ${upstream + 1}`);
  emit({ type: 'skipped', cell, upstream, message: skipped.message });
  return skipped;
}

/**
 * A cell's result from the cache, or from running it (`force`: run even when cached). A bias whose constraint did
 * not hold is kept in the cache but fails here, unless it says `on_fail: continue` (see constraint.ts).
 */
async function cachedOrRun(kc: KeyedCell, cache: CellCache, done: Map<string, { manifest: Manifest; dir: string }>, opts: RunOptions, emit: (e: RunEvent) => void, force?: boolean): Promise<CellResult> {
  const hit = force ? undefined : cache.lookup(kc.key);
  emit({ type: 'start', cell: kc.index, kind: kc.kind, name: kc.name, cached: Boolean(hit) });
  const result = hit ? toResult(kc, hit, cache.dir(kc.key), true, 0) : await runCell(kc, cache, done, opts, emit);
  cache.record(opts.recipePath, [kc.key]);
  const broken = constraintFailure(kc, result.figures);
  if (broken) throw new CellFailed(kc.index, 'E_CONSTRAINT', broken);
  return result;
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
