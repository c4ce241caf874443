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
  /** The current session's worker: the one the status bar follows. */
  private client?: EngineClient;
  private readonly settingsWatch: vscode.Disposable;
  private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
  /** The followed worker's state changes (ModelMemory refreshes on `ready`). */
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(private readonly extensionPath: string) {
    this.status.name = 'LoRA Bias engine';
    this.status.command = 'lorabias.showEngineLog';
    this.settingsWatch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('lorabias.pythonPath') || e.affectsConfiguration('lorabias.engineTimeout')) this.renew();
    });
  }

  /**
   * The settings that choose the worker changed (say, lorabias.pythonPath after "cannot start the engine's
   * Python"): the next run gets a new session with them; the old worker stops once it is not working.
   */
  private renew(): void {
    const old = this.session;
    const client = this.client;
    if (!old) return;
    this.session = undefined;
    this.client = undefined;
    const stop = () => void old.shutdown();
    if (!client || client.state === 'stopped' || client.state === 'ready') stop();
    else {
      const onState = (s: EngineState) => {
        if (s === 'ready' || s === 'stopped') {
          client.off('state', onState);
          stop();
        }
      };
      client.on('state', onState);
    }
    this.show('stopped');
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

  /** The followed worker, if one was made (it may have stopped). */
  running(): EngineClient | undefined {
    return this.client;
  }

  deviceSetting(): string {
    return vscode.workspace.getConfiguration('lorabias').get<string>('device') || 'auto';
  }

  private watch(client: EngineClient): void {
    this.client = client;
    client.on('state', (s: EngineState) => {
      if (client !== this.client) return; // a worker being retired after a settings change
      if (s === 'ready' && client.info) {
        const devices = (client.info.devices as { name?: string; kind?: string; index?: number; memory_bytes?: number }[] | undefined) ?? [];
        const d = devices.find((x) => x.kind === 'cuda') ?? devices[0];
        this.device = d ? (d.kind === 'cuda' ? `CUDA:${d.index ?? 0} ${d.name ?? ''}${d.memory_bytes ? ` ${Math.round(d.memory_bytes / 2 ** 30)} GB` : ''}` : 'CPU') : '';
      }
      this.show(s);
      this.stateEmitter.fire(s);
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
    this.settingsWatch.dispose();
    this.stateEmitter.dispose();
    void this.session?.shutdown();
    this.status.dispose();
    this.log.dispose();
  }
}
