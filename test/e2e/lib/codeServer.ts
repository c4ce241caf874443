// Starts and stops a code-server (VS Code 1.100 for the browser) with fresh user-data and extension folders,
// so every run begins from a clean profile with only the packaged extension installed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CODE_SERVER_ENTRY, E2E_HOME } from './paths';

export interface CodeServer {
  /** The workbench URL opening `folder`. */
  urlFor(folder: string): string;
  /** The folder holding this run's profile, extensions and logs. */
  runDir: string;
  /** Stops the whole process group (server, extension host, watchers). Safe to call twice. */
  stop(): Promise<void>;
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'notebook.confirmDeleteRunningCell': false,
  'files.hotExit': 'off',
  // the web workbench saves after a delay by default; tests edit copies but must never write behind our back
  'files.autoSave': 'off',
  'chat.disableAIFeatures': true,
};

function requireSetup(): void {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server is not installed under ${E2E_HOME}; run test/e2e/setup.sh (or scripts/e2e.sh) first`);
  }
}

/** Environment that keeps code-server's config, data and sockets inside the run folder. */
function serverEnv(runDir: string): NodeJS.ProcessEnv {
  const tmp = socketDir(runDir);
  fs.mkdirSync(tmp, { recursive: true });
  return { ...process.env, XDG_CONFIG_HOME: path.join(runDir, 'xdg/config'), XDG_DATA_HOME: path.join(runDir, 'xdg/data'), TMPDIR: tmp };
}

/**
 * VS Code puts its IPC sockets in $TMPDIR, and a Unix socket path must stay under 108 bytes: a folder inside
 * the run folder (deep under $HOME) is too long, so each run gets a short one in the system temp folder.
 */
export function socketDir(runDir: string): string {
  return path.join(os.tmpdir(), `lorabias-e2e-${path.basename(runDir)}`);
}

function commonArgs(runDir: string): string[] {
  return ['--config', path.join(runDir, 'config.yaml'), '--user-data-dir', path.join(runDir, 'user-data'),
    '--extensions-dir', path.join(runDir, 'extensions')];
}

/** Run folders of one suite run; scripts/e2e.sh points this at a folder it cleans up even after a crash. */
export const RUNS_DIR = process.env.LORABIAS_E2E_RUNS || path.join(E2E_HOME, 'runs');

export interface RunOptions {
  /** Workspace Trust on: the folder opens in Restricted Mode until trusted. Default: off (everything trusted). */
  workspaceTrust?: boolean;
}

export function createRunDir(name: string, { workspaceTrust = false }: RunOptions = {}): string {
  const runDir = path.join(RUNS_DIR, `${name}-${process.pid}`);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(runDir, 'user-data/User'), { recursive: true });
  fs.mkdirSync(path.join(runDir, 'extensions'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'config.yaml'), '');
  const settings = { ...SETTINGS, 'security.workspace.trust.enabled': workspaceTrust };
  fs.writeFileSync(path.join(runDir, 'user-data/User/settings.json'), JSON.stringify(settings, null, 2));
  return runDir;
}

/** `code-server --install-extension x.vsix` into the run's extensions folder. */
export function installExtension(runDir: string, vsix: string): void {
  requireSetup();
  execFileSync(process.execPath, [CODE_SERVER_ENTRY, ...commonArgs(runDir), '--install-extension', vsix],
    { env: serverEnv(runDir), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on port ${port} within ${timeoutMs} ms; see ${logFile}`);
}

/** Starts code-server in its own process group; the pid goes to `<runDir>/code-server.pid` for cleanup scripts. */
export async function startCodeServer(runDir: string, { workspaceTrust = false }: RunOptions = {}): Promise<CodeServer> {
  requireSetup();
  const port = await freePort();
  const logFile = path.join(runDir, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [CODE_SERVER_ENTRY, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']), ...commonArgs(runDir)], { env: serverEnv(runDir), detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  fs.writeFileSync(path.join(runDir, 'code-server.pid'), String(pid));
  // if this process dies first, take the server group with it
  const killGroup = () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } };
  process.once('exit', killGroup);

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    process.removeListener('exit', killGroup);
    try { process.kill(-pid, 'SIGTERM'); } catch { return; }
    for (let i = 0; i < 50; i++) {
      try { process.kill(-pid, 0); } catch { return; }
      await new Promise((r) => setTimeout(r, 100));
    }
    killGroup();
  })());

  try {
    await waitHealthy(port, child, logFile, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { runDir, stop, urlFor: (folder) => `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}` };
}
