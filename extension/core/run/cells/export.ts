// `export` cell: write the LoRA where the user asked, with kohya keys, `ss_*` metadata and the recipe's provenance.
import * as path from 'node:path';
import { mdCode } from '../../text/markdownEscape';
import { CellHandler, engineRequest } from './context';

export const runExport: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const u = ctx.upstream(String(b.lora));
  const to = path.resolve(ctx.recipeDir, String(b.to));
  const provenance: Record<string, unknown> = {
    ...((b.metadata as Record<string, unknown>) ?? {}),
    lorabias_cell: String(b.lora),
    lorabias_cell_key: u.manifest.key,
    lorabias_engine: u.manifest.engine,
    ss_output_name: path.basename(to, '.safetensors'),
  };
  const over = u.manifest.figures.over as { name: string; weight: number }[] | undefined;
  if (over) provenance.lorabias_bias = over.map((o) => ({ name: o.name, weight: o.weight }));
  const r = await engineRequest(ctx, 'export', { lora: u.manifest.files.lora, to, metadata: provenance, ...(b.dtype ? { dtype: b.dtype } : {}) });
  return {
    files: { lora: to },
    figures: { path: to, keys: r.keys, sha256: r.sha256 },
    display: { title: `export ${b.lora}`, markdown: `wrote ${mdCode(String(b.to))}: ${r.keys} tensors, sha256 \`${String(r.sha256).slice(0, 12)}…\`` },
  };
};
