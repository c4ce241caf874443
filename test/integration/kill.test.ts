// `lorabias run` stopped from outside (Ctrl-C, kill, a closed terminal, kill -9): the engine it started must not
// outlive it by more than a moment, and no empty work folder is left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tinyRecipe } from '../fixtures/tinyRecipe';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const python = path.join(root, '.venv/bin/python');
/** The engine must be gone this soon after the signal (the bound is ~1 s; slack for a shared CPU). */
const BOUND_MS = 1500;
let dir: string;

before(() => {
  if (!fs.existsSync(cli)) throw new Error('build first: npm run build');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-kill-'));
  fs.cpSync(path.join(root, 'recipes/data'), path.join(dir, 'data'), { recursive: true });
  // a copier that would train for hours: it is always stopped mid-run
  fs.writeFileSync(path.join(dir, 'r.lorabias'), tinyRecipe({ copierSteps: 1_000_000 }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Child processes of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function emptyFolders(top: string): string[] {
  if (!fs.existsSync(top)) return [];
  const empty: string[] = [];
  const walk = (d: string) => {
    const entries = fs.readdirSync(d, { withFileTypes: true });
    if (!entries.length) empty.push(path.relative(dir, d));
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(top);
  return empty;
}

async function stopMidTraining(signal: NodeJS.Signals): Promise<{ ms: number; code: number | null; err: string }> {
  const child = spawn(process.execPath, [cli, 'run', '--cell', 'copier', 'r.lorabias'], { cwd: dir, env: { ...process.env, LORABIAS_PYTHON: python } });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no training progress within 120 s:\n${err}`)), 120_000);
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (/bias copier \d+\/1000000/.test(err)) { clearTimeout(t); resolve(); }
    });
  });
  const engines = childrenOf(child.pid!);
  assert.equal(engines.length, 1, 'the CLI runs one engine');
  const t0 = performance.now();
  child.kill(signal);
  while (running(engines[0]) && performance.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - t0;
  if (running(engines[0])) process.kill(engines[0], 'SIGKILL');
  return { ms, code: await exited, err };
}

describe('lorabias run stopped by a signal (real engine, tiny model, CPU)', () => {
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
    it(`${signal}: the engine is gone within ${BOUND_MS} ms and no empty work folder is left`, async (t) => {
      const r = await stopMidTraining(signal);
      t.diagnostic(`${signal}: engine gone ${r.ms.toFixed(0)} ms after the signal`);
      assert.ok(r.ms < BOUND_MS, `the engine outlived the CLI by ${r.ms.toFixed(0)} ms`);
      assert.notEqual(r.code, 0, 'a stopped run does not exit 0');
      assert.deepEqual(emptyFolders(path.join(dir, '.lorabias', 'work')), []);
    });
  }
});
