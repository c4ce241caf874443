// Every key of every runnable cell kind in recipe.schema.json reaches the code that acts on it and changes what
// comes out: a field of the request the core sends to the engine, the artifact a LoRA cell hands on, a file the
// cell writes or a figure it reports. A key without a probe fails this test, so no key can be added to the schema
// without being wired; a key nobody implements belongs out of the schema (and README), not in an exemption.
//
// How to add a key (e.g. a `slider` cell kind, `model.prediction_type`, `on_fail`):
//   1. Add it to recipe.schema.json and wire it.
//   2. Add one line to PROBES in ./probes.ts: `'<kind>.<key>': { set: { key: value }, observe: … }` — `set` is merged
//      into the kind's BASE body (add a BASE entry for a new kind), `observe` says where the effect must show:
//      `req('train', 'field')` for an engine request field (expected value: the one you set, unless `expect` is
//      given), `{ artifact: 'field' }`, `{ result: (run) => … }` (must differ from the run without the key), or
//      `{ name: true }`. Nested keys are `bias.until.every`; keys of array items `target.over[].weight`.
//   3. A new engine request field: add it to test/contract/engine-requests.json under its method with the key in
//      `keys` (and `values` if the request value differs from the schema's enum value), then give it an engine
//      probe in ENGINE_PROBES of test/engine/test_contract.py, which proves the engine reads the field and accepts
//      every enum value the schema offers.
// Run: node --import tsx --test test/unit/contract/schemaContract.test.ts
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { planRecipe } from '../../../extension/core/plan/plan';
import { parseRecipeText } from '../../../extension/core/recipe';
import { flatten, recipeFolder, Ran, runCell } from './harness';
import { BASE, Probe, PROBES } from './probes';

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const root = path.resolve(__dirname, '../../..');
const schema: Schema = JSON.parse(fs.readFileSync(path.join(root, 'extension/core/recipe/recipe.schema.json'), 'utf8'));
const contract: Record<string, Record<string, { keys: string[]; values?: Record<string, string>; leaf?: boolean }>> =
  JSON.parse(fs.readFileSync(path.join(root, 'test/contract/engine-requests.json'), 'utf8'));
delete (contract as Record<string, unknown>)._comment;

const resolve = (s: Schema): Schema => (s.$ref ? schema.definitions[String(s.$ref).split('/').pop()!] : s);

/** Every key path of the runnable kinds, with its (resolved) schema. Objects with properties give their
 * children; arrays whose items have properties give the array and `path[].child`. */
export function keyPaths(): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const walk = (props: Schema, prefix: string) => {
    for (const [k, raw] of Object.entries(props)) {
      const s = resolve(raw as Schema);
      const p = `${prefix}.${k}`;
      if (s.properties) walk(s.properties, p);
      else {
        out.set(p, s);
        if (s.items?.properties) walk(s.items.properties, `${p}[]`);
      }
    }
  };
  for (const [kind, s] of Object.entries(schema.properties as Schema)) if (kind !== 'markdown') walk((s as Schema).properties, kind);
  return out;
}

const KEYS = keyPaths();
const leaves = new Set(Object.entries(contract).flatMap(([m, fields]) => Object.entries(fields).filter(([, f]) => f.leaf).map(([f]) => `${m}:${f}`)));
const kindOf = (key: string) => key.split('.')[0];

function merge(body: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k]; else out[k] = v;
  return out;
}

/** The value a key path names inside a `set` patch (`bias.until.every` → set.until.every; `over[].w` → item 0). */
function leafValue(key: string, set: Record<string, unknown>): unknown {
  let v: unknown = set;
  for (const part of key.split('.').slice(1)) {
    const arr = part.endsWith('[]');
    v = (v as Record<string, unknown> | undefined)?.[arr ? part.slice(0, -2) : part];
    if (arr) v = (v as unknown[] | undefined)?.[0];
  }
  return v;
}

function withLeaf(key: string, set: Record<string, unknown>, value: unknown): Record<string, unknown> {
  const parts = key.split('.').slice(1);
  const copy = JSON.parse(JSON.stringify(set));
  let o = copy;
  for (const part of parts.slice(0, -1)) o = o[part];
  o[parts[parts.length - 1]] = value;
  return copy;
}

/** The values of `field` in every `method` request of a run. */
function fieldValues(run: Ran, method: string, field: string): unknown[] {
  const leafSet = new Set([...leaves].filter((l) => l.startsWith(`${method}:`)).map((l) => l.slice(method.length + 1)));
  return run.requests.filter((r) => r.method === method).flatMap((r) => {
    const flat = flatten(r.params, leafSet);
    return flat.has(field) ? [flat.get(field)] : [];
  });
}

async function runProbe(key: string, probe: Probe, set?: Record<string, unknown>) {
  const dir = await recipeFolder();
  const kind = kindOf(key);
  const base = merge(BASE[kind](dir), typeof probe.base === 'function' ? probe.base(dir) : probe.base ?? {});
  const patch = set ?? (typeof probe.set === 'function' ? probe.set(dir) : probe.set);
  const obs = probe.observe;
  const a = await runCell(kind, base, dir);
  const aResult = 'result' in obs ? JSON.stringify(obs.result(a) ?? null) : undefined;
  const b = await runCell(kind, merge(base, patch), dir);
  // every field the core sent must be in the engine contract, so the engine side checks that it reads it
  for (const r of [a, b]) for (const q of r.requests) {
    const leafSet = new Set([...leaves].filter((l) => l.startsWith(`${q.method}:`)).map((l) => l.slice(q.method.length + 1)));
    const unknown = [...flatten(q.params, leafSet).keys()].filter((f) => !contract[q.method]?.[f] && !(q.method !== 'load' && contract.load[f]));
    assert.deepEqual(unknown, [], `${key}: the ${q.method} request carries fields test/contract/engine-requests.json does not list: ${unknown.join(', ')}`);
  }
  return { a, b, aResult, patch };
}

