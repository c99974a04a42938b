// Graceful shutdown: SIGTERM during a stream stops accepting connections,
// lets the stream finish, and the process exits 0. SIGINT on an idle server
// exits 0 at once. A model that cannot load makes the server exit 1, and
// /health answers 503 "loading" while it loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { MODEL_ID, postJson, sleep, startServer, tempDir } from './lib/server.mjs';

test('SIGTERM during a stream lets it finish, then exits 0', async () => {
  const server = await startServer({ config: '[server]\ndrain_timeout_seconds = 20\n' });
  const r = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_ID, messages: [{ role: 'user', content: 'A long story, please.' }],
      max_tokens: 450, ignore_eos: true, stream: true, stream_options: { include_usage: true },
    }),
  });
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  server.proc.kill('SIGTERM');
  await sleep(50);
  // No new connections while draining.
  const refused = await fetch(`${server.url}/health`).then(() => false, () => true);
  assert.ok(refused, 'a new connection was accepted after SIGTERM');
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  assert.equal(events.at(-1), '[DONE]');
  const usage = JSON.parse(events.at(-2)).usage;
  assert.equal(usage.completion_tokens, 450);
  const finish = events.map((e) => (e === '[DONE]' ? null : JSON.parse(e)))
    .find((j) => j?.choices?.[0]?.finish_reason)?.choices[0].finish_reason;
  assert.equal(finish, 'length');
  const { code, signal } = await server.exited;
  assert.equal(signal, null);
  assert.equal(code, 0, server.stderr());
  assert.match(server.stderr(), /SIGTERM; draining/);
});

test('SIGINT on an idle server with idle keep-alive connections exits 0 quickly', async () => {
  const server = await startServer();
  assert.equal((await postJson(`${server.url}/tokenize`, { content: 'x' })).status, 200);  // keep-alive socket
  const t0 = Date.now();
  const { code } = await server.stop('SIGINT');
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('/health says loading until the model is ready; a model that fails to load exits 1', async () => {
  // A FIFO as the model path: loading blocks in open() until we open the
  // other end, then fails (not a regular file).
  const fifo = join(tempDir(), 'model.gguf');
  execFileSync('mkfifo', [fifo]);
  const server = await startServer({ model: fifo, waitReady: false });
  const h = await fetch(`${server.url}/health`);
  assert.equal(h.status, 503);
  assert.deepEqual(await h.json(), { status: 'loading' });
  const c = await postJson(`${server.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'x' }] });
  assert.equal(c.status, 503);
  assert.equal(c.json.error.code, 'model_loading');
  assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
  // Open the writing end whenever the server is reading (it may open the
  // file more than once); an empty file fails to load.
  let exitedNow = false;
  server.exited.then(() => { exitedNow = true; });
  while (!exitedNow) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch { /* ENXIO: no reader right now */ }
    await sleep(20);
  }
  const { code } = await server.exited;
  assert.equal(code, 1);
  assert.match(server.stderr(), /cannot load the model/);
});
