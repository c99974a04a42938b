// WebSocket /v1/ws: the same request JSON as HTTP, the same chunk objects as
// SSE (then "[DONE]"), cancellation with {"type":"cancel"}, errors as OpenAI
// error objects, one connection serving several requests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';

import { MODEL_ID, getMetrics, metric, postJson, readSse, startServer, waitFor } from './lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => assert.equal((await server.stop()).code, 0));

// A small client: queued incoming messages and a way to await the next one.
function connect(url, options) {
  const ws = new WebSocket(url, options);
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    const msg = data.toString();
    if (waiters.length) waiters.shift()(msg); else inbox.push(msg);
  });
  const next = () => (inbox.length ? Promise.resolve(inbox.shift())
    : new Promise((resolve) => waiters.push(resolve)));
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  // Reads messages until "[DONE]" (or an error object), returning them parsed.
  async function untilDone() {
    const out = [];
    for (;;) {
      const m = await next();
      if (m === '[DONE]') return out;
      const j = JSON.parse(m);
      out.push(j);
      if (j.error) return out;
    }
  }
  return { ws, next, opened, untilDone };
}

const request = {
  model: MODEL_ID,
  messages: [{ role: 'user', content: 'Tell me a story.' }],
  max_tokens: 24, temperature: 1, seed: 21, ignore_eos: true,
};

test('streams the same chunks as SSE', async () => {
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...request, stream: true }),
  });
  const sse = (await readSse(r)).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
  const c = connect(`${server.url.replace('http', 'ws')}/v1/ws`);
  await c.opened;
  c.ws.send(JSON.stringify(request));
  const chunks = await c.untilDone();
  const strip = (list) => list.map((j) => ({ ...j, id: '', created: 0 }));
  assert.deepEqual(strip(chunks), strip(sse));
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
  const text = chunks.map((j) => j.choices[0].delta.content ?? '').join('');
  const whole = await postJson(`${server.url}/v1/chat/completions`, request);
  assert.equal(text, whole.json.choices[0].message.content);

  // Completions over the same connection, with usage.
  c.ws.send(JSON.stringify({ type: 'completions', prompt: 'abc', max_tokens: 5, seed: 1, ignore_eos: true,
    stream_options: { include_usage: true } }));
  const comp = await c.untilDone();
  assert.equal(comp[0].object, 'text_completion');
  assert.equal(comp.at(-1).usage.completion_tokens, 5);
  c.ws.close();
});

test('cancel stops a running generation and the connection stays usable', async () => {
  const before = await getMetrics(server.url);
  const cancelledBefore = metric(before, 'gemma_requests_finished_total{reason="cancelled"}') ?? 0;
  const c = connect(`${server.url.replace('http', 'ws')}/v1/ws`);
  await c.opened;
  c.ws.send(JSON.stringify({ ...request, max_tokens: 450 }));
  const first = JSON.parse(await c.next());
  assert.equal(first.object, 'chat.completion.chunk');
  c.ws.send(JSON.stringify({ type: 'cancel' }));
  const rest = await c.untilDone();
  const last = rest.at(-1);
  assert.equal(last.choices[0].finish_reason, 'cancelled');
  assert.ok(rest.length < 440, `cancel came too late: ${rest.length} chunks`);
  await waitFor(async () => (metric(await getMetrics(server.url),
    'gemma_requests_finished_total{reason="cancelled"}') ?? 0) === cancelledBefore + 1, { what: 'cancel metric' });

  // Another request on the same connection works.
  c.ws.send(JSON.stringify({ ...request, max_tokens: 3 }));
  const again = await c.untilDone();
  assert.equal(again.at(-1).choices[0].finish_reason, 'length');
  c.ws.close();
});

test('closing the socket mid-stream cancels the generation', async () => {
  const before = metric(await getMetrics(server.url), 'gemma_requests_finished_total{reason="cancelled"}') ?? 0;
  const c = connect(`${server.url.replace('http', 'ws')}/v1/ws`);
  await c.opened;
  c.ws.send(JSON.stringify({ ...request, max_tokens: 450 }));
  await c.next();
  c.ws.terminate();
  await waitFor(async () => (metric(await getMetrics(server.url),
    'gemma_requests_finished_total{reason="cancelled"}') ?? 0) === before + 1, { what: 'cancel after close' });
});

test('errors are error objects and do not close the connection', async () => {
  const c = connect(`${server.url.replace('http', 'ws')}/v1/ws`);
  await c.opened;
  c.ws.send('{not json');
  const bad = JSON.parse(await c.next());
  assert.equal(bad.error.code, 'invalid_json');
  c.ws.send(JSON.stringify({ ...request, temperature: -1 }));
  const range = JSON.parse(await c.next());
  assert.equal(range.error.param, 'temperature');
  c.ws.send(JSON.stringify({ ...request, model: 'other' }));
  assert.equal(JSON.parse(await c.next()).error.code, 'model_not_found');
  // Two requests at once: the second is refused, the first completes.
  c.ws.send(JSON.stringify({ ...request, max_tokens: 30 }));
  c.ws.send(JSON.stringify({ ...request, max_tokens: 30 }));
  const msgs = [];
  for (;;) {
    const m = await c.next();
    if (m === '[DONE]') break;
    msgs.push(JSON.parse(m));
  }
  assert.ok(msgs.some((m) => m.error?.code === 'request_in_progress'));
  assert.equal(msgs.filter((m) => m.choices?.[0]?.finish_reason === 'length').length, 1);
  c.ws.close();
});

test('plain GET /v1/ws without an upgrade is 426', async () => {
  const r = await fetch(`${server.url}/v1/ws`);
  assert.equal(r.status, 426);
});
