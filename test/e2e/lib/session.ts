// One e2e session = the packaged extension installed into a fresh code-server, a workspace holding a copy of
// recipes/, and a Chromium showing the workbench. Tests start one per file and share it between their steps.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { type CodeServer, createRunDir, installExtension, type RunOptions, socketDir, startCodeServer } from './codeServer';
import { REPO_ROOT, RESULTS_DIR } from './paths';
import { packageExtension } from './vsix';
import { Workbench } from './workbench';

export interface Session {
  wb: Workbench;
  server: CodeServer;
  /** The workspace folder open in the workbench (a scratch copy: tests may edit it). */
  workspace: string;
  /** Where this session's screenshots and logs go. */
  artifacts: string;
  close(): Promise<void>;
}

let vsix: string | undefined;

export async function startSession(name: string, options: SessionOptions = {}): Promise<Session> {
  vsix ??= packageExtension();
  const runDir = createRunDir(name, options);
  installExtension(runDir, vsix);
  const workspace = path.join(runDir, 'workspace');
  // the examples and their data, not their artifact caches (`.lorabias/` folders can hold trained LoRAs)
  fs.cpSync(path.join(REPO_ROOT, 'recipes'), path.join(workspace, 'recipes'), {
    recursive: true, filter: (src) => path.basename(src) !== '.lorabias',
  });
  options.setUp?.(workspace);
  const artifacts = path.join(RESULTS_DIR, name);
  fs.rmSync(artifacts, { recursive: true, force: true });
  const server = await startCodeServer(runDir, options);
  let wb: Workbench;
  try {
    // the browser profile lives in the run folder too, so scripts/e2e.sh removes it even after a crash
    wb = await Workbench.open(server.urlFor(workspace), { artifacts, scratch: runDir });
  } catch (err) {
    await server.stop();
    keepLogs(runDir, artifacts);
    throw err;
  }
  const close = async () => {
    await wb.close();
    await server.stop();
    keepLogs(runDir, artifacts);
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.rmSync(socketDir(runDir), { recursive: true, force: true });
  };
  return { wb, server, workspace, artifacts, close };
}

/** The extension's output-channel log files (the engine log, with the runner's "[run]" lines), newest window last. */
export function extensionChannelLogs(runDir: string): string[] {
  const logs = path.join(runDir, 'user-data/logs');
  if (!fs.existsSync(logs)) return [];
  return fs.readdirSync(logs).sort().flatMap((session) => {
    const host = path.join(logs, session, 'exthost1');
    if (!fs.existsSync(host)) return [];
    return fs.readdirSync(host, { recursive: true, encoding: 'utf8' })
      .filter((entry) => /LoRA Bias.*\.log$/.test(path.basename(entry))).map((entry) => path.join(host, entry));
  });
}

/** Copies code-server's and the extension host's logs next to the screenshots. */
function keepLogs(runDir: string, artifacts: string): void {
  fs.mkdirSync(artifacts, { recursive: true });
  const copy = (from: string, to: string) => { if (fs.existsSync(from)) fs.copyFileSync(from, path.join(artifacts, to)); };
  copy(path.join(runDir, 'code-server.log'), 'code-server.log');
  const logs = path.join(runDir, 'user-data/logs');
  if (!fs.existsSync(logs)) return;
  for (const session of fs.readdirSync(logs)) copy(path.join(logs, session, 'exthost1', 'remoteexthost.log'), 'extension-host.log');
  for (const file of extensionChannelLogs(runDir)) copy(file, path.basename(file).replace(/^\d+-/, '').replace(/ /g, '-'));
}

export interface SessionOptions extends RunOptions {
  /**
   * Writes files into the workspace before code-server starts: settings (`.vscode/settings.json`) belong here, as
   * a settings file written after the window opened is only noticed a moment later, and a fast test can act first.
   */
  setUp?: (workspace: string) => void;
  /** Runs once the workbench is up (write extra workspace files here, before Quick Open first lists them). */
  prepare?: (session: Session) => void | Promise<void>;
}

/**
 * Call inside `describe()`: starts a session before the file's tests and closes it after them. `step(name,
 * body)` makes a test body that gets the session and, when it fails, leaves `FAILED-<name>.png`.
 */
export function useSession(name: string, options: SessionOptions = {}) {
  let session: Session | undefined;
  before(async () => {
    session = await startSession(name, options);
    await options.prepare?.(session);
  }, { timeout: 150_000 });
  after(async () => {
    await session?.close();
  });
  const current = (): Session => {
    if (!session) throw new Error('the workbench did not start');
    return session;
  };
  const step = (stepName: string, body: (session: Session) => Promise<void>) => async () => {
    try {
      await body(current());
    } catch (err) {
      await session?.wb.screenshot(`FAILED-${stepName}`);
      throw err;
    }
  };
  return { current, step };
}
