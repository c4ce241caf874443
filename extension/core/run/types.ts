// What running a cell produces: the figures scripts read, the files it made, and what the notebook shows.
import type { LoraArtifact } from './artifact';

/** The display of a finished cell: a markdown summary, images (paths, never base64) and structured data. */
export interface CellDisplay {
  title: string;
  markdown: string;
  images?: { path: string; caption?: string }[];
  /** Structured data for the renderer (tables, charts); JSON-serialisable. */
  data?: Record<string, unknown>;
}

export interface CellResult {
  cell: number;
  kind: string;
  name?: string;
  cached: boolean;
  seconds: number;
  /** Absolute paths of the files the cell made, by role (`lora`, `grid`, `report`…). */
  artifacts: Record<string, string>;
  /** The cell's numbers (loss, fidelity, counts, leakage…), for `lorabias run --json` and the notebook. */
  figures: Record<string, unknown>;
  /** What a LoRA cell (bias, target) hands to the cells that use it; see artifact.ts. */
  artifact?: LoraArtifact;
  display: CellDisplay;
}

export interface Manifest {
  format: 1;
  key: string;
  kind: string;
  name?: string;
  recipe: string;
  engine: string;
  createdAt: string;
  seconds: number;
  /** Files inside the artifact folder, by role (relative to it), or absolute for files outside the cache. */
  files: Record<string, string>;
  figures: Record<string, unknown>;
  /** What a LoRA cell hands on (its `lora` relative to the cell's folder); absent for other kinds. */
  artifact?: LoraArtifact;
  display: CellDisplay;
}

export type RunEvent =
  | { type: 'plan'; cells: number[] }
  | { type: 'start'; cell: number; kind: string; name?: string; cached: boolean }
  | { type: 'progress'; cell: number; data: Record<string, unknown> }
  | { type: 'log'; cell: number; line: string }
  | { type: 'done'; result: CellResult }
  | { type: 'error'; cell: number; code: string; message: string; log?: string[] }
  /** Not run: `upstream`, a cell it needs, failed earlier in the same run. */
  | { type: 'skipped'; cell: number; upstream: number; message: string };
