// /metrics: Prometheus text that `promtool check metrics` accepts, with the
// request, token, latency, queue, batch and KV cache series moving as
// requests are served.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { MODEL_ID, getMetrics, metric, postJson, startServer } from './lib/server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => assert.equal((await server.stop()).code, 0));

test('promtool accepts /metrics and the series count what happened', async () => {
  const r = await fetch(`${server.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);

  const chat = { model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 6, ignore_eos: true };
  assert.equal((await postJson(`${server.url}/v1/chat/completions`, chat)).status, 200);
  const s = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...chat, stream: true }),
  });
  await s.text();
  assert.equal((await postJson(`${server.url}/v1/chat/completions`, '{oops')).status, 400);
  await fetch(`${server.url}/no/such/route`);

  const text = await getMetrics(server.url);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.error, undefined, `promtool missing? ${check.error}`);
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  assert.equal((check.stdout + check.stderr).trim(), '', 'promtool lint findings');

  assert.equal(metric(text, 'gemma_http_requests_total{route="/v1/chat/completions",status="200"}'), 2);
  assert.equal(metric(text, 'gemma_http_requests_total{route="/v1/chat/completions",status="400"}'), 1);
  assert.equal(metric(text, 'gemma_http_requests_total{route="other",status="404"}'), 1);
  assert.equal(metric(text, 'gemma_generation_tokens_total'), 12);
  assert.ok(metric(text, 'gemma_prompt_tokens_total') > 10);
  assert.equal(metric(text, 'gemma_time_to_first_token_seconds_count'), 2);
  assert.equal(metric(text, 'gemma_inter_token_latency_seconds_count'), 10);
  assert.equal(metric(text, 'gemma_time_to_first_token_seconds_bucket{le="+Inf"}'), 2);
  assert.equal(metric(text, 'gemma_requests_finished_total{reason="length"}'), 2);
  assert.equal(metric(text, 'gemma_model_ready'), 1);
  assert.equal(metric(text, 'gemma_scheduler_queue_depth'), 0);
  assert.equal(metric(text, 'gemma_scheduler_active_sequences'), 0);
  assert.ok(metric(text, 'gemma_kv_cache_capacity_tokens') > 0);
  assert.ok(metric(text, 'gemma_kv_cache_used_tokens') >= 0);
  assert.ok(metric(text, 'gemma_scheduler_steps_total') >= 6);
  assert.ok(metric(text, 'gemma_http_open_connections') >= 1);
});

test('active batch size and KV use are visible while streams run', async () => {
  const chat = { model: MODEL_ID, messages: [{ role: 'user', content: 'go' }], max_tokens: 450,
    ignore_eos: true, stream: true };
  const controllers = [];
  const readers = [];
  for (let i = 0; i < 3; i++) {
    const ac = new AbortController();
    controllers.push(ac);
    const r = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat, seed: i }), signal: ac.signal,
    });
    const reader = r.body.getReader();
    await reader.read();  // the stream has started
    readers.push(reader);
  }
  const text = await getMetrics(server.url);
  for (const ac of controllers) ac.abort();
  assert.ok(metric(text, 'gemma_scheduler_active_sequences') >= 1, text);
  assert.ok(metric(text, 'gemma_kv_cache_used_tokens') > 0);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});
