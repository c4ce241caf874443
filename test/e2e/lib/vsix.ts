// Builds the extension for production and packages it as a VSIX, the way a user installs it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './paths';

/**
 * Returns the path of a VSIX of the current tree. LORABIAS_E2E_VSIX names a ready one (scripts/e2e.sh may
 * have built it); otherwise this runs the production build and `vsce package --no-dependencies`.
 */
export function packageExtension(): string {
  const given = process.env.LORABIAS_E2E_VSIX;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`LORABIAS_E2E_VSIX=${given} does not exist`);
    return given;
  }
  const out = path.join(RESULTS_DIR, 'lorabias.vsix');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  run(process.execPath, ['esbuild.mjs', '--production']);
  // the manifest's repository URL is a placeholder, so vsce cannot turn README's relative links into URLs
  // the project's own packaging: with the native modules the extension loads (sharp, onnxruntime-node) and
  // the engine's Python sources, as `npm run package` does
  const args = ['package', '--target', 'linux-x64', '--no-rewrite-relative-links', '-o', out];
  // until the repository has its own .vscodeignore, keep the engine's venv and the sources out of the VSIX
  if (!fs.existsSync(path.join(REPO_ROOT, '.vscodeignore'))) args.push('--ignoreFile', path.join(__dirname, '../fallback.vscodeignore'));
  // vsce asks (and waits) about a missing LICENSE; there is no one to answer in a test run
  if (!fs.readdirSync(REPO_ROOT).some((f) => /^licen[cs]e/i.test(f))) args.push('--skip-license');
  run(process.execPath, [path.join(REPO_ROOT, 'node_modules/@vscode/vsce/vsce'), ...args]);
  const size = fs.statSync(out).size;
  if (size > 40 * 1024 * 1024) throw new Error(`${out} is ${(size / 1048576).toFixed(0)} MiB: something that should not ship is in it`);
  return out;
}
