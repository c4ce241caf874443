// Validation = YAML errors + the schema + the rules between cells (names, references, paths).
import * as path from 'node:path';
import { isAlias, isCollection, isMap, isScalar, isSeq, Node, Pair, Scalar, visit } from 'yaml';
import { CELL_KINDS, kindSpan, nodeSpan, pairAt, parseCell, ParsedCell, Span, spanOf } from './cells';
import { MAX_PROBLEMS_PER_CELL, Problem } from './problems';
import { schemaProblems } from './schemaCheck';
import { sliderProblems } from './sliderRules';
import { cellSchema, SchemaNode, walkSchema } from './schemaNav';
import { closest } from './suggest';
import type { OutputTarget } from './outputTarget';
import type { RecipeCell } from './text';

export interface ValidateOptions {
  /** Absolute path of the recipe; relative paths in cells resolve against its folder. */
  recipePath?: string;
  /** Whether a path exists; path checks are skipped without it. */
  exists?: (absPath: string) => boolean;
  /** What an export's `to:` would replace (see outputTarget.ts); those checks are skipped without it. */
  outputTarget?: (absPath: string, recipeDir: string) => OutputTarget;
}

export const BUILTIN_MODELS = ['builtin:tiny-shapes'];
const PICKLE = /\.(ckpt|pt|pth|bin)$/i;
const MAX_PREVIEW_IMAGES = 200;

export function validateRecipe(cells: RecipeCell[], opts: ValidateOptions = {}): Problem[] {
  const parsed = cells.map(parseCell);
  const problems: Problem[] = [];
  const bodies = new Map<number, Node>();
  parsed.forEach((cell, i) => {
    const own: Problem[] = [];
    const sep = cells[i].meta?.sep;
    if (sep !== undefined && /^---[ \t]+[^#\s]/.test(sep)) {
      own.push({ cell: i, line: 0, col: 0, endLine: 0, endCol: 0, severity: 'error', code: 'separator-content',
        message: 'text after `---` on the separator line is not supported: put the cell\'s content on the next line' });
    }
    const body = own.length ? undefined : cellBody(cell, own);
    if (body) bodies.set(i, body);
    problems.push(...own.slice(0, MAX_PROBLEMS_PER_CELL));
  });
  problems.push(...crossCellProblems(parsed, bodies, opts));
  return problems.sort((a, b) => a.cell - b.cell || a.line - b.line || a.col - b.col);
}

function yamlMessage(code: string, message: string): string {
  if (code === 'TAB_AS_INDENT' || /tab/i.test(message)) return 'tabs cannot indent YAML: indent with spaces';
  if (code === 'DUPLICATE_KEY') return 'this key appears twice in the same mapping: keep one';
  return 'YAML: ' + message.replace(/ at line \d+, column \d+.*$/s, '').replace(/\s+/g, ' ').trim();
}

/** Checks one cell on its own; returns its body node when the cell is well-formed enough for cross-cell rules. */
function cellBody(cell: ParsedCell, out: Problem[]): Node | undefined {
  if (cell.kind === 'markdown' && !cell.doc) return undefined;
  if (cell.empty || !cell.doc) return undefined;
  const doc = cell.doc;
  const at = (span: Span, code: string, message: string, severity: Problem['severity'] = 'error', fix?: Problem['fix']) =>
    out.push({ cell: cell.index, ...span, severity, code, message, ...(fix ? { fix } : {}) });
  for (const e of doc.errors) at(spanOf(cell, e.pos[0], e.pos[1]), 'yaml', yamlMessage(e.code, e.message));
  for (const w of doc.warnings) at(spanOf(cell, w.pos[0], w.pos[1]), 'yaml', yamlMessage(w.code, w.message), 'warning');
  if (doc.errors.length) return undefined;
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return undefined;
  if (!isMap(contents)) {
    at(nodeSpan(cell, contents as Node) ?? kindSpan(cell), 'not-a-cell',
      `a cell is a mapping with one key, its kind (${CELL_KINDS.join(', ')}), e.g. \`model:\``);
    return undefined;
  }
  if (complexKeys(cell, out)) return undefined;
  contents.items.slice(1).forEach((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    at(nodeSpan(cell, pair.key as Node) ?? kindSpan(cell), 'second-kind',
      `a cell has one top-level key, its kind; \`${key}\` belongs inside \`${cell.kindKey}:\` (indent it) or in a new cell after a \`---\` line`);
  });
  const first = contents.items[0] as Pair;
  if (!cell.kind) {
    const written = cell.kindKey ?? '?';
    const guess = closest(written, CELL_KINDS);
    at(nodeSpan(cell, first.key as Node) ?? kindSpan(cell), 'unknown-kind',
      `unknown cell kind \`${written}\`` + (guess ? `; did you mean \`${guess}\`?` : `; use one of: ${CELL_KINDS.join(', ')}`),
      'error', guess ? { title: `Change to \`${guess}\``, newText: guess } : undefined);
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 })[cell.kind];
  } catch {
    at(kindSpan(cell), 'alias-bomb', 'this cell expands too many YAML aliases (`*name`); write the values out instead');
    return undefined;
  }
  if (value === null || value === undefined) {
    at(kindSpan(cell), 'empty-value', cell.kind === 'markdown' ? '`markdown` is empty: write some text after `markdown: |`'
      : `\`${cell.kind}\` is empty: add its keys on the lines below, indented`);
    return undefined;
  }
  const problems = schemaProblems(cell, cell.kind, value);
  out.push(...problems);
  return isAlias(first.value) ? undefined : (first.value as Node);
}

