// Extension entry point: wiring only. Every feature lives in ./vscode (VS Code adapters) over ./core (logic);
// the core itself is imported lazily, the first time a recipe is opened, validated or completed.
import type * as vscode from 'vscode';
import { registerYamlCells } from './vscode/cellLanguage';
import { registerCommands } from './vscode/commands';
import { RecipeController } from './vscode/controller';
import { RecipeDiagnostics } from './vscode/diagnostics';
import { registerRendererMessaging } from './vscode/rendererMessaging';
import { EngineHost } from './vscode/engineHost';
import { registerLanguageFeatures } from './vscode/languageFeatures';
import { ModelMemory } from './vscode/modelMemory';
import { registerRunCommands } from './vscode/runCommands';
import { registerSerializer } from './vscode/serializer';
import { registerWorkspaceTrust } from './vscode/workspaceTrust';

export function activate(context: vscode.ExtensionContext): void {
  const diagnostics = new RecipeDiagnostics();
  const engine = new EngineHost(context.extensionPath);
  const controller = new RecipeController(engine, context.extension.id);
  context.subscriptions.push(
    engine,
    new ModelMemory(engine),
    controller,
    registerRunCommands(controller, engine),
    registerSerializer(),
    registerYamlCells(),
    diagnostics,
    registerLanguageFeatures(diagnostics),
    registerCommands(diagnostics),
    registerWorkspaceTrust(),
    registerRendererMessaging(),
  );
}

export function deactivate(): void {}
