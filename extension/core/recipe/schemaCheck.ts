// Checks a cell's body against the recipe JSON Schema (with ajv) and turns each error into a plain sentence
// located on the offending key or value.
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { isScalar, Node } from 'yaml';
import { CellKindName, kindSpan, nodeAt, nodeSpan, pairAt, ParsedCell, Span } from './cells';
import schema from './recipe.schema.json';
import { closest } from './suggest';
import type { Problem } from './problems';

let validators: Map<string, ValidateFunction> | undefined;

function validatorFor(kind: CellKindName): ValidateFunction {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['x-ref', 'x-path']);
    ajv.addSchema(schema);
    validators = new Map();
    for (const k of Object.keys(schema.properties)) {
      validators.set(k, ajv.getSchema(`${schema.$id}#/properties/${k}`)!);
    }
  }
  return validators.get(kind)!;
}

export function schemaProblems(cell: ParsedCell, kind: CellKindName, body: unknown): Problem[] {
  const validate = validatorFor(kind);
  if (validate(body)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  // A misspelt key also reads as a missing one: report only the misspelling, whose fix cures both.
  const guessed = new Set((validate.errors ?? [])
    .filter((e) => e.keyword === 'additionalProperties')
    .map((e) => `${e.instancePath}/${closest(String(e.params.additionalProperty), Object.keys((e.parentSchema as { properties?: object }).properties ?? {})) ?? ''}`));
  for (const err of validate.errors ?? []) {
    if (err.keyword === 'required' && guessed.has(`${err.instancePath}/${String(err.params.missingProperty)}`)) continue;
    const p = describe(cell, kind, err);
    if (!p) continue;
    const key = `${p.line}:${p.col}:${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  }
  return problems;
}

function segments(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function label(path: (string | number)[]): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return '`' + out + '`';
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  if (typeof v === 'boolean') return 'true/false';
  return 'text';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text', integer: 'a whole number', number: 'a number', boolean: '`true` or `false`',
  array: 'a list', object: 'a mapping of keys', null: 'empty',
};

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function describe(cell: ParsedCell, kind: CellKindName, err: ErrorObject): Problem | undefined {
  const doc = cell.doc!;
  const rel = segments(err.instancePath);
  const path = [kind, ...rel];
  const where = (node: Node | undefined | null): Span =>
    nodeSpan(cell, node ?? undefined) ?? nodeSpan(cell, pairAt(doc, path)?.key as Node) ?? kindSpan(cell);
  const valueNode = nodeAt(doc, path);
  const at = (span: Span, severity: Problem['severity'], code: string, message: string, fix?: Problem['fix']): Problem =>
    ({ cell: cell.index, ...span, severity, code, message, ...(fix ? { fix } : {}) });
  const field = rel.length ? label(rel) : '`' + kind + '`';
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((err.parentSchema as { properties?: object }).properties ?? {});
      const pair = pairAt(doc, [...path, key]);
      const guess = closest(key, allowed);
      const inside = rel.length ? `${field}` : `a \`${kind}\` cell`;
      const message = `unknown key \`${key}\` in ${inside}` + (guess ? `; did you mean \`${guess}\`?` : `; expected one of: ${allowed.join(', ')}`);
      return at(where(pair?.key as Node), 'error', 'unknown-key', message, guess ? { title: `Change to \`${guess}\``, newText: guess } : undefined);
    }
    case 'required': {
      const missing = String(p.missingProperty);
      const parentKey = (typeof path[path.length - 1] === 'number' ? valueNode : pairAt(doc, path)?.key) as Node | undefined;
      const owner = rel.length ? field : `a \`${kind}\` cell`;
      return at(where(parentKey), 'error', 'missing-key', `${owner} needs \`${missing}:\``);
    }
    case 'type': {
      const want = String(p.type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      if (err.data === null || err.data === undefined) {
        return at(where(pairAt(doc, path)?.key as Node), 'error', 'empty-value', `${field} is empty: give it ${want}`);
      }
      return at(where(valueNode), 'error', 'wrong-type', `${field} must be ${want}, not ${typeName(err.data)}`);
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const guess = typeof err.data === 'string' ? closest(err.data, allowed) : undefined;
      const message = `${field} must be one of: ${allowed.join(', ')} (not ${show(err.data)})` + (guess ? `; did you mean \`${guess}\`?` : '');
      return at(where(valueNode), 'error', 'bad-value', message, guess ? { title: `Change to \`${guess}\``, newText: guess } : undefined);
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const bound = p.limit as number;
      const word = { minimum: 'at least', exclusiveMinimum: 'more than', maximum: 'at most', exclusiveMaximum: 'less than' }[err.keyword];
      return at(where(valueNode), 'error', 'out-of-range', `${field} must be ${word} ${bound} (got ${show(err.data)})`);
    }
    case 'multipleOf':
      return at(where(valueNode), 'error', 'out-of-range', `${field} must be a multiple of ${String(p.multipleOf)} (got ${show(err.data)})`);
    case 'pattern': {
      const last = rel[rel.length - 1];
      const message = last === 'name'
        ? `${field} ${show(err.data)} is not a usable name: use letters, digits, \`_\`, \`-\` and \`.\`, starting with a letter or digit`
        : last === 'to'
          ? `${field} must be a \`.safetensors\` file (got ${show(err.data)})`
          : `${field} does not have the expected form (got ${show(err.data)})`;
      return at(where(valueNode), 'error', 'bad-value', message);
    }
    case 'minItems':
      return at(where(valueNode), 'error', 'too-few', `${field} needs at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}`);
    case 'maxItems':
      return at(where(valueNode), 'error', 'too-many', `${field} can have at most ${String(p.limit)} entries (got ${(err.data as unknown[]).length})`);
    case 'minLength':
      return at(where(valueNode), 'error', 'empty-value', `${field} must not be empty`);
    case 'maxLength':
      return at(where(valueNode), 'error', 'too-long', `${field} can be at most ${String(p.limit)} characters`);
    case 'minProperties':
      return at(where(valueNode), 'error', 'empty-value', `${field} must not be empty`);
    default:
      return at(where(valueNode), 'error', 'schema', `${field} ${err.message ?? 'is not valid'}`);
  }
}

/** Whether a scalar node's value is a string (used by the reference checks). */
export function stringOf(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}