/** Reports keys that are lists or mappings (`? [a, b]`), on the key itself; true when there was one. */
function complexKeys(cell: ParsedCell, out: Problem[]): boolean {
  let found = false;
  visit(cell.doc!, {
    Pair(_, pair, path) {
      if (!isCollection(pair.key)) return;
      found = true;
      const top = path.length === 2; // document → top-level map → this pair
      out.push({ cell: cell.index, ...(nodeSpan(cell, pair.key as Node) ?? kindSpan(cell)), severity: 'error', code: 'complex-key',
        message: top ? 'a cell\'s key is its kind, a plain name (e.g. `model:`), not a list or mapping (a `? ` key)'
          : 'a key must be a plain name (e.g. `rank:`), not a list or mapping (a `? ` key)' });
    },
  });
  return found;
}

interface Named {
  cell: ParsedCell;
  name: string;
  node: Node;
}

function crossCellProblems(cells: ParsedCell[], bodies: Map<number, Node>, opts: ValidateOptions): Problem[] {
  const out: Problem[] = [];
  const byName = new Map<string, Named>();
  const add = (cell: ParsedCell, span: Span | undefined, code: string, message: string, severity: Problem['severity'] = 'error', fix?: Problem['fix']) =>
    out.push({ cell: cell.index, ...(span ?? kindSpan(cell)), severity, code, message, ...(fix ? { fix } : {}) });

  for (const cell of cells) {
    if (!cell.kind || cell.kind === 'markdown' || cell.name === undefined || !cell.doc) continue;
    const node = pairAt(cell.doc, [cell.kind, 'name'])?.value as Node;
    const prev = byName.get(cell.name);
    if (prev) {
      add(cell, nodeSpan(cell, node), 'duplicate-name',
        `the name \`${cell.name}\` is already used by the ${prev.cell.kind} cell ${prev.cell.index + 1}: names must be unique`);
    } else {
      byName.set(cell.name, { cell, name: cell.name, node });
    }
  }

  for (const cell of cells) {
    const body = bodies.get(cell.index);
    if (!body || !cell.kind || cell.kind === 'markdown') continue;
    const get = (k: string) => (isMap(body) ? body.get(k, true) : undefined);
    // Rules the schema cannot say on its own.
    if (cell.kind === 'analyze' && (get('dataset') === undefined) === (get('tags') === undefined)) {
      add(cell, kindSpan(cell), 'analyze-source', 'an `analyze` cell needs exactly one of `dataset:` (a dataset cell) or `tags:` (a tag-list file)');
    }
    if (cell.kind === 'bias' && (get('dataset') === undefined) === (get('file') === undefined)) {
      add(cell, kindSpan(cell), 'bias-source', 'a `bias` cell needs exactly one of `dataset:` (to train it) or `file:` (an existing LoRA)');
    }
    if (cell.kind === 'bias' && get('on_fail') !== undefined && get('until') === undefined) {
      add(cell, nodeSpan(cell, pairAt(cell.doc!, [cell.kind, 'on_fail'])?.key as Node), 'on-fail-without-until',
        '`on_fail` has no effect without `until:` (there is no constraint to fail): add `until: { fidelity: 0.9 }` or remove `on_fail`', 'warning');
    }
    if ((cell.kind === 'target' || cell.kind === 'slider') && get('model') === undefined) {
      const over = get('over');
      if (!isSeq(over) || over.items.length === 0) add(cell, kindSpan(cell), 'target-model', `a \`${cell.kind}\` cell needs \`model:\` when it has no \`over:\` biases`);
    }
    if (cell.kind === 'slider') out.push(...sliderProblems(cell, body));
    if (cell.kind === 'target') {
      const scheme = get('scheme');
      const name = isScalar(scheme) ? String(scheme.value) : 'over-copier';
      if (name !== 'over-copier' && get('from') === undefined) add(cell, nodeSpan(cell, scheme as Node), 'scheme-from', `\`scheme: ${name}\` needs \`from:\`, the dataset cell of the original pictures (A) that \`dataset:\` edits`);
      if (name === 'bipolar' && get('negative_over') === undefined) add(cell, nodeSpan(cell, scheme as Node), 'scheme-negative', '`scheme: bipolar` needs `negative_over:`, a bias (copier) of the dataset\'s pictures A′ to train weight −1 over');
    }
    if (cell.kind === 'preview' && isMap(body)) {
      const count = (k: string, d: number) => { const n = get(k); return isSeq(n) ? n.items.length : d; };
      const images = count('weights', 2) * count('seeds', 1) * count('prompts', 1) * (1 + count('compare', 0));
      if (images > MAX_PREVIEW_IMAGES) {
        add(cell, kindSpan(cell), 'preview-size', `this preview samples ${images} images (weights × seeds × prompts × LoRAs); that can take long — fewer than ${MAX_PREVIEW_IMAGES} is usual`, 'warning');
      }
    }
    walkSchema(cellSchema(cell.kind), body, (node, schema) => {
      if (!isScalar(node) || typeof node.value !== 'string') return;
      if (schema['x-ref']) checkRef(cell, node, schema['x-ref'], byName, add);
      if (schema['x-path']) checkPath(cell, node, schema['x-path'], body, opts, add);
    });
  }
  return out;
}

