// Turns the core's problems (cell-relative, 0-based) into VS Code diagnostics keyed by cell document.
import * as vscode from 'vscode';
import type { Problem } from '../core/recipe/index.js';

export const DIAGNOSTIC_SOURCE = 'lorabias';

export interface ProblemFix {
  range: vscode.Range;
  code: string;
  title: string;
  newText: string;
}

const SEVERITY: Record<Problem['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function problemRange(problem: Problem, lineOffset = 0): vscode.Range {
  const line = Math.max(0, problem.line) + lineOffset;
  const endLine = Math.max(0, problem.endLine) + lineOffset;
  const col = Math.max(0, problem.col);
  // a zero-width range is hard to see; the editor widens it to the word, the Problems panel shows the position
  return new vscode.Range(line, col, Math.max(line, endLine), endLine < line ? col : Math.max(0, problem.endCol));
}

export function toDiagnostic(problem: Problem, lineOffset = 0): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(problemRange(problem, lineOffset), problem.message, SEVERITY[problem.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = problem.code;
  return diagnostic;
}

export function toFix(problem: Problem, lineOffset = 0): ProblemFix | undefined {
  if (!problem.fix) return undefined;
  return { range: problemRange(problem, lineOffset), code: problem.code, title: problem.fix.title, newText: problem.fix.newText };
}

export interface ProblemCounts { errors: number; warnings: number; infos: number; total: number }

export function countProblems(problems: readonly Problem[]): ProblemCounts {
  const counts = { errors: 0, warnings: 0, infos: 0, total: problems.length };
  for (const p of problems) {
    if (p.severity === 'error') counts.errors++;
    else if (p.severity === 'warning') counts.warnings++;
    else counts.infos++;
  }
  return counts;
}
