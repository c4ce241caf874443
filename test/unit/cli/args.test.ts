// The options `lorabias --help` lists are the options it reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../../../extension/cli/args';

describe('parseArgs', () => {
  it('reads --device and --python, spaced or with =', () => {
    assert.deepEqual([parseArgs(['run', '--device', 'cpu', 'r.lorabias']).device, parseArgs(['run', '--device=cuda:1', 'r.lorabias']).device], ['cpu', 'cuda:1']);
    const a = parseArgs(['run', '--python', '/opt/py/bin/python', 'r.lorabias']);
    assert.equal(a.python, '/opt/py/bin/python');
    assert.deepEqual(a.files, ['r.lorabias']);
    assert.equal(parseArgs(['run', '--python=/x/python', 'r.lorabias']).python, '/x/python');
  });
  it('refuses a device it cannot use and a flag without its value', () => {
    assert.throws(() => parseArgs(['run', '--device', 'gpu', 'r.lorabias']), (e: unknown) => e instanceof UsageError && /cuda:N/.test(e.message));
    assert.throws(() => parseArgs(['run', 'r.lorabias', '--device']), UsageError);
  });
});