const sameJson = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

describe('recipe schema ↔ probes ↔ engine request contract', () => {
  it('has a probe for every key of every runnable cell kind, and none for keys the schema lacks', () => {
    const missing = [...KEYS.keys()].filter((k) => !(k in PROBES));
    const stale = Object.keys(PROBES).filter((k) => !KEYS.has(k));
    assert.deepEqual(missing, [], `keys without a probe (wire them and add a line to PROBES in test/unit/contract/probes.ts, or remove them from the schema): ${missing.join(', ')}`);
    assert.deepEqual(stale, [], `probes for keys the schema does not have: ${stale.join(', ')}`);
    assert.ok(KEYS.size > 60, `walked ${KEYS.size} keys`);
  });

  it('the engine contract lists exactly the keys whose probes observe each request field', () => {
    for (const [key, probe] of Object.entries(PROBES)) {
      if (!('request' in probe.observe)) continue;
      const { request, field } = probe.observe;
      assert.ok(contract[request]?.[field], `${key}: ${request}.${field} is not in test/contract/engine-requests.json`);
      assert.ok(contract[request][field].keys.includes(key), `${key}: add it to keys of ${request}.${field} in engine-requests.json`);
    }
    for (const [method, fields] of Object.entries(contract)) for (const [field, f] of Object.entries(fields)) for (const key of f.keys) {
      const o = PROBES[key]?.observe;
      assert.ok(o && 'request' in o && o.request === method && o.field === field, `engine-requests.json: ${method}.${field} lists ${key}, whose probe does not observe that field`);
    }
  });

  for (const [key, probe] of Object.entries(PROBES)) {
    it(`${key} changes what the cell does`, async () => {
      const obs = probe.observe;
      if ('name' in obs) {
        // the name is how later cells and `--cell NAME` find the cell: planning for it picks exactly this cell
        const kind = kindOf(key);
        const text = `model:\n  name: base\n  checkpoint: builtin:tiny-shapes\n---\n${kind}:\n  name: probed\n  x: 1\n`;
        const steps = planRecipe(parseRecipeText(text).cells, ['probed']);
        assert.deepEqual(steps.filter((s) => s.name === 'probed').map((s) => s.cell), [1]);
        return;
      }
      const { a, b, aResult, patch } = await runProbe(key, probe);
      const want = leafValue(key, patch);
      if ('request' in obs) {
        const before = fieldValues(a, obs.request, obs.field);
        const after = fieldValues(b, obs.request, obs.field);
        assert.ok(after.length > 0, `${key}: no ${obs.request} request carried ${obs.field} (requests: ${b.requests.map((r) => r.method).join(', ') || 'none'})`);
        const ok = obs.expect ? after.some((v) => obs.expect!(v, b)) : after.some((v) => sameJson(v, want));
        assert.ok(ok, `${key}: ${obs.request}.${obs.field} was ${JSON.stringify(after)}; expected ${obs.expect ? 'what the probe checks' : JSON.stringify(want)}`);
        assert.ok(!sameJson(before, after), `${key}: ${obs.request}.${obs.field} is the same with and without the key`);
      } else if ('artifact' in obs) {
        const before = (a.outcome.artifact as unknown as Record<string, unknown> | undefined)?.[obs.artifact];
        const after = (b.outcome.artifact as unknown as Record<string, unknown> | undefined)?.[obs.artifact];
        assert.ok(obs.expect ? obs.expect(after, b) : sameJson(after, want), `${key}: artifact.${obs.artifact} is ${JSON.stringify(after)}`);
        assert.ok(!sameJson(before, after), `${key}: artifact.${obs.artifact} is the same with and without the key`);
      } else {
        const after = JSON.stringify(obs.result(b) ?? null);
        assert.notEqual(after, aResult, `${key}: the cell's result is the same with and without the key (${after})`);
      }
    });
  }

  it('every enum value the schema offers reaches the engine as the value engine-requests.json names', async () => {
    for (const [key, s] of KEYS) {
      if (!s.enum) continue;
      const probe = PROBES[key];
      const base = typeof probe.set === 'function' ? probe.set(await recipeFolder()) : probe.set;
      for (const value of s.enum as string[]) {
        const { b } = await runProbe(key, probe, withLeaf(key, base, value));
        if (!('request' in probe.observe)) continue; // non-engine enums (caption_extension, write_captions): the run itself must succeed
        const { request, field } = probe.observe;
        const sent = contract[request][field].values?.[value] ?? value;
        assert.ok(fieldValues(b, request, field).some((v) => v === sent), `${key}: ${value} should reach ${request}.${field} as ${sent}; sent ${JSON.stringify(fieldValues(b, request, field))}`);
      }
    }
  });

  it('a key left out sends the schema default or nothing (then the engine default, checked against the schema in test/engine/test_contract.py)', async () => {
    for (const [key, s] of KEYS) {
      const probe = PROBES[key];
      if (s.default === undefined || !('request' in probe.observe)) continue;
      const { a } = await runProbe(key, probe);
      const { request, field } = probe.observe;
      const sent = fieldValues(a, request, field);
      const want = contract[request][field].values?.[String(s.default)] ?? s.default;
      assert.ok(sent.every((v) => sameJson(v, want)), `${key}: left out, ${request}.${field} was ${JSON.stringify(sent)}; the schema says the default is ${JSON.stringify(s.default)}`);
    }
  });
});
