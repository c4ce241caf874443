// Caption files: decoded the way a careful reader would (BOM stripped, UTF-16 and Shift-JIS recognised), with a
// problem for each thing sd-scripts would get wrong (it reads captions as UTF-8 and keeps a BOM as part of the
// first tag).
import { splitCaption } from './tags';
import type { ProblemCode, Severity } from './types';

export interface CaptionProblem { code: ProblemCode; severity: Severity; message: string }

export interface Caption {
  text: string;
  kind: 'tags' | 'prose';
  tags: string[];
  problems: CaptionProblem[];
}

/** Decode a caption file's bytes. Never throws. */
export function decodeCaption(bytes: Uint8Array): Caption {
  const problems: CaptionProblem[] = [];
  let text: string;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    problems.push({
      code: 'caption-bom', severity: 'warning',
      message: 'starts with a UTF-8 byte-order mark, which sd-scripts reads as part of the first tag: save it as UTF-8 without BOM.',
    });
    text = decodeUtf8(bytes.subarray(3), problems);
  } else if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const le = bytes[0] === 0xff;
    text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(2));
    problems.push({
      code: 'caption-encoding', severity: 'error',
      message: `is UTF-16 (${le ? 'LE' : 'BE'}); sd-scripts reads captions as UTF-8 and would train on garbage: re-save it as UTF-8.`,
    });
  } else {
    text = decodeUtf8(bytes, problems);
  }
  const nuls = text.split('\0').length - 1;
  if (nuls) {
    text = text.replaceAll('\0', '');
    problems.push({
      code: 'caption-nul', severity: 'warning',
      message: `holds ${nuls} NUL byte${nuls === 1 ? '' : 's'} (\\0), which would reach training as part of a tag: ${nuls === 1 ? 'it was' : 'they were'} removed. Check the file (UTF-16 saved without a byte-order mark, or not text) and re-save it as UTF-8.`,
    });
  }
  text = text.replace(/\r\n?/g, '\n').trim();
  if (text === '') {
    problems.push({ code: 'empty-caption', severity: 'warning', message: 'is empty: the image trains with no caption. Write its tags, or delete the file.' });
    return { text, kind: 'tags', tags: [], problems };
  }
  const { kind, tags } = splitCaption(text);
  return { text, kind, tags, problems };
}

function decodeUtf8(bytes: Uint8Array, problems: CaptionProblem[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch { /* not UTF-8 */ }
  for (const [enc, name] of [['shift_jis', 'Shift-JIS'], ['gb18030', 'GB18030'], ['windows-1252', 'Windows-1252']] as const) {
    try {
      const text = new TextDecoder(enc, { fatal: true }).decode(bytes);
      problems.push({
        code: 'caption-encoding', severity: 'error',
        message: `is not UTF-8 (it reads as ${name}); sd-scripts reads captions as UTF-8 and would fail or train on garbage: re-save it as UTF-8 (e.g. \`iconv -f ${name === 'Shift-JIS' ? 'SHIFT_JIS' : name} -t UTF-8\`).`,
      });
      return text;
    } catch { /* try the next */ }
  }
  problems.push({ code: 'caption-encoding', severity: 'error', message: 'is not valid UTF-8 text: re-save it as UTF-8.' });
  return new TextDecoder('utf-8').decode(bytes);
}
