// Batching must not change results: 8 concurrent clients with fixed seeds get
// exactly the texts that 8 sequential runs got, streaming or not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';

import { MODEL_ID, getMetrics, metric, startServer } from './lib/server.mjs';

let server;
let client;
before(async () => {
  server = await startServer({ config: '[inference]\nmax_batch_size = 8\n' });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
after(async () => assert.equal((await server.stop()).code, 0));

const topics = ['the sea', 'a cat', 'rain', 'mountains', 'a city at night', 'bread', 'the moon', 'trains'];
const params = (i) => ({
  model: MODEL_ID,
  messages: [{ role: 'user', content: `Write about ${topics[i]}.`.repeat(1 + (i % 3)) }],
  max_tokens: 40 + 10 * i, temperature: 0.9, top_p: 0.95, seed: 1000 + i, ignore_eos: true,
});

async function streamText(p) {
  const stream = await client.chat.completions.create({ ...p, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

test('8 concurrent clients get the texts of 8 sequential runs', async () => {
  const sequential = [];
  for (let i = 0; i < 8; i++) {
    sequential.push((await client.chat.completions.create(params(i))).choices[0].message.content);
  }
  assert.equal(new Set(sequential).size, 8, 'different seeds should give different texts');
  const stepsBefore = metric(await getMetrics(server.url), 'gemma_scheduler_steps_total');

  const concurrent = await Promise.all(topics.map((_, i) => streamText(params(i))));
  assert.deepEqual(concurrent, sequential);

  const stepsAfter = metric(await getMetrics(server.url), 'gemma_scheduler_steps_total');
  const tokens = Array.from({ length: 8 }, (_, i) => 40 + 10 * i).reduce((a, b) => a + b, 0);
  // Batched: far fewer forward passes than tokens generated.
  assert.ok(stepsAfter - stepsBefore < tokens * 0.6,
    `steps ${stepsAfter - stepsBefore} for ${tokens} tokens: no batching?`);

  const nonStreaming = await Promise.all(topics.map((_, i) => client.chat.completions.create(params(i))));
  assert.deepEqual(nonStreaming.map((r) => r.choices[0].message.content), sequential);
});

test('completions with n=4 in one request match four separate seeds', async () => {
  const base = { model: MODEL_ID, prompt: 'In the beginning', max_tokens: 30, temperature: 1, ignore_eos: true };
  const [batched, ...singles] = await Promise.all([
    client.completions.create({ ...base, n: 4, seed: 77 }),
    ...[0, 1, 2, 3].map((j) => client.completions.create({ ...base, seed: 77 + j })),
  ]);
  assert.deepEqual(batched.choices.map((c) => c.text), singles.map((r) => r.choices[0].text));
});
