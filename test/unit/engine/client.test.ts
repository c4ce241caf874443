// The engine client over real pipes to real Python processes. The worker here is a STAND-IN script (not the
// engine) written to misbehave on purpose — hang, die, print junk — which the real engine cannot be made to do
// on demand; the real engine is exercised in test/integration.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient, EngineError } from '../../../extension/core/engine/client';
import { EngineSession } from '../../../extension/core/engine/session';

let dir: string;
const STANDIN = String.raw`
import json, os, sys, time
print("stand-in worker starting", file=sys.stderr, flush=True)
for line in sys.stdin:
    req = json.loads(line)
    rid, method = req["id"], req["method"]
    out = lambda o: (sys.stdout.write(json.dumps(o) + "\n"), sys.stdout.flush())
    if method == "hello":
        out({"id": rid, "result": {"engine_version": "stand-in", "devices": [{"kind": "cpu", "name": "cpu"}]}})
    elif method == "echo":
        print("this line is not JSON", flush=True)
        out({"id": rid, "event": "progress", "data": {"step": 1, "total": 2}})
        out({"id": rid, "result": req["params"]})
    elif method == "hang":
        time.sleep(60)
    elif method == "die":
        print("about to crash: out of memory (pretend)", file=sys.stderr, flush=True)
        os._exit(3)
    elif method == "fail":
        out({"id": rid, "error": {"code": "E_NOT_FOUND", "message": "no such file: x.safetensors"}})
    elif method == "shutdown":
        out({"id": rid, "result": {}}); break
`;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lorabias-client-'));
  fs.mkdirSync(path.join(dir, 'lorabias_engine'));
  fs.writeFileSync(path.join(dir, 'lorabias_engine', '__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'lorabias_engine', '__main__.py'), STANDIN);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const client = (opts: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) => new EngineClient({ python: 'python3', engineDir: dir, ...opts });

describe('engine client', () => {
  it('starts the worker, sends requests, streams events and skips lines that are not JSON', async () => {
    const c = client();
    const events: unknown[] = [];
    const r = await c.request('echo', { a: 1 }, { onEvent: (e, d) => events.push([e, d]) });
    assert.deepEqual(r, { a: 1 });
    assert.deepEqual(events, [['progress', { step: 1, total: 2 }]]);
    assert.equal(c.state, 'ready');
    assert.deepEqual(c.sent, { hello: 1, echo: 1 });
    await c.shutdown();
    assert.equal(c.state, 'stopped');
  });

  it('rejects with the engine\'s error code and message', async () => {
    const c = client();
    await assert.rejects(c.request('fail', {}), (e: unknown) => e instanceof EngineError && e.code === 'E_NOT_FOUND' && e.message === 'no such file: x.safetensors');
    await c.shutdown();
  });

  it('fails a request when the worker dies, with the last lines of its log, and starts a fresh worker next time', async () => {
    const c = client();
    await c.start();
    const first = c.pid;
    await assert.rejects(c.request('die', {}), (e: unknown) => e instanceof EngineError && e.code === 'E_ENGINE_DIED'
      && /exited with code 3/.test(e.message) && e.log.some((l) => l.includes('out of memory (pretend)')));
    assert.equal(c.state, 'stopped');
    assert.deepEqual(await c.request('echo', { b: 2 }), { b: 2 });
    assert.notEqual(c.pid, first);
    await c.shutdown();
  });

  it('stops a worker that stays silent longer than the idle timeout', async () => {
    const c = client({ idleTimeoutMs: 800 });
    const t0 = performance.now();
    await assert.rejects(c.request('hang', {}), (e: unknown) => e instanceof EngineError && e.code === 'E_ENGINE_HUNG');
    assert.ok(performance.now() - t0 < 5000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(c.state, 'stopped');
  });

  it('kills a request that ignores cancel after the grace period', async () => {
    const c = client({ cancelGraceMs: 500 });
    await c.start();
    const ac = new AbortController();
    const pending = c.request('hang', {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === 'E_ENGINE_DIED');
  });

  it('answers a request cancelled while the worker was starting, instead of waiting for it', async () => {
    const c = client();
    const ac = new AbortController();
    const pending = c.request('hang', {}, { signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === 'E_CANCELLED');
    await c.shutdown();
  });

  it('explains a Python that cannot start, and one without the engine\'s packages, with the command that fixes it', async () => {
    const missing = new EngineSession({ python: '/nonexistent/python3', searchDirs: [], engineDir: dir });
    const e1 = (await missing.get().request('echo', {}).catch((e) => e)) as EngineError;
    assert.equal(e1.code, 'E_ENGINE_START');
    assert.match(missing.explain(e1), /cannot start the engine's Python \(\/nonexistent\/python3\).*lorabias\.pythonPath/);
    // the system python3 has no torch: the real engine fails at import, and the message names the package
    const real = new EngineSession({ python: 'python3', searchDirs: [] });
    const e2 = (await real.get().request('hello', {}).catch((e) => e)) as EngineError;
    assert.equal(e2.code, 'E_ENGINE_DIED');
    assert.match(real.explain(e2), /lacks the package `(torch|numpy|safetensors|diffusers)`; install what the engine needs with: bash .*scripts\/setup-engine\.sh/);
  });
});
