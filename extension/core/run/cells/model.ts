// `model` cell: load the checkpoint in the engine and report what it is.
import * as path from 'node:path';
import { CellHandler, engineRequest, fmt } from './context';

export const runModel: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const checkpoint = String(b.checkpoint);
  const load: Record<string, unknown> = {
    checkpoint: checkpoint.startsWith('builtin:') ? checkpoint : path.resolve(ctx.recipeDir, checkpoint),
    ...(b.family ? { family: b.family } : {}),
    ...(b.dtype ? { dtype: ({ fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' } as Record<string, string>)[String(b.dtype)] } : {}),
    ...(b.vae ? { vae: path.resolve(ctx.recipeDir, String(b.vae)) } : {}),
    ...(b.clip_skip !== undefined ? { clip_skip: b.clip_skip } : {}),
    ...(b.allow_pickle ? { allow_pickle: true } : {}),
    ...(b.prediction_type ? { prediction_type: b.prediction_type } : {}),
    ...(typeof b.zero_terminal_snr === 'boolean' ? { zero_terminal_snr: b.zero_terminal_snr } : {}),
    ...(ctx.device && ctx.device !== 'auto' ? { device: ctx.device } : {}),
  };
  const r = await engineRequest(ctx, 'load', load);
  const params = Number(r.params);
  return {
    files: {},
    figures: { load: { ...load, family: r.family }, family: r.family, params, device: r.device, dtype: r.dtype,
      predictionType: r.prediction_type, zeroTerminalSnr: r.zero_terminal_snr },
    display: {
      title: `model ${ctx.cell.name ?? ''}`.trim(),
      markdown: `**${ctx.cell.name}**: \`${r.family}\`, ${fmt(params / 1e6)} M parameters, on \`${r.device}\` (${r.dtype})`
        + (b.vae ? `, VAE \`${b.vae}\`` : '') + (b.clip_skip !== undefined ? `, CLIP skip ${b.clip_skip}` : '')
        + (r.prediction_type ? `; predicts \`${r.prediction_type}\` (${r.prediction_type_source})${r.zero_terminal_snr ? ', zero terminal SNR' : ''}` : ''),
    },
  };
};
