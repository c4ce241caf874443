// The extension-host side of the renderer's messages: full-size images for the zoom (sent on request, never
// stored in the notebook), and the "Open grid" / "Reveal in file explorer" buttons, which run the
// `lorabias.openGrid` / `lorabias.revealGrid` commands. Only image files that one of the notebook's own outputs
// names are ever read, so a renderer cannot ask for arbitrary files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { OUTPUT_MIME, servableImage } from './outputPayload';

const RENDERER_ID = 'lorabias.renderer';
const MAX_IMAGE_BYTES = 32 * 1024 * 1024;
const MIME: Record<string, string> = { '.png': 'image/png', '.webp': 'image/webp', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

/** Messages the renderer sends (webview/messages.ts holds the same shapes). */
type FromRenderer =
  | { type: 'image'; id: number; path: string }
  | { type: 'openGrid' | 'revealGrid'; path: string };

const decoder = new TextDecoder();

/** The JSON text of every lorabias output of the notebook. */
function* outputTexts(notebook: vscode.NotebookDocument): Generator<string> {
  for (const cell of notebook.getCells()) {
    for (const output of cell.outputs) {
      for (const item of output.items) if (item.mime === OUTPUT_MIME) yield decoder.decode(item.data);
    }
  }
}

/** The grid of the selected cell of the active notebook (for the commands run without an argument). */
function selectedGrid(): string | undefined {
  const editor = vscode.window.activeNotebookEditor;
  if (!editor) return undefined;
  const cells = editor.selections.flatMap((r) => editor.notebook.getCells(r));
  for (const cell of cells.length ? cells : editor.notebook.getCells()) {
    for (const output of cell.outputs) {
      for (const item of output.items) {
        if (item.mime !== OUTPUT_MIME) continue;
        try {
          const grid = (JSON.parse(decoder.decode(item.data)) as { artifacts?: { grid?: unknown } }).artifacts?.grid;
          if (typeof grid === 'string') return grid;
        } catch {
          // not ours to fix here
        }
      }
    }
  }
  return undefined;
}

function gridUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const file = typeof arg === 'string' ? arg : selectedGrid();
  return file ? vscode.Uri.file(file) : undefined;
}

async function openGrid(arg?: unknown): Promise<void> {
  const uri = gridUri(arg);
  if (!uri) return void vscode.window.showInformationMessage('No preview grid here: run a preview cell first.');
  if (!fs.existsSync(uri.fsPath)) return void vscode.window.showWarningMessage(`The grid ${uri.fsPath} is gone (the cache was cleared?). Run the preview cell again.`);
  await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
}

async function revealGrid(arg?: unknown): Promise<void> {
  const uri = gridUri(arg);
  if (!uri) return void vscode.window.showInformationMessage('No preview grid here: run a preview cell first.');
  if (!fs.existsSync(uri.fsPath)) return void vscode.window.showWarningMessage(`The grid ${uri.fsPath} is gone (the cache was cleared?). Run the preview cell again.`);
  await vscode.commands.executeCommand('revealFileInOS', uri);
}

export function registerRendererMessaging(): vscode.Disposable {
  const messaging = vscode.notebooks.createRendererMessaging(RENDERER_ID);
  const onMessage = messaging.onDidReceiveMessage(async ({ editor, message }) => {
    const m = message as FromRenderer;
    if (!m || typeof m !== 'object' || typeof m.path !== 'string') return;
    const file = m.path;
    const allowed = servableImage(file, outputTexts(editor.notebook));
    if (m.type === 'image') {
      let reply: Record<string, unknown>;
      try {
        if (!allowed) throw new Error('not an image of this notebook');
        const size = fs.statSync(file).size;
        if (size > MAX_IMAGE_BYTES) throw new Error(`${Math.round(size / 1e6)} MB is too large to show`);
        const bytes = fs.readFileSync(file);
        reply = { type: 'image', id: m.id, path: m.path, uri: `data:${MIME[path.extname(file).toLowerCase()]};base64,${bytes.toString('base64')}` };
      } catch (err) {
        reply = { type: 'image', id: m.id, path: m.path, error: (err as Error).message };
      }
      await messaging.postMessage(reply, editor);
    } else if ((m.type === 'openGrid' || m.type === 'revealGrid') && allowed) {
      await (m.type === 'openGrid' ? openGrid(file) : revealGrid(file));
    }
  });
  return vscode.Disposable.from(
    onMessage,
    vscode.commands.registerCommand('lorabias.openGrid', openGrid),
    vscode.commands.registerCommand('lorabias.revealGrid', revealGrid),
  );
}
