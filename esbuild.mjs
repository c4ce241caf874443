// One build script for everything that ships: the extension host bundle, the CLI and the notebook renderer.
import * as esbuild from 'esbuild';
import { chmodSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const nodeTarget = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'sharp', 'onnxruntime-node'] };

const builds = [
  { ...nodeTarget, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...nodeTarget, entryPoints: ['extension/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['webview/renderer.ts'], outfile: 'dist/renderer.js' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
