// `slider` cell: a text slider trained in the engine from prompts alone (no dataset), over frozen biases, with
// anchor prompts kept unchanged. Its result is a LoRA like a target's: previewed, compared and exported the same way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CellHandler, engineRequest, fmt, modelParams } from './context';
import { familyOf, overBiases, removeIfEmpty } from './train';

/** Cell keys passed to the engine as they are (same names, same meaning). */
const SLIDER_KEYS = ['positive', 'negative', 'neutral', 'guidance', 'timesteps', 'denoise_steps', 'rank', 'alpha', 'conv_rank', 'conv_alpha', 'steps', 'lr',
  'scheduler', 'warmup_steps', 'batch_size', 'resolution', 'seed', 'mixed_precision', 'gradient_checkpointing', 'checkpoint_every'] as const;

export interface Anchor { prompt: string; strength: number }

export const runSlider: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const biases = overBiases(ctx, b.over);
  const modelName = b.model ? String(b.model) : biases[0]?.model;
  if (!modelName) throw Object.assign(new Error('a slider without `over:` needs `model:`'), { code: 'E_CELL' });
  const targets = (Array.isArray(b.target) ? b.target : [b.target]).map(String);
  const anchors: Anchor[] = ((b.anchors as unknown[] | undefined) ?? []).map((a) =>
    (typeof a === 'string' ? { prompt: a, strength: 1 } : { prompt: String((a as Anchor).prompt), strength: (a as Partial<Anchor>).strength ?? 1 }));
  const params: Record<string, unknown> = { ...modelParams(ctx, modelName), targets, anchors };
  for (const k of SLIDER_KEYS) if (b[k] !== undefined) params[k] = b[k];
  params.over = biases.map((x) => ({ path: x.lora, weight: x.weight }));
  params.metadata = { lorabias_role: 'slider', lorabias_over: biases.map((x) => ({ name: x.name, weight: x.weight })) };
  // the cached LoRA keeps full precision; `export` writes the precision asked for
  params.save_precision = 'float';
  params.output = path.join(ctx.workDir, 'lora.safetensors'); // the engine makes the folder
  params.resume = true; // a checkpoint left by a cancelled run of this very cell (`checkpoint_every`)

  let r: Record<string, unknown>;
  try {
    r = await engineRequest(ctx, 'slider', params);
  } catch (e) {
    removeIfEmpty(ctx.workDir); // a cancelled run keeps its checkpoint, never an empty folder
    throw e;
  }
  fs.renameSync(String(r.path ?? params.output), path.join(ctx.outDir, 'lora.safetensors'));
  fs.rmSync(ctx.workDir, { recursive: true, force: true });
  removeIfEmpty(ctx.workDir);
  const losses = Array.isArray(r.losses) ? (r.losses as number[]) : [];
  const anchorLosses = Array.isArray(r.anchor_losses) ? (r.anchor_losses as number[]) : undefined;
  const guidance = (b.guidance as number | undefined) ?? 1;
  const negative = (b.negative as string | undefined) ?? '';
  const figures: Record<string, unknown> = {
    steps: r.steps_done, finalLoss: r.final_loss, trainSeconds: r.seconds, its: r.its, losses,
    ...(anchorLosses ? { anchorLosses, finalAnchorLoss: anchorLosses[anchorLosses.length - 1] } : {}),
    model: modelName, over: biases.map((x) => ({ name: x.name, weight: x.weight })),
    slider: { targets, positive: b.positive, negative, neutral: b.neutral ?? '{target}', guidance, anchors },
  };
  const quote = (p: string) => (p ? `\`${p}\`` : 'the empty prompt');
  const md = [
    `**${ctx.cell.name}**: ${r.steps_done} steps, final loss ${fmt(r.final_loss)}, ${fmt(r.seconds)} s (${fmt(r.its)} it/s)`,
    `text slider on ${targets.map(quote).join(', ')}: −1 toward ${quote(negative)}, +1 toward ${quote(String(b.positive))}, η = ${guidance}`,
    anchors.length ? `anchors kept unchanged: ${anchors.map((a) => `${quote(a.prompt)} × ${a.strength}`).join(', ')}` +
      (anchorLosses ? ` (final anchor loss ${fmt(anchorLosses[anchorLosses.length - 1])})` : '') : 'no anchors',
    biases.length ? `trained over ${biases.map((x) => `\`${x.name}\` × ${x.weight}`).join(', ')} (frozen, not part of the result)` : 'trained directly on the model (no bias)',
  ];
  const family = familyOf(ctx, modelName);
  return { files: { lora: 'lora.safetensors' }, figures,
    artifact: { lora: 'lora.safetensors', model: modelName, ...(family ? { family } : {}), weight: 1,
      over: biases.map((x) => ({ name: x.name, weight: x.weight, lora: x.lora })) },
    display: { title: `slider ${ctx.cell.name}`, markdown: md.join('\n\n'), data: { losses } } };
};
