// The extension side of the engine: one long-lived Python process speaking JSON lines (engine/PROTOCOL.md).
// Requests carry ids; progress events stream to the caller; cancel is a request of its own; a process that dies
// or goes silent fails what it was doing with the last lines of its log, and the next request starts a new one.
import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface EngineLaunch {
  python: string;
  /** Folder that holds the `lorabias_engine` package (put on PYTHONPATH). */
  engineDir: string;
  env?: Record<string, string>;
  /** Fail a request when the engine sends nothing for this long (ms). */
  idleTimeoutMs?: number;
  /** How long a cancelled request may take to stop before the process is killed (ms). */
  cancelGraceMs?: number;
}

export class EngineError extends Error {
  constructor(public readonly code: string, message: string, public readonly log: string[] = []) {
    super(message);
  }
}

export type EngineState = 'stopped' | 'starting' | 'ready' | 'busy';

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
  timer?: NodeJS.Timeout;
  method: string;
}

const LOG_LINES = 40;

export class EngineClient extends EventEmitter {
  private proc?: ChildProcess;
  private pending = new Map<string, Pending>();
  private nextId = 1;
  private log: string[] = [];
  private hello?: Record<string, unknown>;
  private starting?: Promise<Record<string, unknown>>;
  state: EngineState = 'stopped';
  /** Requests sent per method since this client was made (tests and benchmarks read it). */
  readonly sent: Record<string, number> = {};

  constructor(private readonly launch: EngineLaunch) {
    super();
  }

