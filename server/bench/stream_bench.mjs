#!/usr/bin/env node
// stream_bench.mjs: load generator for OpenAI-compatible servers (gemma-server,
// llama.cpp's llama-server, ...). A benchmark tool, not a test.
//
// N concurrent clients each send R streaming POST /v1/completions requests
// back to back (a fixed 48-token prompt made unique per request, so no
// server can reuse a cached prompt; fixed max_tokens; ignore_eos so every
// request generates exactly max_tokens). It reports, per concurrency level:
//   - aggregate generated tokens/s over the steady window (from the moment
//     every client has its first token to the moment the first client is
//     done), and over the whole run (first request sent -> last one done);
//     token counts come from `usage.completion_tokens` of each request,
//     spread over the arrival times of its chunks;
//   - time to first token (request sent -> first chunk with a choice),
//     p50/p95; inter-chunk latency p50/p95; finish_reason counts.
//
// Usage (Node >= 20, no dependencies):
//   node server/bench/stream_bench.mjs --url http://127.0.0.1:8080 \
//        [--streams 1,4,8] [--requests 4] [--max-tokens 128] [--temperature 0.8]
//        [--top-k 40] [--top-p 0.95] [--extra '{"cache_prompt":false}']
//        [--label gemma-server] [--json out.json]
//   --requests is per client; --extra merges fields into every request body
//   (gemma-server rejects unknown fields, so pass server-specific ones only to
//   the server that knows them). One warm-up request runs first.
// See docs/BENCHMARKS.md, section "Server", for the recorded runs.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    streams: { type: 'string', default: '1,4,8' },
    requests: { type: 'string', default: '4' },
    'max-tokens': { type: 'string', default: '128' },
    temperature: { type: 'string', default: '0.8' },
    'top-k': { type: 'string', default: '40' },
    'top-p': { type: 'string', default: '0.95' },
    extra: { type: 'string', default: '{}' },
    model: { type: 'string' },
    label: { type: 'string', default: '' },
    json: { type: 'string' },
    'no-warmup': { type: 'boolean', default: false },
  },
});

const base = args.url.replace(/\/+$/, '');
const streamsList = args.streams.split(',').map((s) => parseInt(s, 10));
const perClient = parseInt(args.requests, 10);
const maxTokens = parseInt(args['max-tokens'], 10);
const extra = JSON.parse(args.extra);

// 48 tokens with BOS and the unique prefix on the Gemma-2B-shaped test model
// (make_gemma_gguf.py's synthetic vocabulary; fewer with a real Gemma tokenizer).
const PROMPT = 'The printing press made books cheap. Write an essay on what changed:';

const now = () => performance.now() / 1000;  // seconds

async function modelId() {
  if (args.model) return args.model;
  const r = await fetch(`${base}/v1/models`);
  if (!r.ok) throw new Error(`GET /v1/models: ${r.status} ${await r.text()}`);
  return (await r.json()).data[0].id;
}

// One streaming completion. Returns timings and usage.
async function completion(model, client, index, maxTok) {
  const body = {
    model,
    prompt: `Request ${client}.${index}. ${PROMPT}`,
    max_tokens: maxTok,
    stream: true,
    stream_options: { include_usage: true },
    temperature: parseFloat(args.temperature),
    top_k: parseInt(args['top-k'], 10),
    top_p: parseFloat(args['top-p']),
    min_p: 0,  // llama-server's default is 0.05: the same sampler chain on both
    seed: 1000 * client + index,
    ignore_eos: true,
    ...extra,
  };
  const sent = now();
  const res = await fetch(`${base}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST /v1/completions: ${res.status} ${await res.text()}`);
  const chunks = [];  // arrival times of chunks that carry a choice
  let usage = null;
  let finish = null;
  let done = false;
  const decoder = new TextDecoder();
  let buf = '';
  const reader = res.body.getReader();
  for (;;) {
    const { value, done: eof } = await reader.read();
    if (eof) break;
    const t = now();
    buf += decoder.decode(value, { stream: true });
    let sep;
    while ((sep = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') { done = true; continue; }
        const obj = JSON.parse(data);
        if (obj.error) throw new Error(`stream error: ${JSON.stringify(obj.error)}`);
        if (obj.usage) usage = obj.usage;
        const c = obj.choices?.[0];
        if (c) {
          if (c.finish_reason) finish = c.finish_reason;
          if ((c.text ?? '') !== '' || !c.finish_reason) chunks.push(t);
        }
      }
    }
  }
  if (!done) throw new Error('stream ended without [DONE]');
  if (!usage) throw new Error('no usage in the stream');
  return { sent, end: now(), chunks, tokens: usage.completion_tokens, prompt: usage.prompt_tokens, finish };
}

