// Completion in recipe cells: keys, enum values and earlier cells' names, all from the core's schema.
import * as vscode from 'vscode';
import type { CompletionEntry } from '../core/recipe/index.js';
import { loadCore } from './core';
import { locateCell, recipeCells } from './notebookCells';

const KIND: Record<CompletionEntry['kind'], vscode.CompletionItemKind> = {
  key: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
  reference: vscode.CompletionItemKind.Reference,
  snippet: vscode.CompletionItemKind.Snippet,
};

/** Typing these may open a value or list position (`lock: `, `over: [`, `[a, `). */
export const COMPLETION_TRIGGERS = [' ', '[', ','];

export class RecipeCompletionProvider implements vscode.CompletionItemProvider {
  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[]> {
    const where = locateCell(document);
    if (!where) return [];
    const core = await loadCore();
    const entries = core.completeAt(recipeCells(where.notebook), where.index, position.line, position.character);
    return entries.map((entry, i) => toCompletionItem(entry, position, i));
  }
}

export function toCompletionItem(entry: CompletionEntry, position: vscode.Position, order: number): vscode.CompletionItem {
  const item = new vscode.CompletionItem(entry.label, KIND[entry.kind]);
  item.insertText = entry.isSnippet ? new vscode.SnippetString(entry.insertText) : entry.insertText;
  if (entry.detail) item.detail = entry.detail;
  if (entry.documentation) item.documentation = new vscode.MarkdownString(entry.documentation);
  if (entry.replaceStart !== undefined && entry.replaceStart <= position.character) {
    item.range = new vscode.Range(position.line, entry.replaceStart, position.line, position.character);
  }
  // keep the core's order (it ranks required keys and nearest references first)
  item.sortText = String(order).padStart(4, '0');
  return item;
}
