// Benchmark: `scanDataset` over 10,000 small images (128×128 PNG and JPEG, captions, a few planted duplicates),
// full checks (decode, pHash, duplicates, buckets, thumbnails). Target on the 2-core CI box: ≤ 60 s.
// Then the tagger's throughput on CPU with the tiny test tagger (preprocessing + onnxruntime-node).
// The images are generated once into the temp folder and reused.  Usage: npx tsx bench/dataset-scan.ts [count]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { scanDataset } from '../extension/core/dataset/dataset';
import { tagImages } from '../extension/core/dataset/tagger/run';

const COUNT = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
const SIZE = 128;

async function generate(dir: string) {
  const sub = path.join(dir, '10_subject');
  fs.mkdirSync(sub, { recursive: true });
  let seed = 99;
  const rnd = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  let next = 0;
  const one = async () => {
    while (next < COUNT) {
      const i = next++;
      const grid = Buffer.alloc(8 * 8 * 3);
      for (let k = 0; k < grid.length; k++) grid[k] = Math.floor(rnd() * 256);
      const img = sharp(grid, { raw: { width: 8, height: 8, channels: 3 } }).resize(SIZE, SIZE, { kernel: 'cubic' });
      const name = `img${String(i).padStart(5, '0')}`;
      const buf = await (i % 2 ? img.jpeg({ quality: 85 }) : img.png()).toBuffer();
      fs.writeFileSync(path.join(sub, `${name}.${i % 2 ? 'jpg' : 'png'}`), buf);
      if (i % 500 === 7) fs.writeFileSync(path.join(sub, `${name}-copy.${i % 2 ? 'jpg' : 'png'}`), buf);
      fs.writeFileSync(path.join(sub, `${name}.txt`), `1girl, solo, tag${i % 50}, tag${i % 7}`);
    }
  };
  await Promise.all([one(), one(), one(), one()]);
}

async function main() {
  const dir = path.join(os.tmpdir(), `lorabias-bench-images-${COUNT}`);
  if (!fs.existsSync(path.join(dir, 'done'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    const t0 = performance.now();
    await generate(dir);
    fs.writeFileSync(path.join(dir, 'done'), '');
    console.log(`generated ${COUNT} images in ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await scanDataset({ images: dir, min_size: 64 }, dir, { thumbnails: 24 });
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(`scan ${r.counts.files} images (${SIZE}×${SIZE}): ${s.toFixed(1)} s = ${(r.counts.files / s).toFixed(0)} images/s (target ≤ 60 s for 10,000); `
    + `${r.counts.duplicateGroups} duplicate groups, ${r.problems.length} problems, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU (sharp's threads included), `
    + `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${os.loadavg()[0].toFixed(1)}`);

  const tagged = r.images.slice(0, 400).map((i) => path.join(dir, i.path));
  const tiny = path.join(__dirname, '../test/fixtures/dataset/tiny-tagger');
  await tagImages(tagged.slice(0, 8), { model: tiny }); // warm-up: session creation
  const t1 = performance.now();
  const tr = await tagImages(tagged, { model: tiny }, { batchSize: 16 });
  const ts = (performance.now() - t1) / 1000;
  console.log(`tagger (tiny test model, ${tr.provider}): ${(tagged.length / ts).toFixed(0)} images/s over ${tagged.length} images — `
    + 'preprocessing and runtime overhead only; a real WD14 model (448 px, ~100M parameters) is bound by its inference instead');
}

main().catch((e) => { console.error(e); process.exit(1); });
