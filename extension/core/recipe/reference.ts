// The recipe reference in the README, written from the schema so the two cannot drift apart.
import { accepts, cellSchema, resolve } from './schemaNav';

export function recipeReference(): string {
  const root = cellSchema()!;
  const out: string[] = [];
  for (const [kind, raw] of Object.entries(root.properties ?? {})) {
    const s = resolve(raw)!;
    out.push(`#### \`${kind}\``, '', s.description ?? '', '');
    if (!s.properties) continue;
    out.push('| key | accepts | meaning |', '|---|---|---|');
    const rows = (props: Record<string, unknown>, prefix: string, required: string[]) => {
      for (const [key, r] of Object.entries(props)) {
        const p = resolve(r as never)!;
        const name = '`' + prefix + key + '`' + (required.includes(key) ? ' (required)' : '');
        out.push(`| ${name} | ${accepts(p).replace(/\|/g, '\\|')} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
        const nested = p.properties ?? resolve(p.items)?.properties;
        if (nested) rows(nested, `${prefix}${key}${p.items ? '[]' : ''}.`, p.required ?? resolve(p.items)?.required ?? []);
      }
    };
    rows(s.properties, '', s.required ?? []);
    out.push('');
  }
  return out.join('\n').trim() + '\n';
}
