// Rate limits: token buckets per API key and per client IP; bursts beyond
// the limit get 429 with Retry-After and x-ratelimit-* headers; other
// clients and /health are unaffected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';

import { MODEL_ID, startServer } from './lib/server.mjs';

const KEY_A = 'sk-rate-test-key-aaaa';
const KEY_B = 'sk-rate-test-key-bbbb';
let keyed;
let open;

before(async () => {
  keyed = await startServer({
    config: `[security]\napi_keys = ["${KEY_A}", "${KEY_B}"]\nrate_limit_enabled = true\n` +
      'max_requests_per_minute = 60\nrate_limit_burst = 5\n',
  });
  open = await startServer({ args: ['--rate-limit', '30'] });  // by client IP, burst 30
});
after(async () => {
  assert.equal((await keyed.stop()).code, 0);
  assert.equal((await open.stop()).code, 0);
});

const get = (server, key) => fetch(`${server.url}/v1/models`,
  { headers: key ? { authorization: `Bearer ${key}` } : {} });

test('a burst beyond the limit is refused with 429 and headers', async () => {
  const results = [];
  for (let i = 0; i < 8; i++) results.push(await get(keyed, KEY_A));
  const statuses = results.map((r) => r.status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  assert.equal(results[0].headers.get('x-ratelimit-limit'), '60');
  assert.equal(results[0].headers.get('x-ratelimit-remaining'), '4');
  assert.equal(results[4].headers.get('x-ratelimit-remaining'), '0');
  const refused = results[5];
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal(refused.headers.get('x-ratelimit-limit'), '60');
  assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(refused.headers.get('x-ratelimit-reset')) >= 1);
  const body = await refused.json();
  assert.equal(body.error.code, 'rate_limit_exceeded');
  assert.equal(typeof body.error.message, 'string');

  // Another key has its own bucket; /health is never limited.
  assert.equal((await get(keyed, KEY_B)).status, 200);
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${keyed.url}/health`)).status, 200);

  // The SDK surfaces it as RateLimitError.
  const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  await assert.rejects(
    client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429,
  );
});

test('the bucket refills over time', async () => {
  // 60 per minute = one per second.
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await get(keyed, KEY_A)).status, 200);
  assert.equal((await get(keyed, KEY_A)).status, 429);
});

test('without auth, clients are limited by IP', async () => {
  const statuses = [];
  for (let i = 0; i < 32; i++) statuses.push((await get(open)).status);
  assert.equal(statuses.filter((s) => s === 200).length, 30);
  assert.deepEqual(statuses.slice(30), [429, 429]);
  // Concurrent bursts are counted exactly too.
  const burst = await Promise.all(Array.from({ length: 10 }, () => get(open)));
  assert.ok(burst.filter((r) => r.status === 200).length <= 1);  // at most one refilled token
});
