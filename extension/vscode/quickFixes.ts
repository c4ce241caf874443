// Quick fixes: a problem that carries a `fix` ("did you mean `copier`?") becomes a code action that
// replaces the problem's range with the suggested text.
import * as vscode from 'vscode';
import type { RecipeDiagnostics } from './diagnostics';
import { DIAGNOSTIC_SOURCE } from './problems';

export class RecipeQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: RecipeDiagnostics) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const fix of this.diagnostics.fixesFor(document.uri, range)) {
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(document.uri, fix.range, fix.newText);
      action.diagnostics = context.diagnostics.filter((d) =>
        d.source === DIAGNOSTIC_SOURCE && d.code === fix.code && d.range.isEqual(fix.range));
      action.isPreferred = actions.length === 0;
      actions.push(action);
    }
    return actions;
  }
}