type Add = (cell: ParsedCell, span: Span | undefined, code: string, message: string, severity?: Problem['severity'], fix?: Problem['fix']) => void;

function checkRef(cell: ParsedCell, node: Scalar, kinds: string[], byName: Map<string, Named>, add: Add): void {
  const name = node.value as string;
  const span = nodeSpan(cell, node);
  const target = byName.get(name);
  const what = kinds.join(' or ');
  if (!target) {
    const candidates = [...byName.values()].filter((n) => n.cell.index < cell.index && kinds.includes(n.cell.kind!)).map((n) => n.name);
    const guess = closest(name, candidates);
    add(cell, span, 'unknown-ref', `no ${what} cell is named \`${name}\`` +
      (guess ? `; did you mean \`${guess}\`?` : candidates.length ? `; earlier ${what} cells: ${candidates.join(', ')}` : `; add a ${kinds[0]} cell named \`${name}\` above this one`),
      'error', guess ? { title: `Change to \`${guess}\``, newText: guess } : undefined);
  } else if (target.cell.index === cell.index) {
    add(cell, span, 'self-ref', `a cell cannot use itself (\`${name}\`)`);
  } else if (target.cell.index > cell.index) {
    add(cell, span, 'later-ref', `\`${name}\` is defined below, in cell ${target.cell.index + 1}: cells can only use cells above them, so move this cell after it`);
  } else if (!kinds.includes(target.cell.kind!)) {
    add(cell, span, 'wrong-kind-ref', `\`${name}\` is a ${target.cell.kind} cell, but a ${what} cell is needed here`);
  }
}

