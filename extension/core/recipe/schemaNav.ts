// Walks the recipe JSON Schema alongside a path of keys/indices: shared by validation, completion and hover.
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import schema from './recipe.schema.json';

export interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  $ref?: string;
  'x-ref'?: string[];
  'x-path'?: 'model' | 'file' | 'dir' | 'output';
  [k: string]: unknown;
}

const root = schema as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

export function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let i = 0; n?.$ref && i < 8; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(n.$ref);
    n = m ? root.definitions[m[1]] : undefined;
  }
  return n;
}

/** The schema of a cell's body (`kind`), or of the whole cell when kind is undefined. */
export function cellSchema(kind?: string): SchemaNode | undefined {
  return kind === undefined ? root : resolve(root.properties?.[kind]);
}

/** The schema at `path` below a cell's top (path[0] is the kind). Numbers and '[]' step into list items. */
export function schemaAt(path: (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const seg of path) {
    node = resolve(node);
    if (!node) return undefined;
    node = typeof seg === 'number' || seg === '[]' ? node.items : node.properties?.[seg];
  }
  return resolve(node);
}

export function hasType(node: SchemaNode, t: string): boolean {
  return node.type === undefined ? false : Array.isArray(node.type) ? node.type.includes(t) : node.type === t;
}

/** A short human summary of what a schema node accepts ("whole number 1–1024", "everything | style"). */
export function accepts(node: SchemaNode): string {
  if (node.enum) return node.enum.map((e) => '`' + String(e) + '`').join(' | ');
  const types = (Array.isArray(node.type) ? node.type : node.type ? [node.type] : []).map((t) =>
    ({ integer: 'whole number', number: 'number', string: 'text', array: 'list', object: 'mapping', boolean: 'true/false' })[t] ?? t);
  let range = '';
  const lo = node.minimum ?? node.exclusiveMinimum;
  if (lo !== undefined && node.maximum !== undefined) range = ` ${node.exclusiveMinimum !== undefined ? '>' : ''}${lo}…${node.maximum}`;
  const ref = node['x-ref'] ? ` naming a ${node['x-ref'].join(' or ')} cell` : '';
  const p = node['x-path'] ? ' (a path relative to the recipe)' : '';
  return types.join(' or ') + range + ref + p;
}

/** Visits every YAML node below `node` that the schema describes, with its schema. */
export function walkSchema(schema: SchemaNode | undefined, node: unknown, visit: (node: unknown, schema: SchemaNode) => void): void {
  const s = resolve(schema);
  if (!s || node === undefined || node === null || isAlias(node)) return;
  visit(node, s);
  if (isMap(node) && s.properties) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && s.properties[pair.key.value]) {
        walkSchema(s.properties[pair.key.value], pair.value, visit);
      }
    }
  } else if (isSeq(node) && s.items) {
    for (const item of node.items) walkSchema(s.items, item, visit);
  }
}
