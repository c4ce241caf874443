// What a LoRA-producing cell (bias, target, and later slider) hands to the cells that use it: its file, the model
// it belongs to, its multiplier, what it was trained over and on. Recorded in the manifest apart from the display
// figures; target `over:`, preview and export read this and nothing else.
import * as path from 'node:path';
import type { Manifest } from './types';

export interface LoraArtifact {
  /** The LoRA `.safetensors`: relative to the cell's folder in a stored manifest, absolute once read back. */
  lora: string;
  /** The model cell it was trained on (or, for a `file:` bias, declared for). */
  model: string;
  /** That model's family (`tiny`, `sd15`, `sdxl`), when the model cell reported it. */
  family?: string;
  /** The multiplier it is applied at when used as a bias (its cell's `weight`, else 1). */
  weight: number;
  /** The biases it was trained over, frozen, with their multipliers and files. */
  over: { name: string; weight: number; lora: string }[];
  /** The dataset cell it was trained on; absent for a `file:` bias. */
  dataset?: string;
}

/** The artifact a finished LoRA cell recorded, with its file made absolute. */
export function readLoraArtifact(name: string, u: { manifest: Manifest; dir: string }): LoraArtifact {
  const a = u.manifest.artifact;
  if (!a) throw Object.assign(new Error(`\`${name}\` is a ${u.manifest.kind} cell, not a LoRA (bias, target or slider); name one of those`), { code: 'E_CELL' });
  return { ...a, lora: path.resolve(u.dir, a.lora), over: a.over.map((o) => ({ ...o })) };
}

/** The artifact with its file resolved against `dir` (for results read from the cache). */
export function resolveArtifact(a: LoraArtifact | undefined, dir: string): LoraArtifact | undefined {
  return a && { ...a, lora: path.resolve(dir, a.lora) };
}
