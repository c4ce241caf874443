// `lorabias run`: the same executor as the notebook, for terminals, CI and remote GPU boxes.
import * as path from 'node:path';
import { EngineError } from '../core/engine/client';
import { engineVersion } from '../core/engine/locate';
import { EngineSession } from '../core/engine/session';
import { CellFailed, runRecipe, RunFailures } from '../core/run/executor';
import type { CellResult } from '../core/run/types';
import { plainFromMarkdown } from '../core/text/markdownEscape';
import type { ShapesLeakage } from '../core/preview/leakage';
import { ProgressPrinter } from './progress';
import { readRecipe, reportFor } from './validate';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long a cancelled engine may take to stop after a signal before it is killed. */
const STOP_GRACE_MS = 700;

export interface RunArgs {
  file: string;
  cells: string[];
  force: boolean;
  json: boolean;
  python?: string;
  device?: string;
}

export async function runRun(args: RunArgs, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const checked = readRecipe(args.file);
  if ('error' in checked) {
    out(`${args.file}:1:1: error: ${checked.error}`);
    return 1;
  }
  const report = reportFor(args.file, checked);
  const errors = report.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    for (const p of errors) out(`${args.file}:${p.fileLine}:${p.fileCol}: error: ${p.message}`);
    out(`${args.file}: not run: fix the ${errors.length} error${errors.length === 1 ? '' : 's'} above first`);
    return 1;
  }
  const unknown = args.cells.filter((n) => !report.cells.some((c) => c.name === n));
  if (unknown.length) {
    out(`${args.file}: no cell named ${unknown.map((n) => '`' + n + '`').join(', ')}`);
    return 1;
  }
  const recipePath = path.resolve(args.file);
  const session = new EngineSession({ python: args.python ?? process.env.LORABIAS_PYTHON, searchDirs: [process.cwd(), path.dirname(recipePath), path.resolve(__dirname, '..')] });
  const controller = new AbortController();
  // SIGINT (Ctrl-C), SIGTERM (kill, CI timeouts) and SIGHUP (the terminal closed): cancel the running cell; if the
  // engine has not stopped a moment later (a long step, a model load), end it, so nothing keeps running after us
  let hardStop: NodeJS.Timeout | undefined;
  const onSignal = () => {
    controller.abort();
    hardStop ??= setTimeout(() => session.kill(), STOP_GRACE_MS);
  };
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  const printer = new ProgressPrinter(err, Boolean(process.stderr.isTTY) && !args.json, report.cells);
  let code = 0;
  // a failed cell does not end the run: the cells that need it are skipped, the others run, and the exit code is 1
  const failures = new RunFailures();
  const failed = (cell: number, errorCode: string, message: string, severity = 'error') => {
    if (args.json) out(JSON.stringify({ cell, kind: report.cells[cell]?.kind, name: report.cells[cell]?.name, [severity === 'error' ? 'error' : 'skipped']: { code: errorCode, message } }));
    err(`${args.file}:${report.cells[cell]?.firstLine ?? 1}:1: ${severity}: ${message}`);
  };
  try {
    await runRecipe({
      recipePath, cells: checked.file.cells, only: args.cells, force: args.force, engineVersion: engineVersion(), device: args.device ?? process.env.LORABIAS_DEVICE,
      engine: () => session.get(), signal: controller.signal, onHashing: (p) => printer.hashing(p), failures, keepGoing: true,
      onEvent: (e) => {
        printer.event(e);
        if (e.type === 'done') out(args.json ? JSON.stringify(jsonLine(e.result)) : summaryLine(args.file, e.result, report.cells[e.result.cell].firstLine));
        if (e.type === 'error') failed(e.cell, e.code, e.code.startsWith('E_ENGINE') ? session.explain(new EngineError(e.code, e.message, e.log)) : e.message);
        if (e.type === 'skipped') failed(e.cell, 'E_SKIPPED', e.message, 'skipped');
      },
    });
    if (failures.size) {
      code = 1;
      err(`${args.file}: ${failures.size} cell${failures.size === 1 ? '' : 's'} failed: ${failures.list().map((f) => `cell ${f.cell + 1} (${f.label})`).join(', ')}`);
    }
  } catch (e) {
    code = 1;
    if (e instanceof CellFailed) {
      const message = e.code.startsWith('E_ENGINE') ? session.explain(new EngineError(e.code, e.message, e.log)) : e.message;
      failed(e.cell, e.code, message);
    } else {
      err(`lorabias run: ${(e as Error).message}`);
    }
  } finally {
    printer.finish();
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    await session.shutdown();
    clearTimeout(hardStop);
  }
  return code;
}

function jsonLine(r: CellResult): Record<string, unknown> {
  return { cell: r.cell, kind: r.kind, ...(r.name !== undefined ? { name: r.name } : {}), cached: r.cached, seconds: Number(r.seconds.toFixed(3)), artifacts: r.artifacts, ...(r.artifact ? { artifact: r.artifact } : {}), ...r.figures };
}

function summaryLine(file: string, r: CellResult, line: number): string {
  const label = `${r.kind}${r.name ? ' ' + r.name : ''}`;
  const how = r.cached ? 'cached' : `${r.seconds.toFixed(1)} s`;
  const first = plainFromMarkdown(r.display.markdown.split('\n')[0]);
  let text = `${file}:${line}: ${label} — ${how}: ${first}`;
  // warnings (a bias constraint that did not hold…) must not stay in the notebook only
  for (const warning of r.display.markdown.split('\n').filter((l) => l.startsWith('⚠'))) text += `\n  ${plainFromMarkdown(warning)}`;
  const leak = r.figures.leakage as { lora: string; ratio: number; intended: number; unintended: number }[] | undefined;
  if (leak?.length) {
    text += '\n  leakage (change outside the edited region per unit of change inside; lower is better):';
    text += `\n    ${'LoRA'.padEnd(20)} ${'ratio'.padStart(8)} ${'inside'.padStart(8)} ${'outside'.padStart(8)}`;
    for (const l of leak) text += `\n    ${l.lora.padEnd(20)} ${l.ratio.toFixed(3).padStart(8)} ${l.intended.toFixed(4).padStart(8)} ${l.unintended.toFixed(4).padStart(8)}`;
  }
  const shapes = r.figures.shapesLeakage as ShapesLeakage[] | undefined;
  if (shapes?.length) {
    const f = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d)).padStart(10);
    text += '\n  shapes read back against weight 0 (a size LoRA should change the size only):';
    text += `\n    ${'LoRA'.padEnd(12)} ${'weight'.padStart(6)} ${'size'.padStart(10)} ${'colour'.padStart(10)} ${'background'.padStart(10)} ${'col/size'.padStart(10)} ${'bg/size'.padStart(10)}`;
    for (const l of shapes) text += `\n    ${l.lora.padEnd(12)} ${String(l.weight).padStart(6)} ${f(l.sizeChange)} ${f(l.colorShift)} ${f(l.backgroundChange, 4)} ${f(l.colorPerSize)} ${f(l.backgroundPerSize, 4)}`;
  }
  if (r.artifacts.grid) text += `\n  grid: ${r.artifacts.grid}`;
  if (r.kind === 'export' && r.artifacts.lora) text += `\n  wrote: ${r.artifacts.lora}`;
  return text;
}
