// The official OpenAI Node SDK against gemma-server: models, chat and
// completions, streaming and not, usage, n, seeds, stop, logprobs, errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';

import { MODEL_ID, postJson, startServer } from './lib/server.mjs';

let server;
let client;
const messages = [{ role: 'user', content: 'Write a poem about the sea.' }];

before(async () => {
  server = await startServer({ config: '[inference]\ndefault_max_tokens = 32\n' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
});

describe('models', () => {
  test('models.list returns the served model', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m);
    assert.equal(ids.length, 1);
    assert.equal(ids[0].id, MODEL_ID);
    assert.equal(ids[0].object, 'model');
    assert.equal(ids[0].owned_by, 'gemma-core');
    assert.equal(typeof ids[0].created, 'number');
  });

  test('models.retrieve and a missing model', async () => {
    const m = await client.models.retrieve(MODEL_ID);
    assert.equal(m.id, MODEL_ID);
    await assert.rejects(client.models.retrieve('nope'), (e) => e.status === 404);
  });
});

describe('chat completions', () => {
  test('non-streaming response object', async () => {
    const r = await client.chat.completions.create({
      model: MODEL_ID, messages, max_tokens: 12, temperature: 0.8, seed: 7,
    });
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.model, MODEL_ID);
    assert.equal(typeof r.created, 'number');
    assert.equal(r.choices.length, 1);
    const c = r.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
    assert.ok(['stop', 'length'].includes(c.finish_reason));
    assert.equal(c.logprobs, null);
    assert.ok(r.usage.prompt_tokens > 5);
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
    if (c.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 12);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('streaming gives the same text as non-streaming for a seed, then usage', async () => {
    const params = { model: MODEL_ID, messages, max_tokens: 20, temperature: 1, seed: 11, ignore_eos: true };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({
      ...params, stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let finish = null;
    let usage = null;
    let first = true;
    let id = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      id ??= chunk.id;
      assert.equal(chunk.id, id);
      if (chunk.usage) {
        usage = chunk.usage;
        assert.equal(chunk.choices.length, 0);
        continue;
      }
      assert.equal(chunk.usage, null);  // include_usage: null on every other chunk
      const c = chunk.choices[0];
      if (first) { assert.equal(c.delta.role, 'assistant'); first = false; }
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, 'length');
    assert.deepEqual(usage, whole.usage);
    assert.equal(usage.completion_tokens, 20);
  });

  test('n > 1 runs seeds seed, seed+1, ...', async () => {
    const base = { model: MODEL_ID, messages, max_tokens: 10, temperature: 1, ignore_eos: true };
    const r = await client.chat.completions.create({ ...base, n: 3, seed: 100 });
    assert.equal(r.choices.length, 3);
    assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
    for (let i = 0; i < 3; i++) {
      const single = await client.chat.completions.create({ ...base, seed: 100 + i });
      assert.equal(r.choices[i].message.content, single.choices[0].message.content);
    }
    assert.equal(r.usage.completion_tokens, 30);
    // Streaming with n: chunks carry their choice index.
    const stream = await client.chat.completions.create({ ...base, n: 2, seed: 100, stream: true });
    const texts = ['', ''];
    for await (const chunk of stream) {
      for (const c of chunk.choices) texts[c.index] += c.delta.content ?? '';
    }
    assert.deepEqual(texts, r.choices.slice(0, 2).map((c) => c.message.content));
  });

  test('stop strings end the text before them', async () => {
    const base = { model: MODEL_ID, messages, max_tokens: 40, temperature: 1, seed: 5, ignore_eos: true };
    const full = (await client.chat.completions.create(base)).choices[0].message.content;
    assert.ok(full.length > 12, full);
    const stop = full.slice(8, 11);
    const cut = await client.chat.completions.create({ ...base, stop: [stop] });
    assert.equal(cut.choices[0].message.content, full.slice(0, full.indexOf(stop)));
    assert.equal(cut.choices[0].finish_reason, 'stop');
  });

  test('logprobs and top_logprobs', async () => {
    const r = await client.chat.completions.create({
      model: MODEL_ID, messages, max_tokens: 5, seed: 1, logprobs: true, top_logprobs: 3, ignore_eos: true,
    });
    const content = r.choices[0].logprobs.content;
    assert.equal(content.length, 5);
    for (const t of content) {
      assert.equal(typeof t.token, 'string');
      assert.ok(t.logprob <= 0);
      assert.ok(Array.isArray(t.bytes));
      assert.equal(t.top_logprobs.length, 3);
      assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[2].logprob);
    }
  });

  test('greedy (temperature 0) is deterministic without a seed', async () => {
    const p = { model: MODEL_ID, messages, max_tokens: 16, temperature: 0 };
    const a = await client.chat.completions.create(p);
    const b = await client.chat.completions.create(p);
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  });

  test('sampling extensions and penalties are accepted', async () => {
    const r = await client.chat.completions.create({
      model: MODEL_ID, messages, max_tokens: 8, temperature: 0.7, top_p: 0.9, top_k: 40, min_p: 0.05,
      presence_penalty: 0.5, frequency_penalty: 0.5, seed: 3,
    });
    assert.equal(r.choices.length, 1);
  });

  test('errors are OpenAI error objects', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4', messages }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
    );
    await assert.rejects(
      client.chat.completions.create({ model: MODEL_ID, messages, temperature: 5 }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature' &&
        e.type === 'invalid_request_error',
    );
    await assert.rejects(
      client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'assistant', content: 'x' }] }),
      (e) => e.status === 400,
    );
  });
});

