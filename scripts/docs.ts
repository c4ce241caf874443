// `npm run docs`: writes the recipe reference (generated from the JSON Schema) into README.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recipeReference } from '../extension/core/recipe';

const readme = path.join(__dirname, '../README.md');
const text = fs.readFileSync(readme, 'utf8');
const start = '<!-- reference:start -->\n';
const end = '<!-- reference:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md has no reference markers');
fs.writeFileSync(readme, text.slice(0, a + start.length) + recipeReference() + text.slice(b));
