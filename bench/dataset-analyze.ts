// Benchmark: the full `analyze` report over a Danbooru-sized tag dump — 1,500,000 synthetic posts, ~25
// Zipf-distributed tags each (vocabulary 200,000), with a planted bias (`cleavage` in 55% of
// `large_breasts` posts). Target on the 2-core CI box: ≤ 10 s and ≤ 1.5 GB peak memory.
// The file is generated once into the temp folder (~0.5 GB) and reused; the analysis runs in a child process
// so its peak RSS is its own.  Usage: npx tsx bench/dataset-analyze.ts [posts]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeTags } from '../extension/core/dataset/analyze';

const POSTS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_500_000);
const VOCAB = 200_000;
const PER_POST = 25;

function generate(file: string) {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const cdf = new Float64Array(VOCAB);
  let sum = 0;
  for (let r = 0; r < VOCAB; r++) cdf[r] = sum += 1 / (r + 1);
  for (let r = 0; r < VOCAB; r++) cdf[r] /= sum;
  const names = Array.from({ length: VOCAB }, (_, r) => (r === 40 ? 'large_breasts' : r === 90 ? 'cleavage' : `tag_${r}`));
  const fd = fs.openSync(file + '.part', 'w');
  let out: string[] = [];
  const seen = new Set<number>();
  for (let p = 0; p < POSTS; p++) {
    seen.clear();
    while (seen.size < PER_POST) {
      const u = rnd();
      let lo = 0, hi = VOCAB - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
      seen.add(lo);
    }
    if (seen.has(40) && rnd() < 0.55) seen.add(90);
    out.push(Array.from(seen, (r) => names[r]).join(', '));
    if (out.length === 20_000) { fs.writeSync(fd, out.join('\n') + '\n'); out = []; }
  }
  if (out.length) fs.writeSync(fd, out.join('\n') + '\n');
  fs.closeSync(fd);
  fs.renameSync(file + '.part', file);
}

async function child(file: string) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await analyzeTags({ tagFile: file }, 'large breasts', { top: 20 });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const c = r.cooccurrence.find((x) => x.tag === 'cleavage');
  process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024, posts: r.posts, distinct: r.distinctTags, conceptCount: r.conceptCount, cleavage: c }) + '\n');
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const file = path.join(os.tmpdir(), `lorabias-bench-posts-${POSTS}.txt`);
  if (!fs.existsSync(file)) {
    const t0 = performance.now();
    generate(file);
    console.log(`generated ${file} (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', file], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  const r = JSON.parse(res.stdout.trim().split('\n').pop()!);
  console.log(`analyze ${r.posts.toLocaleString('en')} posts (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB, ${r.distinct.toLocaleString('en')} distinct tags): `
    + `${(r.ms / 1000).toFixed(2)} s (target ≤ 10 s; ${(r.cpuMs / 1000).toFixed(2)} s of CPU), peak RSS ${r.maxRssMB.toFixed(0)} MB (target ≤ 1500 MB); load average ${os.loadavg()[0].toFixed(1)}`);
  const c = r.cleavage;
  if (c) console.log(`  large breasts: ${r.conceptCount} posts; cleavage P(tag|concept) ${(c.pGivenConcept * 100).toFixed(1)}%, P(tag) ${(c.p * 100).toFixed(1)}%, lift ${c.lift.toFixed(2)}, flag ${c.flag}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
