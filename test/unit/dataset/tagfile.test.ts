// The tag-file reader streams in 4 MiB chunks: posts that straddle a chunk boundary, and a line longer than a
// chunk, must come out as a simple whole-file split would give them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tmpDir } from './make-images';
import { readTagFile } from '../../../extension/core/dataset/tagfile';

async function readAll(file: string) {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const posts: string[][] = [];
  const progress: [number, number][] = [];
  const stats = await readTagFile(file, (t) => {
    let id = ids.get(t);
    if (id === undefined) { id = names.length; names.push(t); ids.set(t, id); }
    return id;
  }, (a, n) => { posts.push(Array.from(a.subarray(0, n), (i) => names[i])); }, { onProgress: (d, t) => progress.push([d, t]) });
  return { stats, posts, distinct: names.length, progress };
}

describe('readTagFile', () => {
  it('reads posts across chunk boundaries exactly as a whole-file split does', async () => {
    const dir = tmpDir('tagfile');
    const file = path.join(dir, 'big.txt');
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const lines: string[] = [];
    let bytes = 0;
    while (bytes < 9.5 * 2 ** 20) { // three chunks
      const n = 1 + Math.floor(rnd() * 12);
      const line = Array.from({ length: n }, () => `tag ${Math.floor(rnd() * 3000)} ü`).join(', ');
      lines.push(line);
      bytes += line.length + 3;
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const { stats, posts, distinct, progress } = await readAll(file);
    assert.deepEqual(progress.at(-1), [fs.statSync(file).size, fs.statSync(file).size]);
    assert.ok(progress.length >= 3);
    assert.equal(stats.posts, lines.length);
    assert.equal(stats.problemCount, 0);
    for (let i = 0; i < lines.length; i += 997) assert.deepEqual(posts[i], lines[i].split(', '), `post ${i}`);
    assert.deepEqual(posts[lines.length - 1], lines[lines.length - 1].split(', '));
    assert.equal(distinct, new Set(lines.flatMap((l) => l.split(', '))).size);
  });

  it('skips a line longer than a chunk, names it, and reads on', async () => {
    const dir = tmpDir('tagfile');
    const file = path.join(dir, 'long.txt');
    const long = Array.from({ length: 1_000_000 }, (_, i) => `t${i % 1000}`).join(','); // ~5 MB
    fs.writeFileSync(file, `a, b\n${long}\nc, d\ne\n`);
    const { stats, posts } = await readAll(file);
    assert.deepEqual(posts, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.equal(stats.problems.length, 1);
    assert.equal(stats.problems[0].line, 2);
    assert.match(stats.problems[0].message, /longer than/);
    assert.equal(stats.lines, 4);
  });

  it('reads a file without commas as space-separated Danbooru tags, and says so', async () => {
    const dir = tmpDir('tagfile');
    fs.writeFileSync(path.join(dir, 'dump.txt'), '1girl large_breasts  cleavage\nsolo 1girl\n\n');
    const { stats, posts } = await readAll(path.join(dir, 'dump.txt'));
    assert.deepEqual(posts, [['1girl', 'large_breasts', 'cleavage'], ['solo', '1girl']]);
    assert.equal(stats.spaceSeparated, true);
    assert.match(stats.problems[0].message, /space-separated/);
    assert.equal(stats.problems[0].line, 0);
    fs.writeFileSync(path.join(dir, 'commas.txt'), 'long hair, red eyes\nsolo\n');
    const c = await readAll(path.join(dir, 'commas.txt'));
    assert.deepEqual([c.posts, c.stats.spaceSeparated], [[['long hair', 'red eyes'], ['solo']], undefined]);
  });

  it('reads an empty file as no posts and keeps only the first problems', async () => {
    const dir = tmpDir('tagfile');
    fs.writeFileSync(path.join(dir, 'empty.txt'), '');
    assert.equal((await readAll(path.join(dir, 'empty.txt'))).stats.posts, 0);
    fs.writeFileSync(path.join(dir, 'bad.txt'), ',\n'.repeat(150) + 'x\n');
    const { stats, posts } = await readAll(path.join(dir, 'bad.txt'));
    assert.equal(stats.problemCount, 150);
    assert.equal(stats.problems.length, 100);
    assert.deepEqual(posts, [['x']]);
  });
});
