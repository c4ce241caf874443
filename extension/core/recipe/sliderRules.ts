// Rules of a `slider` cell that the schema cannot say on its own: a timestep window that is a window, two poles
// that differ, and `{target}` as the only placeholder in its prompts.
import { isMap, isScalar, isSeq, Node } from 'yaml';
import { kindSpan, nodeSpan, ParsedCell } from './cells';
import type { Problem } from './problems';

const PROMPT_KEYS = ['positive', 'negative', 'neutral'] as const;

export function sliderProblems(cell: ParsedCell, body: Node): Problem[] {
  const out: Problem[] = [];
  if (!isMap(body)) return out;
  const at = (node: Node | undefined, code: string, message: string, severity: Problem['severity'] = 'error') =>
    out.push({ cell: cell.index, ...(nodeSpan(cell, node) ?? kindSpan(cell)), severity, code, message });
  const window = body.get('timesteps', true);
  if (isSeq(window) && window.items.length === 2) {
    const [lo, hi] = window.items.map((n) => (isScalar(n) ? n.value : undefined));
    if (typeof lo === 'number' && typeof hi === 'number' && lo >= hi) {
      at(window, 'slider-timesteps', `\`timesteps: [${lo}, ${hi}]\` is not a window: write [min, max] with min below max, e.g. [200, 1000]`);
    }
  }
  const text = (k: string) => { const n = body.get(k, true); return isScalar(n) && typeof n.value === 'string' ? n.value : undefined; };
  const negative = text('negative') ?? '';
  if (text('positive') !== undefined && text('positive') === negative) {
    at(body.get('negative', true) as Node | undefined ?? body.get('positive', true) as Node, 'slider-poles',
      '`positive` and `negative` are the same prompt, so the slider has no direction: make them the two ends (e.g. `large, {target}` and `small, {target}`)');
  }
  for (const k of PROMPT_KEYS) {
    const value = text(k);
    const other = value?.match(/\{[^}]*\}/g)?.find((m) => m !== '{target}');
    if (other) {
      at(body.get(k, true) as Node, 'slider-placeholder', `\`${other}\` in \`${k}\` is not replaced: the only placeholder is \`{target}\` (the target prompt)`, 'warning');
    }
  }
  return out;
}