function pct(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function run(model, n) {
  const clients = [];
  for (let c = 0; c < n; ++c) {
    clients.push((async () => {
      const out = [];
      for (let i = 0; i < perClient; ++i) out.push(await completion(model, c, i, maxTokens));
      return out;
    })());
  }
  const per = await Promise.all(clients);
  const all = per.flat();
  // Steady window: every client streaming .. the first client done.
  const w0 = Math.max(...per.map((reqs) => reqs[0].chunks[0] ?? reqs[0].end));
  const w1 = Math.min(...per.map((reqs) => reqs[reqs.length - 1].end));
  let inWindow = 0;
  for (const r of all) {
    const each = r.chunks.length ? r.tokens / r.chunks.length : 0;
    for (const t of r.chunks) if (t >= w0 && t <= w1) inWindow += each;
  }
  const t0 = Math.min(...all.map((r) => r.sent));
  const t1 = Math.max(...all.map((r) => r.end));
  const total = all.reduce((a, r) => a + r.tokens, 0);
  const ttft = all.map((r) => (r.chunks.length ? r.chunks[0] - r.sent : NaN));
  const gaps = [];
  for (const r of all) for (let i = 1; i < r.chunks.length; ++i) gaps.push(r.chunks[i] - r.chunks[i - 1]);
  const finish = {};
  for (const r of all) finish[r.finish] = (finish[r.finish] ?? 0) + 1;
  return {
    streams: n,
    requests: all.length,
    prompt_tokens: [...new Set(all.map((r) => r.prompt))].sort((a, b) => a - b),
    completion_tokens: total,
    exact_max_tokens: all.every((r) => r.tokens === maxTokens),
    steady_seconds: w1 - w0,
    steady_tok_s: w1 > w0 ? inWindow / (w1 - w0) : NaN,
    overall_tok_s: total / (t1 - t0),
    ttft_p50_ms: 1000 * pct(ttft, 50),
    ttft_p95_ms: 1000 * pct(ttft, 95),
    itl_p50_ms: 1000 * pct(gaps, 50),
    itl_p95_ms: 1000 * pct(gaps, 95),
    finish_reasons: finish,
  };
}

const model = await modelId();
if (!args['no-warmup']) await completion(model, 999, 0, 16);
const results = [];
for (const n of streamsList) {
  const r = await run(model, n);
  r.label = args.label;
  r.loadavg = (await import('node:os')).loadavg()[0];
  results.push(r);
  const f = (x, d = 1) => Number(x).toFixed(d);
  console.log(
    `${args.label ? args.label + ' ' : ''}streams=${n} requests=${r.requests} ` +
    `tok/s steady=${f(r.steady_tok_s, 2)} overall=${f(r.overall_tok_s, 2)} ` +
    `ttft p50=${f(r.ttft_p50_ms, 0)}ms p95=${f(r.ttft_p95_ms, 0)}ms ` +
    `itl p50=${f(r.itl_p50_ms, 0)}ms p95=${f(r.itl_p95_ms, 0)}ms ` +
    `prompt=${r.prompt_tokens.join('/')} completion=${r.completion_tokens} ` +
    `exact=${r.exact_max_tokens} finish=${JSON.stringify(r.finish_reasons)} ` +
    `load1=${f(r.loadavg, 2)}`);
}
if (args.json) writeFileSync(args.json, JSON.stringify({ url: base, model, max_tokens: maxTokens, results }, null, 2));
