// What the engine has loaded and the memory it holds (`models`), and unloading the models no open recipe names
// (`unload` with `keep`): typed data for the status bar and the notebook wiring. See engine/PROTOCOL.md.
import * as path from 'node:path';
import { parseCell } from '../recipe/cells';
import type { RecipeCell } from '../recipe/text';
import type { EngineClient } from './client';

export interface LoadedModelInfo {
  modelId: string;
  source: string;
  family: string;
  device: string;
  dtype: string;
  params: number;
  /** Bytes of weights, all components together. */
  bytes: number;
  components: Record<string, { bytes: number; device: string }>;
}

export interface ModelsStatus {
  models: LoadedModelInfo[];
  /** Models read from disk since the worker started. */
  loads: number;
  process: { rssBytes?: number; peakRssBytes?: number; cudaAllocatedBytes?: number };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function parseModelsStatus(r: Record<string, unknown>): ModelsStatus {
  const models = (Array.isArray(r.models) ? r.models : []).map((m: Record<string, unknown>) => ({
    modelId: String(m.model_id), source: String(m.source), family: String(m.family), device: String(m.device),
    dtype: String(m.dtype), params: num(m.params) ?? 0, bytes: num(m.bytes) ?? 0,
    components: (m.components ?? {}) as LoadedModelInfo['components'],
  }));
  const p = (r.process ?? {}) as Record<string, unknown>;
  return { models, loads: num(r.loads) ?? 0,
    process: { rssBytes: num(p.rss_bytes), peakRssBytes: num(p.peak_rss_bytes), cudaAllocatedBytes: num(p.cuda_allocated_bytes) } };
}

/** The running worker's models; undefined when no worker runs (asking never starts one). */
export async function loadedModels(client: EngineClient | undefined): Promise<ModelsStatus | undefined> {
  const r = await client?.peek('models');
  return r ? parseModelsStatus(r) : undefined;
}

/** The checkpoints the model cells of a recipe name, as the model cell sends them to the engine. */
export function checkpointsNamed(cells: RecipeCell[], recipeDir: string): string[] {
  const out = new Set<string>();
  cells.forEach((cell, i) => {
    const parsed = parseCell(cell, i);
    if (parsed.kind !== 'model' || !parsed.doc) return;
    const checkpoint = (parsed.doc.toJS() as { model?: { checkpoint?: unknown } } | null)?.model?.checkpoint;
    if (typeof checkpoint !== 'string' || !checkpoint) return;
    out.add(checkpoint.startsWith('builtin:') ? checkpoint : path.resolve(recipeDir, checkpoint));
  });
  return [...out];
}

/** Unload every model whose checkpoint no open recipe names; undefined when no worker runs. */
export async function unloadUnnamed(client: EngineClient | undefined, keep: string[]): Promise<{ unloaded: string[]; freedBytes: number; status: ModelsStatus } | undefined> {
  const r = await client?.peek('unload', { keep });
  if (!r) return undefined;
  return { unloaded: (r.unloaded as string[] | undefined) ?? [], freedBytes: num(r.freed_bytes) ?? 0, status: parseModelsStatus(r) };
}

const gb = (n: number): string => `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} GB`;

/** The status bar's short text ("4.3 GB in 1 model") and a tooltip line per model. */
export function memoryText(s: ModelsStatus): { text: string; tooltip: string } {
  const bytes = s.models.reduce((a, m) => a + m.bytes, 0);
  const text = s.models.length ? `${gb(bytes)} in ${s.models.length} model${s.models.length > 1 ? 's' : ''}` : 'no model loaded';
  const lines = s.models.map((m) => `${path.basename(m.source)} (${m.family}, ${m.dtype} on ${m.device}): ${gb(m.bytes)}`);
  if (s.process.rssBytes) lines.push(`engine process: ${gb(s.process.rssBytes)} resident, peak ${gb(s.process.peakRssBytes ?? 0)}`);
  if (s.process.cudaAllocatedBytes !== undefined) lines.push(`CUDA allocated: ${gb(s.process.cudaAllocatedBytes)}`);
  return { text, tooltip: lines.join('\n') };
}