  /** Starts the process if needed and returns its `hello` (versions, devices). */
  start(): Promise<Record<string, unknown>> {
    if (this.proc && this.hello) return Promise.resolve(this.hello);
    if (this.starting) return this.starting;
    this.setState('starting');
    this.log = [];
    // One CPU thread per worker unless the user says otherwise (OMP_NUM_THREADS): the CPU path serves the tiny
    // model, whose small kernels gain nothing from threads, and on a busy machine spinning OpenMP threads made
    // sampling 5–15× slower. CUDA work is unaffected.
    const env = { OMP_NUM_THREADS: '1', ...process.env, ...this.launch.env, PYTHONPATH: joinPath(this.launch.engineDir, process.env.PYTHONPATH), PYTHONUNBUFFERED: '1' };
    const proc = spawn(this.launch.python, ['-m', 'lorabias_engine'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: proc.stderr! }).on('line', (line) => {
      this.log.push(line);
      if (this.log.length > LOG_LINES) this.log.shift();
      this.emit('log', line);
    });
    proc.on('error', (err) => this.onExit(proc, null, null, err));
    proc.on('exit', (code, signal) => this.onExit(proc, code, signal));
    proc.stdin!.on('error', () => { /* the exit handler reports it */ });
    this.starting = this.send('hello', {}).then((h) => {
      this.hello = h;
      this.starting = undefined;
      this.setState('ready');
      return h;
    }, (e) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  /** Sends a request; resolves with its result, rejects with an EngineError. Aborting the signal cancels it. */
  async request(method: string, params: Record<string, unknown>, opts: { signal?: AbortSignal; onEvent?: Pending['onEvent'] } = {}): Promise<Record<string, unknown>> {
    if (opts.signal?.aborted) throw new EngineError('E_CANCELLED', 'cancelled');
    await this.start();
    if (opts.signal?.aborted) throw new EngineError('E_CANCELLED', 'cancelled');
    this.setState('busy');
    try {
      return await this.send(method, params, opts);
    } finally {
      if (this.proc && ![...this.pending.values()].some((p) => p.method !== 'cancel')) this.setState('ready');
    }
  }

  /** A request to a worker that is already running, without starting one or marking it busy (status queries,
   * unloading); undefined when no worker runs. */
  async peek(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown> | undefined> {
    if (!this.proc || !this.hello || this.proc.exitCode !== null) return undefined;
    return this.send(method, params);
  }

  private send(method: string, params: Record<string, unknown>, opts: { signal?: AbortSignal; onEvent?: Pending['onEvent'] } = {}): Promise<Record<string, unknown>> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return Promise.reject(new EngineError('E_ENGINE_DIED', 'the engine is not running', this.log.slice()));
    const id = `r${this.nextId++}`;
    this.sent[method] = (this.sent[method] ?? 0) + 1;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, onEvent: opts.onEvent, method };
      this.pending.set(id, p);
      this.arm(id, p);
      if (opts.signal) {
        const onAbort = () => this.cancel(id);
        opts.signal.addEventListener('abort', onAbort, { once: true });
        if (opts.signal.aborted) queueMicrotask(onAbort);
        const done = () => opts.signal!.removeEventListener('abort', onAbort);
        p.resolve = (v) => { done(); resolve(v); };
        p.reject = (e) => { done(); reject(e); };
      }
      proc.stdin!.write(JSON.stringify({ id, method, params }) + '\n');
    });
  }

  private arm(id: string, p: Pending): void {
    clearTimeout(p.timer);
    const ms = this.launch.idleTimeoutMs ?? 600_000;
    p.timer = setTimeout(() => {
      const log = this.log.slice();
      this.kill();
      p.reject(new EngineError('E_ENGINE_HUNG', `the engine sent nothing for ${Math.round(ms / 1000)} s during \`${p.method}\` and was stopped`, log));
    }, ms);
  }

  /** Asks the engine to stop a request; kills the process if it has not stopped after the grace period. */
  cancel(id: string): void {
    const p = this.pending.get(id);
    if (!p || !this.proc) return;
    this.send('cancel', { target: id }).catch(() => undefined);
    const grace = setTimeout(() => {
      if (this.pending.has(id)) {
        this.kill();
      }
    }, this.launch.cancelGraceMs ?? 5000);
    const { resolve, reject } = p;
    p.resolve = (v) => { clearTimeout(grace); resolve(v); };
    p.reject = (e) => { clearTimeout(grace); reject(e); };
  }

  private onLine(line: string): void {
    let msg: { id?: string | null; event?: string; data?: Record<string, unknown>; result?: Record<string, unknown>; error?: { code: string; message: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      this.log.push(`[stdout] ${line}`);
      return;
    }
    const p = msg.id ? this.pending.get(msg.id) : undefined;
    if (!p) {
      if (msg.error) this.emit('log', `engine error without a request: ${msg.error.message}`);
      return;
    }
    if (msg.event) {
      this.arm(msg.id!, p);
      p.onEvent?.(msg.event, msg.data ?? {});
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(msg.id!);
    if (msg.error) p.reject(new EngineError(msg.error.code, msg.error.message));
    else p.resolve(msg.result ?? {});
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (proc !== this.proc) return;
    this.proc = undefined;
    this.hello = undefined;
    this.setState('stopped');
    const log = this.log.slice();
    const how = err ? `could not start ${this.launch.python}: ${err.message}` : signal ? `was killed (${signal})` : `exited with code ${code}`;
    const error = new EngineError(err ? 'E_ENGINE_START' : 'E_ENGINE_DIED', `the engine ${how}`, log);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
    this.emit('exit', error);
  }

  /** Ends the process at once (what the editor does on a hang; tests do it to simulate a crash). */
  kill(): void {
    this.proc?.kill('SIGKILL');
  }

  /** Asks the engine to exit, then kills it if it has not after a moment. */
  async shutdown(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    this.send('shutdown', {}).catch(() => undefined);
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get info(): Record<string, unknown> | undefined {
    return this.hello;
  }

  private setState(s: EngineState): void {
    if (this.state !== s) {
      this.state = s;
      this.emit('state', s);
    }
  }
}

function joinPath(a: string, b?: string): string {
  return b ? `${a}${path.delimiter}${b}` : a;
}
