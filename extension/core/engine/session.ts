// One engine per workspace (or CLI run): made on first need, replaced after it dies, and explained when it
// cannot start (a missing Python or missing packages get the one command that fixes them).
import { EngineClient, EngineError, EngineLaunch } from './client';
import { defaultEngineDir, findPython, installHint } from './locate';

export interface SessionOptions {
  python?: string;
  searchDirs: string[];
  engineDir?: string;
  idleTimeoutMs?: number;
  env?: Record<string, string>;
}

export class EngineSession {
  private client?: EngineClient;
  readonly launch: EngineLaunch;

  constructor(opts: SessionOptions, private readonly onClient?: (c: EngineClient) => void) {
    const engineDir = opts.engineDir ?? defaultEngineDir();
    this.launch = { python: findPython(opts.python, opts.searchDirs), engineDir, idleTimeoutMs: opts.idleTimeoutMs, env: opts.env };
  }

  /** The client, made on first need. After its process dies, its next request starts a fresh one. */
  get(): EngineClient {
    if (!this.client) {
      this.client = new EngineClient(this.launch);
      this.onClient?.(this.client);
    }
    return this.client;
  }

  /** Requests sent by every client of this session, per method. */
  get sent(): Record<string, number> {
    return this.client?.sent ?? {};
  }

  /** Ends the engine process at once (a CLI that was told to stop and cannot wait for a step to finish). */
  kill(): void {
    this.client?.kill();
  }

  async shutdown(): Promise<void> {
    await this.client?.shutdown();
  }

  /** A clearer message for an engine that could not start: what is missing and the command that installs it. */
  explain(e: EngineError): string {
    const log = e.log.join('\n');
    const missing = /No module named '?([\w.]+)'?/.exec(log)?.[1];
    const hint = installHint(this.launch.python, this.launch.engineDir);
    if (e.code === 'E_ENGINE_START') return `cannot start the engine's Python (${this.launch.python}): set lorabias.pythonPath (or LORABIAS_PYTHON) to a Python 3.10+ with the engine installed, or run: ${hint}`;
    if (missing) return `the engine's Python (${this.launch.python}) lacks the package \`${missing.split('.')[0]}\`; install what the engine needs with: ${hint}`;
    return e.message + (e.log.length ? `\n--- last lines of the engine's log ---\n${e.log.slice(-15).join('\n')}` : '');
  }
}
