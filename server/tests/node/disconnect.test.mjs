// A client that disconnects mid-request is cancelled and frees its slot: with
// one slot, the next request runs right after.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';

import { MODEL_ID, getMetrics, metric, postJson, startServer, waitFor } from './lib/server.mjs';

let server;
before(async () => { server = await startServer({ config: '[inference]\nmax_batch_size = 1\n' }); });
after(async () => assert.equal((await server.stop()).code, 0));

const long = { model: MODEL_ID, messages: [{ role: 'user', content: 'Go on forever.' }],
  max_tokens: 480, ignore_eos: true, temperature: 1, seed: 3 };
const cancelled = async () => metric(await getMetrics(server.url),
  'gemma_requests_finished_total{reason="cancelled"}') ?? 0;

test('aborting an SSE stream cancels it and frees the slot', async () => {
  const ac = new AbortController();
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...long, stream: true }), signal: ac.signal,
  });
  const reader = r.body.getReader();
  await reader.read();
  ac.abort();
  await waitFor(async () => (await cancelled()) === 1, { what: 'the stream to be cancelled' });
  const m = await getMetrics(server.url);
  assert.ok(metric(m, 'gemma_generation_tokens_total') < 480, 'it ran to the end');
  assert.equal(metric(m, 'gemma_scheduler_active_sequences'), 0);
  // The single slot is free: a new request completes.
  const next = await postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 5 });
  assert.equal(next.status, 200);
  assert.equal(next.json.usage.completion_tokens, 5);
});

test('closing the socket during a non-streaming request cancels it', async () => {
  const before = await cancelled();
  const body = JSON.stringify(long);
  const sock = connect(server.port, '127.0.0.1');
  await new Promise((resolve) => sock.on('connect', resolve));
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await waitFor(async () => metric(await getMetrics(server.url), 'gemma_scheduler_active_sequences') === 1,
    { what: 'the request to start', stepMs: 5 });
  sock.destroy();
  await waitFor(async () => (await cancelled()) === before + 1, { what: 'the request to be cancelled' });
  const next = await postJson(`${server.url}/v1/chat/completions`, { ...long, max_tokens: 5 });
  assert.equal(next.status, 200);
});

test('a queued request whose client leaves is cancelled too', async () => {
  const before = await cancelled();
  const ac = new AbortController();
  const first = fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...long, stream: true }), signal: ac.signal,
  });
  const r = await first;
  const reader = r.body.getReader();
  await reader.read();
  // The slot is busy: this one waits in the queue, then its client leaves.
  const ac2 = new AbortController();
  const queued = fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(long), signal: ac2.signal,
  }).catch(() => 'aborted');
  await waitFor(async () => metric(await getMetrics(server.url), 'gemma_scheduler_queue_depth') === 1,
    { what: 'the request to be queued', stepMs: 5 });
  ac2.abort();
  ac.abort();
  assert.equal(await queued, 'aborted');
  await waitFor(async () => (await cancelled()) === before + 2, { what: 'both cancelled' });
  const m = await getMetrics(server.url);
  assert.equal(metric(m, 'gemma_scheduler_queue_depth'), 0);
  assert.equal(metric(m, 'gemma_scheduler_active_sequences'), 0);
});
