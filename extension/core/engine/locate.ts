// Which Python runs the engine, where the engine's code is, and its version (read from disk, without Python).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The engine package shipped with the extension: the nearest `engine/` holding `lorabias_engine`, looking up
 * from this file (dist/ in the bundle, extension/core/engine/ when run from source).
 */
export function defaultEngineDir(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'engine');
    if (fs.existsSync(path.join(candidate, 'lorabias_engine'))) return candidate;
  }
  return path.resolve(__dirname, '..', 'engine');
}

/**
 * The interpreter: the configured one; else a `.venv` in the given folders (workspace, then the extension's own);
 * else `python3` on the PATH.
 */
export function findPython(configured: string | undefined, searchDirs: string[]): string {
  if (configured && configured.trim()) return configured.trim();
  for (const dir of searchDirs) {
    for (const rel of ['.venv/bin/python', '.venv/Scripts/python.exe']) {
      const p = path.join(dir, rel);
      if (fs.existsSync(p)) return p;
    }
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}

/** The command that installs what the engine needs into `python` (shown when it is missing). */
export function installHint(python: string, engineDir: string): string {
  const repoSetup = path.join(engineDir, '..', 'scripts', 'setup-engine.sh');
  if (fs.existsSync(repoSetup)) return `bash ${repoSetup}`;
  return `${python} -m pip install -e ${engineDir}`;
}

let cached: { dir: string; version: string } | undefined;

/**
 * A fingerprint of the engine's code (its version and a hash of its sources), part of every cache key, so an
 * engine update re-runs what it could change.
 */
export function engineVersion(engineDir: string = defaultEngineDir()): string {
  if (cached?.dir === engineDir) return cached.version;
  const h = createHash('sha256');
  const walk = (dir: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !e.name.startsWith('__') && !e.name.endsWith('.egg-info')) walk(p);
      else if (e.isFile() && /\.(py|json|txt|safetensors)$/.test(e.name)) {
        h.update(path.relative(engineDir, p) + '\0');
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(path.join(engineDir, 'lorabias_engine'));
  let version = '0';
  try {
    version = /version\s*=\s*"([^"]+)"/.exec(fs.readFileSync(path.join(engineDir, 'pyproject.toml'), 'utf8'))?.[1] ?? '0';
  } catch { /* no pyproject: keep 0 */ }
  cached = { dir: engineDir, version: `${version}+${h.digest('hex').slice(0, 12)}` };
  return cached.version;
}
