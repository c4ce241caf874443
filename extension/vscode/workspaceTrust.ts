// Workspace Trust. An untrusted workspace can open, edit and validate recipes (nothing there runs code), but
// running cells starts the Python engine, so it needs trust. The controller calls the gate below before it
// runs anything (VS Code also asks on its own before executing a cell), and a context key serves menus and
// `when` clauses.
import * as vscode from 'vscode';

export const TRUSTED_CONTEXT_KEY = 'lorabias.workspaceTrusted';

export function registerWorkspaceTrust(): vscode.Disposable {
  const publish = () => vscode.commands.executeCommand('setContext', TRUSTED_CONTEXT_KEY, vscode.workspace.isTrusted);
  void publish();
  return vscode.workspace.onDidGrantWorkspaceTrust(() => void publish());
}

/**
 * True when the workspace is trusted. Otherwise tells the user why `action` cannot happen, offers to manage
 * trust, and returns false; the caller must then not start anything.
 */
export async function ensureTrusted(action: string, why = 'it starts the Python engine, which runs code'): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  const pick = await vscode.window.showWarningMessage(
    `${action} needs a trusted workspace: ${why}. ` +
      'Recipes can still be viewed, edited and validated here.',
    manage,
  );
  if (pick === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
