// Caption decoding: each encoding trap named, the text still read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCaption } from '../../../extension/core/dataset/captions';

const codes = (c: ReturnType<typeof decodeCaption>) => c.problems.map((p) => p.code);

describe('decodeCaption', () => {
  it('reads plain UTF-8 tags with no problem, CRLF and trailing newline included', () => {
    const c = decodeCaption(Buffer.from('1girl, solo,\r\nsmile\r\n'));
    assert.deepEqual([c.kind, c.tags, codes(c)], ['tags', ['1girl', 'solo', 'smile'], []]);
  });
  it('strips a UTF-8 BOM and warns, since sd-scripts keeps it in the first tag', () => {
    const c = decodeCaption(Buffer.from('\ufeff1girl, solo'));
    assert.deepEqual(c.tags, ['1girl', 'solo']);
    assert.deepEqual(codes(c), ['caption-bom']);
    assert.match(c.problems[0].message, /without BOM/);
  });
  it('decodes Shift-JIS and says to re-save as UTF-8', () => {
    const c = decodeCaption(Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67])); // テスト
    assert.equal(c.text, 'テスト');
    assert.deepEqual(codes(c), ['caption-encoding']);
    assert.match(c.problems[0].message, /Shift-JIS.*iconv -f SHIFT_JIS -t UTF-8/);
  });
  it('decodes UTF-16 with its BOM and flags it as an error', () => {
    const c = decodeCaption(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('1girl, solo', 'utf16le')]));
    assert.deepEqual([c.tags, codes(c), c.problems[0].severity], [['1girl', 'solo'], ['caption-encoding'], 'error']);
  });
  it('warns about an empty caption', () => {
    assert.deepEqual(codes(decodeCaption(Buffer.from(' \n'))), ['empty-caption']);
    assert.deepEqual(codes(decodeCaption(Buffer.alloc(0))), ['empty-caption']);
  });
});
