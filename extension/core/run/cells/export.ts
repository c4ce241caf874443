// `export` cell: write the LoRA where the user asked, with kohya keys, `ss_*` metadata and the recipe's provenance.
import * as path from 'node:path';
import { mdCode } from '../../text/markdownEscape';
import { readLoraArtifact } from '../artifact';
import { CellHandler, engineRequest, modelParams } from './context';

export const runExport: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const u = ctx.upstream(String(b.lora));
  const a = readLoraArtifact(String(b.lora), u);
  const to = path.resolve(ctx.recipeDir, String(b.to));
  const provenance: Record<string, unknown> = {
    ...((b.metadata as Record<string, unknown>) ?? {}),
    lorabias_cell: String(b.lora),
    lorabias_cell_key: u.manifest.key,
    lorabias_engine: u.manifest.engine,
    ss_output_name: path.basename(to, '.safetensors'),
  };
  if (a.over.length) provenance.lorabias_bias = a.over.map((o) => ({ name: o.name, weight: o.weight }));
  provenance.lorabias_model = a.model;
  // the model is loaded only to convert a diffusers-format `file:` bias to kohya keys with its layout
  const r = await engineRequest(ctx, 'export', { ...modelParams(ctx, a.model), lora: a.lora, to, metadata: provenance, ...(b.dtype ? { dtype: b.dtype } : {}) });
  return {
    files: { lora: to },
    figures: { path: to, keys: r.keys, sha256: r.sha256, dtype: r.dtype, sshs_model_hash: r.sshs_model_hash },
    display: { title: `export ${b.lora}`, markdown: `wrote ${mdCode(String(b.to))}: ${r.keys} tensors, sha256 \`${String(r.sha256).slice(0, 12)}…\`` },
  };
};
