// File and tree fingerprints are read asynchronously in chunks, and are the digests earlier versions computed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileFingerprint, listTree, treeFingerprint } from '../../../extension/core/run/fingerprint';

let dir: string;
const big = () => path.join(dir, 'big.safetensors');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-fp-'));
  // an 80 MB safetensors-like file (sparse: only a header and two markers hold bytes), so it is sampled
  fs.writeFileSync(big(), '');
  fs.truncateSync(big(), 80 * 2 ** 20);
  const fd = fs.openSync(big(), 'r+');
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(10n);
  fs.writeSync(fd, header, 0, 8, 0);
  fs.writeSync(fd, Buffer.from('{"x":"y"} '), 0, 10, 8);
  fs.writeSync(fd, Buffer.from('mid'), 0, 3, 40 * 2 ** 20);
  fs.writeSync(fd, Buffer.from('end'), 0, 3, 80 * 2 ** 20 - 3);
  fs.closeSync(fd);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fingerprints', () => {
  it('of a sampled large file and of its folder are the digests of earlier versions', async () => {
    // computed by the synchronous fingerprints of lorabias before 2026-12-01
    assert.equal(await fileFingerprint(big(), fs.statSync(big()).size), 'acf38210224f98cac7b8fd95168b8790a9ba298d33538a95f7e71d7802ef407b');
    const entries = await listTree(dir);
    const fps = new Map<string, string>();
    for (const e of entries) if (!('dir' in e)) fps.set(e.abs, await fileFingerprint(e.abs, e.stat.size));
    assert.equal(treeFingerprint(entries, (f) => fps.get(f)!), 'db43b13e62b168b4a47430a463b524a5eeca5a65f6c67b9ead6f3551d91935a5');
  });

  it('of a whole file is the SHA-256 of its size and content, read in chunks', async () => {
    const file = path.join(dir, 'sub', 'three-chunks.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const content = Buffer.alloc(10 * 2 ** 20, 7);
    fs.writeFileSync(file, content);
    let chunks = 0;
    const fp = await fileFingerprint(file, content.length, () => chunks++);
    const { createHash } = await import('node:crypto');
    assert.equal(fp, createHash('sha256').update(`size:${content.length}\0`).update(content).digest('hex'));
    assert.equal(chunks, 3); // 4 + 4 + 2 MB
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('of a tree follow a symlinked folder once and do not loop on a link to an ancestor', async () => {
    const root = path.join(dir, 'tree');
    fs.mkdirSync(path.join(root, 'a'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a', 'x.txt'), 'x');
    fs.symlinkSync(root, path.join(root, 'a', 'loop'));
    const entries = await listTree(root);
    assert.deepEqual(entries.map((e) => ('dir' in e ? 'd:' + e.dir : 'f:' + e.file)), ['d:a', 'd:a/loop', 'f:a/x.txt']);
    fs.rmSync(root, { recursive: true });
  });
});
