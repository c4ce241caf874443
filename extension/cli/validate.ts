// `lorabias validate`: file:line:col diagnostics (clickable in terminals), or JSON with the cells and problems.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRecipeBytes, CheckedRecipe, filePosition, Problem } from '../core/recipe';
import { inspectOutputTarget } from '../core/recipe/outputTarget';

export interface FileReport {
  file: string;
  cells: { index: number; kind: string; name?: string; firstLine: number; lastLine: number }[];
  problems: (Problem & { fileLine: number; fileCol: number })[];
}

export function readRecipe(file: string): CheckedRecipe | { error: string } {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).isDirectory()) return { error: `${file} is a folder, not a recipe file` };
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? String(e)})` };
  }
  return checkRecipeBytes(bytes, { recipePath: path.resolve(file), exists: (p) => fs.existsSync(p), outputTarget: inspectOutputTarget });
}

export function reportFor(file: string, checked: CheckedRecipe): FileReport {
  const { file: recipe, problems } = checked;
  const cells = recipe.cells.map((c, i) => {
    const first = recipe.cellLines[i];
    const raw = c.meta?.raw ?? c.value;
    const lineCount = raw.replace(/(\r?\n)+$/, '').split('\n').length;
    const kind = c.kind === 'markup' ? 'markdown' : /^([A-Za-z_][\w-]*)\s*:/m.exec(c.value)?.[1] ?? '';
    const name = /^\s+name\s*:\s*["']?([^"'#\s]+)/m.exec(c.value)?.[1];
    return { index: i, kind, ...(name ? { name } : {}), firstLine: first + 1, lastLine: first + lineCount };
  });
  return {
    file,
    cells,
    problems: problems.map((p) => {
      const pos = filePosition(p, recipe.cellLines);
      return { ...p, fileLine: pos.line + 1, fileCol: pos.col + 1 };
    }),
  };
}

export function runValidate(files: string[], json: boolean, out: (s: string) => void): number {
  let failed = false;
  const reports: FileReport[] = [];
  for (const file of files) {
    const checked = readRecipe(file);
    if ('error' in checked) {
      failed = true;
      if (json) reports.push({ file, cells: [], problems: [{ cell: -1, line: 0, col: 0, endLine: 0, endCol: 0, severity: 'error', code: 'unreadable', message: checked.error, fileLine: 1, fileCol: 1 }] });
      else out(`${file}:1:1: error: ${checked.error}`);
      continue;
    }
    const report = reportFor(file, checked);
    if (report.problems.some((p) => p.severity === 'error')) failed = true;
    if (json) reports.push(report);
    else for (const p of report.problems) out(`${file}:${p.fileLine}:${p.fileCol}: ${p.severity}: ${p.message}`);
  }
  if (json) out(JSON.stringify(files.length === 1 ? reports[0] : reports, null, 2));
  return failed ? 1 : 0;
}
