// Input files are read once (then remembered in the cache folder's index), asynchronously, with progress and
// cancel; files that changed, or were written just before they were read, are read again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INDEX_DIR, LEGACY_INDEX_FILE, RACY_MS, shardOf } from '../../../extension/core/run/hashIndex';
import { HashProgress, InputHasher } from '../../../extension/core/run/inputHashes';

let dir: string;
const tree = () => path.join(dir, 'images');
const cache = () => path.join(dir, '.lorabias');
const FILES = 24;
/** The shard file that holds the entry of a file directly in `folder`. */
const shard = (folder: string) => path.join(cache(), INDEX_DIR, shardOf(path.join(folder, 'x')));

async function hashOnce(input: string, opts: Parameters<typeof InputHasher.open>[0] = {}) {
  const hasher = await InputHasher.open(opts);
  const fp = await hasher.fingerprint(input);
  await hasher.close();
  return { fp, stats: hasher.stats };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-hashes-'));
  fs.mkdirSync(path.join(tree(), 'sub'), { recursive: true });
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(tree(), i % 2 ? 'sub' : '', `${i}.png`), Buffer.alloc(1.5 * 2 ** 20, i));
  // small trees for the tests that change files
  for (const t of ['changed', 'racy']) {
    fs.mkdirSync(path.join(dir, t));
    for (const n of ['a.txt', 'b.txt']) fs.writeFileSync(path.join(dir, t, n), n);
  }
  const whole = Math.floor(Date.now() / 1000) - 60; // a time that utimes can put back exactly
  fs.utimesSync(path.join(dir, 'changed', 'a.txt'), whole, whole);
  // files written just now are "racy" (see hashIndex.ts): wait until they are not
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('input hashes', () => {
  it('read each file once: a second run with the same cache folder reads nothing and gives the same fingerprint', async () => {
    const fresh = await hashOnce(tree());
    const first = await hashOnce(tree(), { cacheRoot: cache() });
    assert.equal(first.fp, fresh.fp);
    assert.equal(first.stats.filesHashed, FILES);
    assert.ok(fs.existsSync(shard(tree())) && fs.existsSync(shard(path.join(tree(), 'sub'))));
    const written = fs.statSync(shard(tree())).mtimeMs;
    const second = await hashOnce(tree(), { cacheRoot: cache() });
    assert.deepEqual(second, { fp: fresh.fp, stats: { filesHashed: 0, bytesHashed: 0, filesFromIndex: FILES } });
    assert.equal(fs.statSync(shard(tree())).mtimeMs, written, 'an index that learnt nothing is not written again');
  });

  it('read a file again when it changed, even with the same size and its mtime put back', async () => {
    const changed = path.join(dir, 'changed');
    const before = await hashOnce(changed, { cacheRoot: cache() });
    assert.equal((await hashOnce(changed, { cacheRoot: cache() })).stats.filesHashed, 0);
    const file = path.join(changed, 'a.txt');
    const st = fs.statSync(file);
    fs.writeFileSync(file, 'A.txt');
    fs.utimesSync(file, st.mtimeMs / 1000, st.mtimeMs / 1000);
    assert.equal(fs.statSync(file).mtimeMs, st.mtimeMs);
    const after = await hashOnce(changed, { cacheRoot: cache() });
    assert.notEqual(after.fp, before.fp);
    assert.equal(after.stats.filesHashed, 1);
    assert.equal(after.fp, (await hashOnce(changed)).fp, 'the same fingerprint as reading everything');
  });

  it('read a file written just before it was read again the next time (the racy-clean rule)', async () => {
    const racy = path.join(dir, 'racy');
    await hashOnce(racy, { cacheRoot: cache() });
    fs.writeFileSync(path.join(racy, 'new.txt'), 'just written');
    const first = await hashOnce(racy, { cacheRoot: cache() });
    assert.equal(first.stats.filesHashed, 1);
    const second = await hashOnce(racy, { cacheRoot: cache() });
    assert.equal(second.stats.filesHashed, 1, 'not trusted from the index yet');
    assert.equal(second.fp, first.fp);
  });

  it('keep the event loop turning while a tree is read', async () => {
    let turns = 0;
    let running = true;
    const spin = () => { turns++; if (running) setImmediate(spin); };
    setImmediate(spin);
    const { stats } = await hashOnce(tree());
    running = false;
    assert.equal(stats.filesHashed, FILES);
    // at least one turn per file read (reading is in 1 MB chunks); a synchronous read of the tree gives none
    assert.ok(turns >= FILES, `${turns} turns of the event loop while ${FILES} files were read`);
  });

  it('report progress for the files they read, and nothing for files the index knows', async () => {
    const seen: HashProgress[] = [];
    fs.rmSync(cache(), { recursive: true, force: true });
    await hashOnce(tree(), { cacheRoot: cache(), onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1];
    assert.deepEqual({ ...last, bytes: last.bytes === last.totalBytes }, { input: tree(), files: FILES, totalFiles: FILES, bytes: true, totalBytes: FILES * 1.5 * 2 ** 20, done: true });
    const again: HashProgress[] = [];
    await hashOnce(tree(), { cacheRoot: cache(), onProgress: (p) => again.push(p) });
    assert.deepEqual(again, []);
  });

  it('stop between chunks when cancelled', async () => {
    const ac = new AbortController();
    const hasher = await InputHasher.open({ signal: ac.signal });
    const reading = hasher.fingerprint(tree());
    ac.abort();
    await assert.rejects(reading, (e: Error) => e.name === 'AbortError');
    assert.ok(hasher.stats.filesHashed < FILES);
  });

  it('do not read a device or a pipe, and take a missing path as missing', async () => {
    assert.equal((await hashOnce('/dev/zero')).fp, 'not-a-file');
    assert.equal((await hashOnce(path.join(dir, 'nothing-here'))).fp, 'missing');
  });

  it('read everything again when the index is damaged, without failing', async () => {
    await hashOnce(tree(), { cacheRoot: cache() });
    fs.writeFileSync(shard(tree()), '{"format":1,"entries":{"x":[1,2,');
    const r = await hashOnce(tree(), { cacheRoot: cache() });
    assert.equal(r.stats.filesHashed, FILES / 2, 'the files of the damaged shard, and only those');
    assert.equal(r.fp, (await hashOnce(tree())).fp);
    assert.doesNotThrow(() => JSON.parse(fs.readFileSync(shard(tree()), 'utf8')));
  });

  it('write only the shards of the folders a run read', async () => {
    const changed = path.join(dir, 'changed');
    assert.notEqual(shardOf(path.join(changed, 'x')), shardOf(path.join(tree(), 'x')), 'the test needs two shards');
    await hashOnce(tree(), { cacheRoot: cache() });
    const before = fs.readFileSync(shard(tree()), 'utf8');
    const mtime = fs.statSync(shard(tree())).mtimeMs;
    fs.rmSync(shard(changed), { force: true });
    assert.equal((await hashOnce(changed, { cacheRoot: cache() })).stats.filesHashed, 2);
    assert.ok(fs.existsSync(shard(changed)));
    assert.equal(fs.statSync(shard(tree())).mtimeMs, mtime, 'the other folder\'s shard is not rewritten');
    assert.equal(fs.readFileSync(shard(tree()), 'utf8'), before);
  });

  it('take the single-file index of earlier versions, then replace it by the shards', async () => {
    await hashOnce(tree(), { cacheRoot: cache() });
    const entries: Record<string, unknown> = {};
    for (const n of fs.readdirSync(path.join(cache(), INDEX_DIR))) Object.assign(entries, JSON.parse(fs.readFileSync(path.join(cache(), INDEX_DIR, n), 'utf8')).entries);
    fs.rmSync(path.join(cache(), INDEX_DIR), { recursive: true });
    fs.writeFileSync(path.join(cache(), LEGACY_INDEX_FILE), JSON.stringify({ format: 1, entries }));
    const r = await hashOnce(tree(), { cacheRoot: cache() });
    assert.deepEqual(r.stats, { filesHashed: 0, bytesHashed: 0, filesFromIndex: FILES }, 'nothing read again');
    assert.equal(fs.existsSync(path.join(cache(), LEGACY_INDEX_FILE)), false);
    assert.ok(fs.existsSync(shard(tree())));
    assert.equal((await hashOnce(tree(), { cacheRoot: cache() })).stats.filesFromIndex, FILES);
  });
});