describe('completions', () => {
  test('non-streaming and streaming agree', async () => {
    const p = { model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 16, temperature: 1, seed: 42, ignore_eos: true };
    const r = await client.completions.create(p);
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].index, 0);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 16);
    const stream = await client.completions.create({ ...p, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) text += c.text;
    }
    assert.equal(text, r.choices[0].text);
    assert.deepEqual(usage, r.usage);
  });

  test('several prompts, token-id prompts, logprobs', async () => {
    const r = await client.completions.create({
      model: MODEL_ID, prompt: ['a b c', 'x y z'], n: 2, max_tokens: 4, seed: 9, ignore_eos: true,
    });
    assert.equal(r.choices.length, 4);
    const tok = await postJson(`${server.url}/tokenize`, { content: 'a b c' });
    const byIds = await client.completions.create({
      model: MODEL_ID, prompt: tok.json.tokens, max_tokens: 4, seed: 9, ignore_eos: true,
    });
    assert.equal(byIds.choices[0].text, r.choices[0].text);
    const lp = await client.completions.create({
      model: MODEL_ID, prompt: 'hello', max_tokens: 3, logprobs: 2, seed: 1, ignore_eos: true,
    });
    const l = lp.choices[0].logprobs;
    assert.equal(l.tokens.length, 3);
    assert.equal(l.token_logprobs.length, 3);
    assert.equal(l.top_logprobs.length, 3);
    assert.deepEqual(l.text_offset.slice(0, 1), [0]);
  });

  test('a prompt longer than the context is a 400', async () => {
    await assert.rejects(
      client.completions.create({ model: MODEL_ID, prompt: 'word '.repeat(2000) }),
      (e) => e.status === 400 && e.code === 'context_length_exceeded',
    );
  });
});

describe('other routes', () => {
  test('health, tokenize, detokenize, unknown routes, CORS', async () => {
    const h = await fetch(`${server.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok', model: MODEL_ID });

    const t = await postJson(`${server.url}/tokenize`, { content: 'Hello world', with_pieces: true });
    assert.equal(t.status, 200);
    assert.equal(t.json.tokens[0].id, 2);  // BOS
    const ids = t.json.tokens.map((x) => x.id);
    const d = await postJson(`${server.url}/detokenize`, { tokens: ids.slice(1) });
    assert.equal(d.json.content, 'Hello world');
    assert.equal((await postJson(`${server.url}/detokenize`, { tokens: [999999] })).status, 400);
    assert.equal((await postJson(`${server.url}/tokenize`, { text: 'x' })).status, 400);

    const nf = await fetch(`${server.url}/v2/whatever`);
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).error.code, 'unknown_url');
    const wrong = await fetch(`${server.url}/v1/chat/completions`);
    assert.equal(wrong.status, 405);

    // No CORS origins configured: no CORS headers.
    const pre = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS', headers: { origin: 'https://app.example' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
  });
});
