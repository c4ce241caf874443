// Benchmark: extension activation (target ≤ 150 ms) with heavy modules not loaded.
// No editor runs inside a benchmark, so `vscode` is a FAKE here: a plain object with the few API calls
// activate() makes, each doing nothing. What is measured is loading dist/extension.js and running activate().
import Module from 'node:module';
import * as path from 'node:path';

const disposable = { dispose() {} };
const event = () => disposable;
const fakeVscode: Record<string, unknown> = {
  workspace: {
    registerNotebookSerializer: () => disposable, onDidOpenNotebookDocument: event, onDidCloseNotebookDocument: event,
    onDidChangeNotebookDocument: event, onDidChangeTextDocument: event, onDidCloseTextDocument: event, onDidOpenTextDocument: event,
    onDidGrantWorkspaceTrust: event, onDidChangeConfiguration: event, notebookDocuments: [], textDocuments: [], isTrusted: true,
    getConfiguration: () => ({ get: () => undefined }), workspaceFolders: [],
  },
  notebooks: {
    createNotebookController: () => ({ ...disposable, onDidChangeSelectedNotebooks: event, updateNotebookAffinity() {} }),
    createRendererMessaging: () => ({ onDidReceiveMessage: event, postMessage: async () => true }),
  },
  languages: {
    createDiagnosticCollection: () => ({ ...disposable, set() {}, delete() {}, clear() {} }),
    registerCompletionItemProvider: () => disposable, registerHoverProvider: () => disposable, registerCodeActionsProvider: () => disposable,
    setTextDocumentLanguage: async () => undefined,
  },
  commands: { registerCommand: () => disposable, executeCommand: async () => undefined },
  window: {
    createStatusBarItem: () => ({ ...disposable, show() {}, hide() {} }), createOutputChannel: () => ({ ...disposable, appendLine() {}, show() {} }),
    onDidChangeActiveNotebookEditor: event, showInformationMessage: async () => undefined,
  },
  Disposable: class { static from() { return disposable; } dispose() {} },
  StatusBarAlignment: { Left: 1, Right: 2 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  CompletionItemKind: {}, MarkdownString: class {}, Range: class {}, Position: class {},
  NotebookCellKind: { Markup: 1, Code: 2 },
  NotebookControllerAffinity: { Default: 1, Preferred: 2 },
  CodeActionKind: { QuickFix: { value: 'quickfix' } },
  EventEmitter: class { event = event; fire() {} dispose() {} },
  Uri: { file: (p: string) => ({ fsPath: p, toString: () => 'file://' + p }) },
};

const resolveFilename = (Module as unknown as { _resolveFilename: (...a: unknown[]) => string })._resolveFilename;
(Module as unknown as { _resolveFilename: (...a: unknown[]) => string })._resolveFilename = function (request: unknown, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fakeVscode } as unknown as NodeJS.Module;

const bundle = path.resolve(__dirname, '../dist/extension.js');
const t0 = performance.now();
const ext = require(bundle);
const t1 = performance.now();
const subscriptions: unknown[] = [];
ext.activate({ subscriptions, extension: { id: 'lorabias.lorabias' }, extensionPath: path.resolve(__dirname, '..'), extensionUri: { fsPath: path.resolve(__dirname, '..') } });
const t2 = performance.now();
const heavy = Object.keys(require.cache).filter((k) => /node_modules[\\/](sharp|onnxruntime-node|@img)[\\/]/.test(k));
console.log(`activation: load ${(t1 - t0).toFixed(1)} ms + activate() ${(t2 - t1).toFixed(1)} ms = ${(t2 - t0).toFixed(1)} ms (target ≤ 150 ms); ${subscriptions.length} disposables`);
console.log(`heavy modules loaded at activation: ${heavy.length ? heavy.join(', ') : 'none (sharp, onnxruntime-node load on first use)'}`);
if (heavy.length) process.exitCode = 1;
