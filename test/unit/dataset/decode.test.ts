// The scan reads images the way the engine trains on them: for each awkward file (16-bit, CMYK, EXIF-rotated,
// huge, misnamed) the dataset cell reports what is converted or refused, and the engine's decoder (PIL, run for
// real) gives the same pixels or refuses the same files by name. Links out of the dataset folder are not followed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { scanDataset } from '../../../extension/core/dataset/dataset';
import type { DatasetReport } from '../../../extension/core/dataset/types';
import { structured, tmpDir, writeImage } from './make-images';

const root = path.resolve(__dirname, '../../..');
const python = path.join(root, '.venv/bin/python');
let dir: string;
let outside: string;
let report: DatasetReport;

/** A real 1-bit greyscale PNG of w×h black pixels (small on disk, huge when decoded). */
function hugePng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 1; ihdr[9] = 0; // bit depth 1, greyscale
  const row = Math.ceil(w / 8) + 1;
  const idat = zlib.deflateSync(Buffer.alloc(row * h), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** The engine's training decode (load_image, at the size the scan reports): 4×4 block means of R, G, B in 0…255,
 * or the message of the error it raises. */
function engineDecode(files: { file: string; width: number; height: number }[]): Record<string, { blocks?: number[]; error?: string }> {
  const code = `
import json, sys
import torch
from lorabias_engine.errors import EngineError
from lorabias_engine.images import load_image
out = {}
for f, w, h in json.loads(sys.argv[1]):
    try:
        t = (load_image(f, w, h) + 1) * 127.5
        out[f] = {"blocks": torch.nn.functional.adaptive_avg_pool2d(t[None], 4)[0].flatten().tolist()}
    except EngineError as e:
        out[f] = {"error": e.message}
    except Exception as e:  # not a clear refusal: shown as it is, which fails the test
        out[f] = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps(out))`;
  const r = spawnSync(python, ['-c', code, JSON.stringify(files.map((f) => [f.file, f.width, f.height]))],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(root, 'engine'), OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The same 4×4 block means (channel-major, as torch lays them out) from sharp's decode, upright and sRGB. */
async function sharpBlocks(file: string): Promise<number[]> {
  const { data, info } = await sharp(file).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let by = 0; by < 4; by++) {
      for (let bx = 0; bx < 4; bx++) {
        let sum = 0, n = 0;
        for (let y = Math.floor(by * info.height / 4); y < Math.ceil((by + 1) * info.height / 4); y++) {
          for (let x = Math.floor(bx * info.width / 4); x < Math.ceil((bx + 1) * info.width / 4); x++) { sum += data[(y * info.width + x) * info.channels + c]; n++; }
        }
        out.push(sum / n);
      }
    }
  }
  return out;
}

const at = (file: string) => report.problems.filter((p) => p.file === `pics/${file}`).map((p) => [p.code, p.severity]);

before(async () => {
  dir = tmpDir('decode');
  outside = tmpDir('outside');
  const p = (n: string) => path.join(dir, 'pics', n);
  await writeImage(p('plain.png'), structured(1, 64, 64));
  // 16-bit greyscale PNG at 30000/65535 (mid grey): PIL alone turns it pure white
  const grey = Buffer.alloc(64 * 64 * 2);
  for (let i = 0; i < grey.length; i += 2) grey.writeUInt16LE(30000, i);
  await sharp(grey, { raw: { width: 64, height: 64, channels: 1, depth: 'ushort' } as never }).toColourspace('grey16').png().toFile(p('grey16.png'));
  const red = await structured(2, 64, 64).raw().toBuffer();
  await sharp(red, { raw: { width: 64, height: 64, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toFile(p('cmyk.jpg'));
  await sharp(red, { raw: { width: 64, height: 64, channels: 3 } }).toColourspace('cmyk').jpeg().toFile(p('cmyk-bare.jpg'));
  fs.writeFileSync(p('turned.jpg'), await structured(3, 64, 48).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  fs.writeFileSync(p('huge.png'), hugePng(16000, 16000));
  fs.writeFileSync(p('really-a-png.jpg'), await structured(4, 64, 64).png().toBuffer());
  for (const n of ['plain', 'grey16', 'cmyk', 'cmyk-bare', 'turned', 'huge', 'really-a-png']) fs.writeFileSync(p(`${n}.txt`), 'a picture');
  await writeImage(p('nul.png'), structured(5, 64, 64));
  fs.writeFileSync(p('nul.txt'), Buffer.from('1\u0000g\u0000i\u0000r\u0000l\u0000, solo', 'utf8'));
  // links that lead out of the dataset folder: a folder of images, and a caption
  await writeImage(path.join(outside, 'secret/x.png'), structured(6, 64, 64));
  fs.writeFileSync(path.join(outside, 'hostname'), 'my-machine');
  fs.symlinkSync(path.join(outside, 'secret'), p('elsewhere'));
  await writeImage(p('linked.png'), structured(7, 64, 64));
  fs.symlinkSync(path.join(outside, 'hostname'), p('linked.txt'));
  fs.mkdirSync(p('sub'));
  fs.symlinkSync('../plain.png', p('sub/inside.png')); // a link that stays inside is followed
  report = await scanDataset({ images: 'pics', min_size: 16 }, dir, { thumbnails: 0 });
});

describe('the dataset scan decodes images as the engine trains on them', () => {
  it('reports each conversion, refuses what cannot be decoded the same way, and flags a misnamed file', () => {
    assert.deepEqual(at('plain.png'), []);
    assert.deepEqual(at('grey16.png'), [['converted', 'info']]);
    assert.deepEqual(at('cmyk.jpg'), [['converted', 'warning']]);
    assert.deepEqual(at('cmyk-bare.jpg'), [['colour-space', 'error']]);
    assert.deepEqual(at('turned.jpg'), [['orientation', 'info']]);
    assert.deepEqual(at('huge.png'), [['too-large', 'error']]);
    assert.match(report.problems.find((x) => x.file === 'pics/huge.png')!.message, /16000×16000/);
    assert.deepEqual(at('really-a-png.jpg'), [['wrong-extension', 'warning']]);
    const turned = report.images.find((i) => i.path === 'pics/turned.jpg')!;
    assert.deepEqual([turned.width, turned.height], [48, 64], 'sizes are as trained, upright');
    assert.equal(report.images.some((i) => i.path === 'pics/huge.png' || i.path === 'pics/cmyk-bare.jpg'), false);
  });

  it('gives the same pixels as the engine for every image it accepts, and the engine refuses the same files by name', async () => {
    const names = ['plain.png', 'grey16.png', 'cmyk.jpg', 'turned.jpg', 'really-a-png.jpg'];
    const accepted = names.map((n) => {
      const img = report.images.find((i) => i.path === `pics/${n}`)!;
      return { file: path.join(dir, 'pics', n), width: img.width, height: img.height };
    });
    const refused = ['cmyk-bare.jpg', 'huge.png'].map((n) => ({ file: path.join(dir, 'pics', n), width: 64, height: 64 }));
    const engine = engineDecode([...accepted, ...refused]);
    for (const { file } of accepted) {
      const e = engine[file];
      assert.equal(e.error, undefined, `${path.basename(file)}: ${e.error}`);
      const scan = await sharpBlocks(file);
      const worst = Math.max(...scan.map((v, i) => Math.abs(v - e.blocks![i])));
      assert.ok(worst < 3, `${path.basename(file)}: engine and scan differ by up to ${worst.toFixed(1)} (of 255) in a block`);
    }
    const grey = engine[accepted[1].file].blocks![0];
    assert.ok(grey > 20 && grey < 235, `16-bit grey stays grey (${grey.toFixed(1)}), not white`);
    assert.match(engine[refused[0].file].error!, /cmyk-bare\.jpg: is a CMYK image without a colour profile/);
    assert.match(engine[refused[1].file].error!, /huge\.png: .*larger than 89,478,485 pixels/);
  });

  it('removes NUL bytes from a caption and says so', () => {
    assert.deepEqual(at('nul.txt'), [['caption-nul', 'warning']]);
    assert.equal(report.images.find((i) => i.path === 'pics/nul.png')!.caption, '1girl, solo');
  });

  it('does not follow links that lead out of the dataset folder, naming them; links inside are followed', () => {
    assert.deepEqual(at('elsewhere'), [['symlink-outside', 'warning']]);
    assert.deepEqual(at('linked.txt'), [['symlink-outside', 'warning']]);
    assert.match(report.problems.find((x) => x.file === 'pics/elsewhere')!.message, new RegExp(`symbolic link to ${outside}/secret`));
    assert.equal(report.images.some((i) => i.path.includes('x.png')), false, 'nothing from outside is read');
    assert.equal(report.images.find((i) => i.path === 'pics/linked.png')!.caption, undefined, 'the outside caption was not read');
    assert.ok(report.images.some((i) => i.path === 'pics/sub/inside.png'));
  });
});
