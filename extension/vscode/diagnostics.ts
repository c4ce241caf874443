// Live diagnostics for recipe notebooks. The whole notebook is validated at once (cells refer to each other),
// on open and, debounced, after every edit; the problems land on each cell's document so the Problems panel
// and the editor squiggles point at the cell, line and column.
import * as fs from 'node:fs';
import { inspectOutputTarget } from '../core/recipe/outputTarget';
import * as vscode from 'vscode';
import type { Problem, ValidateOptions } from '../core/recipe/index.js';
import { loadCore } from './core';
import { isRecipeNotebook, locateCell, recipeCells } from './notebookCells';
import { type ProblemFix, toDiagnostic, toFix } from './problems';

const DEBOUNCE_MS = 200;

export class RecipeDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('lorabias');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Per notebook: the URIs we set diagnostics on, so cells that disappear get theirs cleared. */
  private readonly published = new Map<string, vscode.Uri[]>();
  /** Per notebook: a counter so a slow validation never overwrites a newer one. */
  private readonly generation = new Map<string, number>();
  /** Per document URI: the fixes offered by the problems shown there. */
  private readonly fixes = new Map<string, ProblemFix[]>();

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.schedule(nb, 0)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.schedule(e.notebook)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const where = locateCell(e.document);
        if (where) this.schedule(where.notebook);
      }),
      vscode.workspace.onDidCloseNotebookDocument((nb) => this.forget(nb)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme !== 'vscode-notebook-cell') this.clearUri(doc.uri);
      }),
    );
    for (const nb of vscode.workspace.notebookDocuments) this.schedule(nb, 0);
  }

  /** Validates after a short pause; repeated calls while typing restart the pause. */
  schedule(notebook: vscode.NotebookDocument, delay = DEBOUNCE_MS): void {
    if (!isRecipeNotebook(notebook)) return;
    const key = notebook.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.validateNotebook(notebook).catch((err: unknown) => console.error('lorabias: validation failed', err));
    }, delay));
  }

  /** Validates now and publishes the problems; returns them. */
  async validateNotebook(notebook: vscode.NotebookDocument): Promise<Problem[]> {
    const key = notebook.uri.toString();
    const gen = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, gen);
    const core = await loadCore();
    const problems = core.validateRecipe(recipeCells(notebook), validateOptions(notebook.uri));
    if (this.generation.get(key) !== gen || notebook.isClosed) return problems;
    this.publishNotebook(notebook, problems);
    return problems;
  }

  /** Validates a `.lorabias` file opened as plain text (the validate command offers this too). */
  async validateTextDocument(document: vscode.TextDocument): Promise<Problem[]> {
    const core = await loadCore();
    // the same whole-file check as `lorabias validate` (an empty file is a problem too)
    const { file: parsed, problems } = core.checkRecipeText(document.getText(), validateOptions(document.uri));
    const diagnostics: vscode.Diagnostic[] = [];
    const fixes: ProblemFix[] = [];
    for (const problem of problems) {
      const offset = problem.cell >= 0 ? parsed.cellLines[problem.cell] ?? 0 : 0;
      diagnostics.push(toDiagnostic(problem, offset));
      const fix = toFix(problem, offset);
      if (fix) fixes.push(fix);
    }
    this.collection.set(document.uri, diagnostics);
    this.fixes.set(document.uri.toString(), fixes);
    return problems;
  }

  /** The fixes for problems on `uri` whose range touches `range`. */
  fixesFor(uri: vscode.Uri, range: vscode.Range): ProblemFix[] {
    return (this.fixes.get(uri.toString()) ?? []).filter((fix) => fix.range.intersection(range) !== undefined);
  }

  diagnosticsFor(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  private publishNotebook(notebook: vscode.NotebookDocument, problems: Problem[]): void {
    const cells = notebook.getCells();
    const byUri = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[]; fixes: ProblemFix[] }>();
    for (const cell of cells) byUri.set(cell.document.uri.toString(), { uri: cell.document.uri, diagnostics: [], fixes: [] });
    for (const problem of problems) {
      // whole-file problems go on the first cell; an empty notebook only has its own URI to carry them
      const cell = cells[problem.cell] ?? cells[0];
      const uri = cell ? cell.document.uri : notebook.uri;
      let entry = byUri.get(uri.toString());
      if (!entry) byUri.set(uri.toString(), (entry = { uri, diagnostics: [], fixes: [] }));
      entry.diagnostics.push(toDiagnostic(problem));
      const fix = toFix(problem);
      if (fix) entry.fixes.push(fix);
    }
    const key = notebook.uri.toString();
    for (const stale of this.published.get(key) ?? []) {
      if (!byUri.has(stale.toString())) this.clearUri(stale);
    }
    for (const { uri, diagnostics, fixes } of byUri.values()) {
      this.collection.set(uri, diagnostics);
      this.fixes.set(uri.toString(), fixes);
    }
    this.published.set(key, [...byUri.values()].map((e) => e.uri));
  }

  private forget(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.generation.delete(key);
    for (const uri of this.published.get(key) ?? []) this.clearUri(uri);
    this.published.delete(key);
  }

  private clearUri(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.fixes.delete(uri.toString());
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}

/** Relative paths in cells resolve against the recipe's folder; untitled recipes have none to check against. */
export function validateOptions(uri: vscode.Uri): ValidateOptions {
  if (uri.scheme !== 'file') return {};
  return { recipePath: uri.fsPath, exists: (p) => fs.existsSync(p), outputTarget: inspectOutputTarget };
}
