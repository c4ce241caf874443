// Text from files and recipes survives markdown as itself: rendered by markdown-it with HTML allowed (what VS Code
// does with a text/markdown output), an escaped string reads back exactly, and no markup comes out of it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { mdCode, mdText, plainFromMarkdown } from '../../../extension/core/text/markdownEscape';

const MarkdownIt = createRequire(__filename)('markdown-it') as new (o: object) => { render(md: string): string; renderInline(md: string): string };
const md = new MarkdownIt({ html: true, linkify: false });
const HOSTILE = ['a`<img src=x onerror=alert(1)>.png', '``double``', '` leading', 'trail `', '*bold* _em_ [x](javascript:1)', '<script>1</script>', '| pipe | cell |', '&amp; &lt;', '# heading', '1. list', 'back\\slash'];
const unescapeHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('markdown escaping', () => {
  it('mdText reads back as the same text, with no element in it', () => {
    for (const s of HOSTILE) {
      const html = md.renderInline(mdText(s));
      assert.doesNotMatch(html, /<[a-z]/i, `${s} → ${html}`);
      assert.equal(unescapeHtml(html), s);
    }
  });

  it('mdCode is one code span holding exactly the text, whatever backticks it has', () => {
    for (const s of HOSTILE) {
      const html = md.renderInline(mdCode(s));
      const m = /^<code>([\s\S]*)<\/code>$/.exec(html);
      assert.ok(m, `${s} → ${html}`);
      assert.equal(unescapeHtml(m[1]), s);
    }
  });

  it('in a table cell, a code span with pipes keeps the table whole', () => {
    const html = md.render(`| file | n |\n|---|---|\n| ${mdCode('a|b`c', { inTable: true })} | 1 |`);
    assert.match(html, /<td><code>a\|b`c<\/code><\/td>\n<td>1<\/td>/);
  });

  it('plainFromMarkdown gives the CLI the text back', () => {
    for (const s of HOSTILE) assert.equal(plainFromMarkdown(mdText(s)), s);
  });
});
