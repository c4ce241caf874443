// The README's recipe reference is the one generated from the schema (run `npm run docs` after a schema change).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { recipeReference } from '../../../extension/core/recipe';

it('the README documents every key of the schema, as generated from it', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  const section = readme.split('<!-- reference:start -->\n')[1]?.split('<!-- reference:end -->')[0];
  assert.equal(section, recipeReference(), 'README.md is out of date: run `npm run docs`');
  for (const key of ['`on_fail`', '`until.fidelity`', '`over[].weight`', '`compare`', '`to` (required)']) assert.ok(section.includes(key), key);
});