function checkPath(cell: ParsedCell, node: Scalar, kind: NonNullable<SchemaNode['x-path']>, body: Node, opts: ValidateOptions, add: Add): void {
  const value = node.value as string;
  const span = nodeSpan(cell, node);
  if (kind === 'model' && value.startsWith('builtin:')) {
    if (!BUILTIN_MODELS.includes(value)) {
      const guess = closest(value, BUILTIN_MODELS);
      add(cell, span, 'unknown-builtin', `unknown built-in model \`${value}\`; the built-in models are: ${BUILTIN_MODELS.join(', ')}`,
        'error', guess ? { title: `Change to \`${guess}\``, newText: guess } : undefined);
    }
    return;
  }
  if (kind === 'model' && PICKLE.test(value)) {
    const allowed = isMap(body) && (body.get('allow_pickle') as unknown) === true;
    if (!allowed) add(cell, span, 'pickle', `\`${path.basename(value)}\` is a pickle checkpoint, which can run code when loaded: convert it to .safetensors, or set \`allow_pickle: true\` if you trust it`);
  }
  if (kind === 'output') return checkOutput(cell, node, span, opts, add);
  if (!opts.recipePath || !opts.exists) return;
  const abs = path.resolve(path.dirname(opts.recipePath), value);
  if (!opts.exists(abs)) {
    add(cell, span, 'missing-path', `\`${value}\` does not exist (looked for ${abs}); paths are relative to the recipe's folder`);
  }
}

/** An export's `to:`: a file name, never a folder, never a file that is not a LoRA; outside the recipe's folder warned. */
function checkOutput(cell: ParsedCell, node: Scalar, span: Span | undefined, opts: ValidateOptions, add: Add): void {
  const value = node.value as string;
  if (/\.safetensors$/i.test(value) && /^\.safetensors$/i.test(path.basename(value))) {
    return add(cell, span, 'output-name', `\`${value}\` has no file name before \`.safetensors\`: name the file, e.g. \`${path.dirname(value) === '.' ? '' : path.dirname(value) + '/'}slider.safetensors\``);
  }
  if (!opts.recipePath || !opts.outputTarget) return;
  const recipeDir = path.dirname(opts.recipePath);
  const abs = path.resolve(recipeDir, value);
  const t = opts.outputTarget(abs, recipeDir);
  if (t.existing === 'folder') return add(cell, span, 'output-folder', `\`${value}\` is an existing folder (${abs}): \`to:\` names the file to write, e.g. \`${value.replace(/\/+$/, '')}/slider.safetensors\``);
  if (t.existing === 'other') return add(cell, span, 'output-not-lora', `\`${value}\` already exists and is ${t.what ?? 'not a LoRA file'}: an export replaces only a LoRA file, so this one would not be written. Choose another name, or move that file away`);
  if (t.outside) {
    add(cell, span, 'output-outside', `\`${value}\` is outside the recipe's folder${t.viaLink ? ' (through a symbolic link)' : ''}: the export would write ${t.outside}. Write inside the recipe's folder unless that is intended`, 'warning');
  }
}
