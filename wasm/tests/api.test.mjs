// The JS API behaves as documented (README.md, index.d.ts): the seed usage,
// sources, progress, streaming, chat, sampling equal to the native CLI for the
// same seed, stop strings, tokenize, abort, dispose, and errors for bad
// models and bad options. GemmaWorker offers the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { GemmaEngine, GemmaError, GemmaWorker, MAX_MODEL_BYTES } from '../index.js';
import { model, nativeRun, skipUnlessBuilt } from './helpers.mjs';
import { startServer } from './serve.mjs';

const G3 = model('gemma3-tiny-f32.gguf');
const G1 = model('gemma-tiny-q8_0.gguf');
const skip = skipUnlessBuilt('st', { native: true });

async function rejects(promise, code, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof GemmaError, `not a GemmaError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('GemmaEngine', { skip }, () => {
  let engine;
  before(async () => {
    engine = new GemmaEngine({ model_path: G3, max_tokens: 16, variant: 'st' });
    await engine.initialize();
  });
  after(() => engine && engine.dispose());

  test('the seed usage: generate({prompt, max_tokens}).text equals `gemma run`', async () => {
    const e = new GemmaEngine({ model_path: G1, max_tokens: 20 });
    const info = await e.initialize();
    assert.equal(info.architecture, 'gemma');
    assert.equal(info.simd_target, 'WASM');
    assert.ok(['st', 'mt'].includes(info.variant));
    const response = await e.generate({ prompt: 'The sea is', max_tokens: 12 });
    assert.equal(response.text, nativeRun(G1, 'The sea is', { n: 12 }));
    assert.equal(response.usage.completion_tokens, response.tokens.length);
    await e.dispose();
  });

  test('info', () => {
    const i = engine.info;
    assert.equal(i.variant, 'st');
    assert.equal(i.threads, 1);
    assert.equal(i.n_vocab, 1000);
    assert.equal(i.model_context_length, 512);
    assert.equal(i.context_length, 512);
    assert.equal(i.model_bytes, readFileSync(G3).length);
    assert.equal(i.max_model_bytes, MAX_MODEL_BYTES);
  });

  test('sampling options and seed give the native CLI text', async () => {
    const cases = [
      { temperature: 0.8, seed: 42 },
      { temperature: 1.1, seed: 7, top_k: 40, top_p: 0.9, min_p: 0.02 },
      { temperature: 0.7, seed: 123456789, repetition_penalty: 1.3 },
    ];
    for (const c of cases) {
      const r = await engine.generate({ prompt: 'Once upon a time', max_tokens: 24, ...c });
      const native = nativeRun(G3, 'Once upon a time', {
        n: 24, temp: c.temperature, seed: c.seed, top_k: c.top_k, top_p: c.top_p, min_p: c.min_p, repeat_penalty: c.repetition_penalty,
      });
      assert.equal(r.text, native, JSON.stringify(c));
      const again = await engine.generate({ prompt: 'Once upon a time', max_tokens: 24, ...c });
      assert.equal(again.text, r.text, 'same seed, same text');
    }
  });

  test('generateStream yields deltas that add up to the response', async () => {
    const stream = engine.generateStream({ prompt: 'hello world', max_tokens: 16, temperature: 0.9, seed: 3 });
    const deltas = [];
    for await (const d of stream) deltas.push(d);
    const r = await stream.response;
    assert.ok(deltas.length >= 2, `${deltas.length} deltas`);
    assert.equal(deltas.join(''), r.text);
    assert.ok(['length', 'stop'].includes(r.finish_reason));
    assert.ok(r.timings.decode_seconds > 0 && r.timings.prefill_seconds > 0);
  });

  test('onToken sees every delta; breaking out of a stream aborts it', async () => {
    const seen = [];
    const r = await engine.generate({ prompt: 'abc', max_tokens: 10, onToken: (d) => seen.push(d) });
    assert.equal(seen.join(''), r.text);
    const stream = engine.generateStream({ prompt: 'abc', max_tokens: 200, stop_at_eos: false });
    for await (const d of stream) {
      assert.ok(d.length > 0);
      break;
    }
    const partial = await stream.response;
    assert.equal(partial.finish_reason, 'cancelled');
    assert.ok(partial.tokens.length < 200);
  });

  test('chat messages use the Gemma template and match `gemma run --chat`', async () => {
    const rendered = await engine.applyChatTemplate([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: ' Hi there ' }]);
    assert.equal(rendered, '<start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n<start_of_turn>model\n');
    const r = await engine.generate({ messages: [{ role: 'user', content: 'Tell me a joke' }], max_tokens: 20, temperature: 0.6, seed: 5 });
    assert.equal(r.text, nativeRun(G3, 'Tell me a joke', { n: 20, temp: 0.6, seed: 5, chat: true }));
    const viaChatFlag = await engine.generate({ prompt: 'Tell me a joke', chat: true, max_tokens: 20, temperature: 0.6, seed: 5 });
    assert.equal(viaChatFlag.text, r.text);
    // A second turn reuses the KV cache for the shared prefix.
    const turn2 = await engine.generate({
      messages: [{ role: 'user', content: 'Tell me a joke' }, { role: 'model', content: r.text }, { role: 'user', content: 'Another' }],
      max_tokens: 8,
    });
    assert.ok(turn2.usage.cached_tokens > 5, `cached ${turn2.usage.cached_tokens}`);
    const fresh = await engine.generate({ prompt: 'Other', max_tokens: 4, cache_prompt: false });
    assert.equal(fresh.usage.cached_tokens, 0);
  });

  test('stop strings end the text as natively', async () => {
    const base = await engine.generate({ prompt: 'Once upon a time', max_tokens: 24, temperature: 0.8, seed: 42 });
    const stop = base.text.slice(6, 9);
    assert.ok(stop.length === 3);
    const r = await engine.generate({ prompt: 'Once upon a time', max_tokens: 24, temperature: 0.8, seed: 42, stop });
    assert.equal(r.finish_reason, 'stop');
    assert.equal(r.text, base.text.slice(0, base.text.indexOf(stop)));
    assert.equal(r.text, nativeRun(G3, 'Once upon a time', { n: 24, temp: 0.8, seed: 42, stop: [stop] }));
  });

  test('tokenize / detokenize', async () => {
    const ids = await engine.tokenize('hello world', { add_bos: true });
    assert.equal(ids[0], 2);
    assert.equal(await engine.detokenize(ids.slice(1)), 'hello world');
    assert.deepEqual(await engine.tokenize('<start_of_turn>', { parse_special: true }), [5]);
    assert.ok((await engine.tokenize('<start_of_turn>')).length > 1);
    assert.equal(await engine.detokenize([2, 5], { skip_special: true }), '');
    await rejects(engine.detokenize([1, 5000]), 'invalid_argument', /5000.*outside the vocabulary/);
  });

  test('tokens as input, logits', async () => {
    const r = await engine.generate({ tokens: [2, 410, 411, 12, 13, 900], max_tokens: 4, stop_at_eos: false });
    const l = await engine.logits([2, 410, 411, 12, 13, 900], { generate: 4 });
    assert.deepEqual(r.tokens, l.generated);
    assert.equal(l.logits.length, 6 * 1000);
    await rejects(engine.generate({ tokens: [2, 1000] }), 'invalid_argument', /outside the vocabulary/);
  });

  test('abort() and AbortSignal stop a running generation', async () => {
    const running = engine.generate({ prompt: 'x', max_tokens: 400, stop_at_eos: false, onToken: () => engine.abort() });
    const r = await running;
    assert.equal(r.finish_reason, 'cancelled');
    assert.ok(r.tokens.length < 10);
    const ac = new AbortController();
    const r2 = await engine.generate({ prompt: 'x', max_tokens: 400, stop_at_eos: false, signal: ac.signal, onToken: () => ac.abort() });
    assert.equal(r2.finish_reason, 'cancelled');
    await rejects(engine.generate({ prompt: 'x', signal: ac.signal }), 'cancelled');
    // The engine works normally afterwards.
    assert.equal((await engine.generate({ prompt: 'x', max_tokens: 3, stop_at_eos: false })).tokens.length, 3);
  });

  test('bad generate options are errors', async () => {
    const bad = [
      [{ prompt: 'x', temperature: -1 }, /temperature/],
      [{ prompt: 'x', top_p: 0 }, /top_p/],
      [{ prompt: 'x', top_k: 1.5 }, /top_k/],
      [{ prompt: 'x', min_p: 2 }, /min_p/],
      [{ prompt: 'x', seed: -1 }, /seed/],
      [{ prompt: 'x', max_tokens: 0 }, /max_tokens/],
      [{ prompt: 'x', stop: [''] }, /stop/],
      [{ prompt: 'x', maxTokens: 5 }, /unknown option 'maxTokens'/],
      [{ prompt: 'x', messages: [] }, /exactly one/],
      [{}, /exactly one/],
      [{ messages: [{ role: 'robot', content: 'x' }] }, /role/],
      [{ messages: [{ role: 'user' }] }, /content/],
      [{ prompt: 42 }, /prompt must be a string/],
    ];
    for (const [o, re] of bad) {
      assert.throws(() => engine.generateStream(o), (e) => e instanceof GemmaError && e.code === 'invalid_argument' && re.test(e.message), JSON.stringify(o));
      await rejects(engine.generate(o), 'invalid_argument', re);
    }
    // Roles must alternate (the engine's template rules).
    await rejects(engine.generate({ messages: [{ role: 'model', content: 'x' }] }), 'invalid_argument');
  });

  test('a prompt longer than the context is out_of_range', async () => {
    const e = new GemmaEngine({ model_path: G3, context_length: 16 });
    await e.initialize();
    await rejects(e.generate({ prompt: 'a b c d e f g h i j k l m n o p q r s t u v w x y z' }), 'out_of_range', /context holds 16/);
    await e.dispose();
  });
});

describe('model sources and loading', { skip }, () => {
  let srv;
  before(async () => {
    srv = await startServer({
      isolated: false,
      routes: {
        '/huge.gguf': (req, res, headers) => {
          res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(5e9) });
          res.write(Buffer.from('GGUF'));  // never finishes: the size alone must be refused
        },
        '/junk.gguf': (req, res, headers) => res.writeHead(200, headers).end('this is not a model at all'),
      },
    });
  });
  after(() => srv && srv.close());

  async function textOf(source, extra = {}) {
    const e = new GemmaEngine({ model_path: source, variant: 'st', ...extra });
    await e.initialize();
    const r = await e.generate({ prompt: 'hello', max_tokens: 6 });
    await e.dispose();
    return r.text;
  }

  test('path, file: URL, http URL, ArrayBuffer, typed array, Blob give the same model', async () => {
    const bytes = readFileSync(G3);
    const expected = await textOf(G3);
    assert.equal(await textOf(pathToFileURL(G3)), expected);
    assert.equal(await textOf(`${srv.url}/fixtures/models/gemma3-tiny-f32.gguf`), expected);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    assert.equal(await textOf(ab), expected);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 8);
    assert.equal(await textOf(padded.subarray(8)), expected);
    assert.equal(await textOf(new Blob([bytes])), expected);
  });

  test('progress reports bytes up to the whole file', async () => {
    const seen = [];
    const e = new GemmaEngine({ model_path: `${srv.url}/fixtures/models/gemma3-tiny-f32.gguf`, variant: 'st', onProgress: (p) => seen.push(p) });
    await e.initialize();
    await e.dispose();
    const dl = seen.filter((p) => p.phase === 'download');
    assert.ok(dl.length >= 2);
    for (let i = 1; i < dl.length; i++) assert.ok(dl[i].loaded >= dl[i - 1].loaded);
    assert.equal(dl.at(-1).loaded, readFileSync(G3).length);
    assert.equal(dl.at(-1).fraction, 1);
    assert.deepEqual([...new Set(seen.map((p) => p.phase))], ['wasm', 'download', 'init', 'ready']);
  });

  test('bad models are clear errors', async () => {
    const load = (source, name) => new GemmaEngine({ model_path: source, variant: 'st', model_name: name }).initialize();
    await rejects(load(new TextEncoder().encode('NOPE, not a model file at all')), 'corrupt_data', /not a GGUF file/);
    await rejects(load(new Uint8Array(0)), 'corrupt_data', /empty/);
    const bytes = readFileSync(G3);
    await rejects(load(bytes.subarray(0, bytes.length >> 1), 'half.gguf'), 'corrupt_data', /half\.gguf/);
    await rejects(load('/no/such/model.gguf'), 'not_found', /no\/such\/model\.gguf/);
    await rejects(load(`${srv.url}/missing.gguf`), 'not_found', /404/);
    await rejects(load(`${srv.url}/junk.gguf`), 'corrupt_data', /junk\.gguf.*not a GGUF file/);
  });

  test('a model beyond wasm32 memory is refused with the limit', async () => {
    await rejects(new GemmaEngine({ model_path: `${srv.url}/huge.gguf`, variant: 'st' }).initialize(), 'model_too_large', /4 GiB.*largest model that fits is 3\.\d\d GB/);
    assert.ok(MAX_MODEL_BYTES > 3.5e9 && MAX_MODEL_BYTES < 4 * 2 ** 30);
  });

  test('bad engine options are errors', async () => {
    const bad = [
      [undefined, /model_path is required/],
      [{ model_path: 42 }, /model_path must be/],
      [{ model_path: G3, threads: 0 }, /threads/],
      [{ model_path: G3, variant: 'gpu' }, /variant/],
      [{ model_path: G3, kv_cache: 'q8' }, /kv_cache/],
      [{ model_path: G3, context_length: -5 }, /context_length/],
      [{ model_path: G3, modelPath: 'x' }, /unknown option 'modelPath'/],
      [{ model_path: G3, sampling: { temperature: 'hot' } }, /temperature/],
    ];
    for (const [o, re] of bad) {
      assert.throws(() => new GemmaEngine(o), (e) => e instanceof GemmaError && e.code === 'invalid_argument' && re.test(e.message), String(re));
      assert.throws(() => new GemmaWorker(o), (e) => e instanceof GemmaError && e.code === 'invalid_argument');
    }
    const e = new GemmaEngine({ model_path: G3 });
    await rejects(e.generate({ prompt: 'x' }), 'not_initialized');
    await rejects(new GemmaEngine({ model_path: G3, context_length: 100000, variant: 'st' }).initialize(), 'invalid_argument', /trained context 512/);
  });

  test('dispose() frees the engine; later calls fail', async () => {
    const e = new GemmaEngine({ model_path: G3, variant: 'st' });
    await e.initialize();
    await e.dispose();
    await rejects(e.generate({ prompt: 'x' }), 'disposed');
    await rejects(e.tokenize('x'), 'disposed');
    await e.dispose();  // idempotent
  });
});

describe('GemmaWorker', { skip }, () => {
  test('the same API in a worker thread', async () => {
    const bytes = readFileSync(G1);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const phases = [];
    const w = new GemmaWorker({ model_path: ab, variant: 'st', max_tokens: 12, onProgress: (p) => phases.push(p.phase) });
    const info = await w.initialize();
    assert.equal(ab.byteLength, 0, 'the ArrayBuffer was transferred to the worker');
    assert.equal(info.architecture, 'gemma');
    assert.ok(phases.includes('ready'));
    const r = await w.generate({ prompt: 'The sea is' });
    assert.equal(r.text, nativeRun(G1, 'The sea is', { n: 12 }));
    const stream = w.generateStream({ prompt: 'The sea is', max_tokens: 12 });
    let text = '';
    for await (const d of stream) text += d;
    assert.equal(text, r.text);
    assert.deepEqual(await w.tokenize('hi', { add_bos: true }), [2, ...(await w.tokenize('hi'))]);
    const long = w.generate({ prompt: 'x', max_tokens: 400, stop_at_eos: false, onToken: () => w.abort() });
    assert.equal((await long).finish_reason, 'cancelled');
    await rejects(w.generate({ prompt: 'x', top_p: 5 }), 'invalid_argument', /top_p/);
    await w.dispose();
    await rejects(w.generate({ prompt: 'x' }), 'disposed');
    const bad = new GemmaWorker({ model_path: new TextEncoder().encode('garbage!'), variant: 'st' });
    await rejects(bad.initialize(), 'corrupt_data', /not a GGUF file/);
    await bad.dispose();
  });
});

describe('threads variant', { skip: skipUnlessBuilt('mt', { native: true }) }, () => {
  test('mt gives the same text as st and native', async () => {
    const e = new GemmaEngine({ model_path: G3, variant: 'mt', threads: 2 });
    const info = await e.initialize();
    assert.equal(info.variant, 'mt');
    assert.equal(info.threads, 2);
    const r = await e.generate({ prompt: 'Once upon a time', max_tokens: 24, temperature: 0.8, seed: 42 });
    assert.equal(r.text, nativeRun(G3, 'Once upon a time', { n: 24, temp: 0.8, seed: 42 }));
    await e.dispose();
    const w = new GemmaWorker({ model_path: G3, variant: 'mt', threads: 2 });
    assert.equal((await w.initialize()).threads, 2);
    assert.equal((await w.generate({ prompt: 'Once upon a time', max_tokens: 24, temperature: 0.8, seed: 42 })).text, r.text);
    await w.dispose();
  });
});
