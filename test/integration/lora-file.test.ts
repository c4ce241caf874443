// A `bias: {file: …}` cell checks the LoRA file against the model in the real engine: what fits is reported,
// what does not is a warning in the cell's output and on the terminal, and a file in a format lorabias does not
// apply fails the cell with a message naming the format.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const python = path.join(root, '.venv/bin/python');
let dir: string;

/** A .safetensors file of float32 tensors filled with a small constant (the format: u64 header size, JSON, data). */
function writeSafetensors(file: string, tensors: Record<string, number[]>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(tensors)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const data = Buffer.alloc(offset);
  for (let i = 0; i < offset; i += 4) data.writeFloatLE(0.01, i);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([size, Buffer.from(json, 'utf8'), data]));
}

function run(recipe: string) {
  fs.writeFileSync(path.join(dir, 'r.lorabias'), recipe);
  return spawnSync(process.execPath, [cli, 'run', 'r.lorabias'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LORABIAS_PYTHON: python } });
}

const recipe = (file: string) => `model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\nbias:\n  name: theirs\n  model: base\n  file: ${file}\n  weight: 0.5\n`;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-lorafile-'));
  const fits = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q';
  const sdxlOnly = 'lora_unet_input_blocks_8_1_transformer_blocks_9_attn2_to_k';
  writeSafetensors(path.join(dir, 'partial.safetensors'), {
    [`${fits}.lora_down.weight`]: [2, 64], [`${fits}.lora_up.weight`]: [64, 2], [`${fits}.alpha`]: [],
    'lora_unet_conv_in.lora_down.weight': [2, 3, 3, 3], 'lora_unet_conv_in.lora_up.weight': [16, 2, 1, 1],
    [`${sdxlOnly}.lora_down.weight`]: [2, 1280], [`${sdxlOnly}.lora_up.weight`]: [1280, 2],
  });
  writeSafetensors(path.join(dir, 'oft.safetensors'), { [`${fits}.oft_blocks`]: [4, 16, 16] });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bias from an existing LoRA file (real engine, tiny model, CPU)', () => {
  it('reports what the file applies and warns, on the terminal too, about the modules that do not fit', () => {
    const r = run(recipe('partial.safetensors'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /bias theirs — .*: theirs: the existing LoRA `partial\.safetensors` for `base` \(LoCon \+ LoRA \(kohya names\), 2 of 3 modules\), applied at weight 0\.5/);
    assert.match(r.stdout, /\n {2}⚠ partial\.safetensors: 1 of 3 modules skipped: 1 no layer of this model has that name \(e\.g\. lora_unet_input_blocks_8_1_transformer_blocks_9_attn2_to_k\)/);
  });

  it('fails the cell for a format lorabias does not apply, naming the format and what to do', () => {
    const r = run(recipe('oft.safetensors'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /r\.lorabias:5:1: error: .*oft\.safetensors is a LyCORIS OFT file, which lorabias does not apply .*Merge it into the checkpoint/);
  });
});
