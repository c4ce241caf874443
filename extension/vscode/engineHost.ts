// The workspace's engine: one Python worker for every recipe notebook, started on first need with the configured
// interpreter, shown in the status bar ("ready on cpu", "busy"…), and shut down when the window closes.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient, EngineState } from '../core/engine/client';
import { EngineSession } from '../core/engine/session';

export class EngineHost implements vscode.Disposable {
  private session?: EngineSession;
  private readonly status = vscode.window.createStatusBarItem('lorabias.engine', vscode.StatusBarAlignment.Left, 50);
  private device = '';

  constructor(private readonly extensionPath: string) {
    this.status.name = 'LoRA Bias engine';
    this.status.command = 'lorabias.showEngineLog';
  }

  readonly log = vscode.window.createOutputChannel('LoRA Bias engine');

  /** The session, made with the current settings; a settings change takes effect with the next worker. */
  get(): EngineSession {
    if (!this.session) {
      const cfg = vscode.workspace.getConfiguration('lorabias');
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      this.session = new EngineSession(
        { python: cfg.get<string>('pythonPath') || process.env.LORABIAS_PYTHON, searchDirs: [...folders, this.extensionPath],
          idleTimeoutMs: 1000 * (cfg.get<number>('engineTimeout') ?? 600) },
        (client) => this.watch(client),
      );
      this.show('stopped');
    }
    return this.session;
  }

  deviceSetting(): string {
    return vscode.workspace.getConfiguration('lorabias').get<string>('device') || 'auto';
  }

  private watch(client: EngineClient): void {
    client.on('state', (s: EngineState) => {
      if (s === 'ready' && client.info) {
        const devices = (client.info.devices as { name?: string; kind?: string; index?: number; memory_bytes?: number }[] | undefined) ?? [];
        const d = devices.find((x) => x.kind === 'cuda') ?? devices[0];
        this.device = d ? (d.kind === 'cuda' ? `CUDA:${d.index ?? 0} ${d.name ?? ''}${d.memory_bytes ? ` ${Math.round(d.memory_bytes / 2 ** 30)} GB` : ''}` : 'CPU') : '';
      }
      this.show(s);
    });
    client.on('log', (line: string) => this.log.appendLine(line));
  }

  private show(s: EngineState): void {
    const text = { stopped: '$(circle-slash) LoRA Bias: stopped', starting: '$(sync~spin) LoRA Bias: starting', ready: `$(check) LoRA Bias: ready on ${this.device}`, busy: '$(sync~spin) LoRA Bias: busy' }[s];
    this.status.text = text.trim();
    this.status.tooltip = `Engine: ${this.session?.launch.python ?? ''} (${path.basename(this.session?.launch.engineDir ?? '')}). Click for its log.`;
    this.status.show();
  }

  dispose(): void {
    void this.session?.shutdown();
    this.status.dispose();
    this.log.dispose();
  }
}
