// What a cell handler gets, and what it returns.
import type { EngineClient } from '../../engine/client';
import type { KeyedCell } from '../keys';
import type { LoraArtifact } from '../artifact';
import type { CellDisplay, Manifest } from '../types';

export interface CellContext {
  cell: KeyedCell;
  /** Absolute path of the recipe file. */
  recipePath: string;
  recipeDir: string;
  /** Temporary folder for the cell's artifacts; renamed into the cache when the cell succeeds. */
  outDir: string;
  /** A folder that survives a cancelled run of this exact cell (training checkpoints to resume from). */
  workDir: string;
  /** A finished cell this one uses, by name: its manifest (files are absolute paths) and folder. */
  upstream: (name: string) => { manifest: Manifest; dir: string };
  engine: () => EngineClient;
  device?: string;
  signal: AbortSignal;
  progress: (data: Record<string, unknown>) => void;
  log: (line: string) => void;
}

export interface CellOutcome {
  /** Files by role: relative to outDir for the cell's own, absolute for files elsewhere. */
  files: Record<string, string>;
  figures: Record<string, unknown>;
  /** For LoRA cells: what the cells that use it read (its `lora` relative to outDir, or absolute). */
  artifact?: LoraArtifact;
  display: CellDisplay;
}

export type CellHandler = (ctx: CellContext) => Promise<CellOutcome>;

/** Sends an engine request with the cell's cancel signal, streaming its progress into the cell. */
export async function engineRequest(ctx: CellContext, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return ctx.engine().request(method, params, {
    signal: ctx.signal,
    onEvent: (event, data) => {
      if (event === 'progress') ctx.progress(data);
      else ctx.log(`${event}: ${JSON.stringify(data)}`);
    },
  });
}

/** The model cell a cell trains or samples on, as engine `load` parameters. */
export function modelParams(ctx: CellContext, modelName: string): Record<string, unknown> {
  const m = ctx.upstream(modelName).manifest;
  return { ...(m.figures.load as Record<string, unknown>) };
}

export const fmt = (n: unknown, digits = 3): string => (typeof n === 'number' ? Number(n.toPrecision(digits)).toString() : String(n ?? '—'));
