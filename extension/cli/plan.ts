// `lorabias plan`: the cells in run order, with what each one needs.
import { planRecipe } from '../core/plan/plan';
import { readRecipe, reportFor } from './validate';

export function runPlan(file: string, only: string[], json: boolean, out: (s: string) => void): number {
  const checked = readRecipe(file);
  if ('error' in checked) {
    out(`${file}:1:1: error: ${checked.error}`);
    return 1;
  }
  const report = reportFor(file, checked);
  const errors = report.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    for (const p of errors) out(`${file}:${p.fileLine}:${p.fileCol}: error: ${p.message}`);
    out(`${file}: not planned: fix the ${errors.length} error${errors.length === 1 ? '' : 's'} above first`);
    return 1;
  }
  const known = new Set(report.cells.map((c) => c.name).filter(Boolean));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length) {
    out(`${file}: no cell named ${unknown.map((n) => '`' + n + '`').join(', ')}`);
    return 1;
  }
  const steps = planRecipe(checked.file.cells, only.length ? only : undefined);
  if (json) {
    out(JSON.stringify(steps.map((s) => ({ ...s, line: report.cells[s.cell].firstLine })), null, 2));
    return 0;
  }
  steps.forEach((s, i) => {
    const line = report.cells[s.cell].firstLine;
    const label = `${s.kind}${s.name ? ' ' + s.name : ''}`;
    const needs = s.needs.length ? `  ← ${s.needs.join(', ')}` : '';
    out(`${String(i + 1).padStart(3)}. ${label.padEnd(28)} ${file}:${line}${needs}`);
  });
  return 0;
}
