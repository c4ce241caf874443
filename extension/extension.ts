// Extension entry point: wiring only. Every feature lives in ./vscode (VS Code adapters) over ./core (logic);
// the core itself is imported lazily, the first time a recipe is opened, validated or completed.
import type * as vscode from 'vscode';
import { registerYamlCells } from './vscode/cellLanguage';
import { registerCommands } from './vscode/commands';
import { RecipeDiagnostics } from './vscode/diagnostics';
import { registerLanguageFeatures } from './vscode/languageFeatures';
import { registerSerializer } from './vscode/serializer';
import { registerWorkspaceTrust } from './vscode/workspaceTrust';

export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = new RecipeDiagnostics();
  context.subscriptions.push(
    registerSerializer(),
    registerYamlCells(),
    diagnostics,
    registerLanguageFeatures(diagnostics),
    registerCommands(diagnostics),
    registerWorkspaceTrust(),
  );
}

export function deactivate(): void {}
