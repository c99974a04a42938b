// Bad and hostile clients: malformed JSON, unknown fields, invalid UTF-8,
// oversized bodies and headers, a slow (slowloris) client, a client that
// stops reading its stream, 1,000 idle connections, max_connections. Each
// gets the right error (or is dropped) and everyone else keeps being served.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { MODEL_ID, getMetrics, metric, postJson, sleep, startServer, waitFor } from './lib/server.mjs';

let server;
before(async () => {
  server = await startServer({
    config: '[server]\ntimeout_seconds = 3\nmax_body_bytes = 65536\nmax_connections = 1500\n' +
      'cors_origins = ["https://app.example"]\n',
  });
});
after(async () => assert.equal((await server.stop()).code, 0));

const chat = { model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

async function stillServing() {
  const t0 = Date.now();
  const r = await postJson(`${server.url}/v1/chat/completions`, chat);
  assert.equal(r.status, 200);
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  return Date.now() - t0;
}

// Sends raw bytes on a new connection; resolves with everything received
// until the server closes (or `waitMs`).
function raw(bytes, { waitMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = connect(server.port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); resolve(got.toString('latin1')); }, waitMs);
    sock.on('data', (d) => { got = Buffer.concat([got, d]); });
    sock.on('close', () => { clearTimeout(timer); resolve(got.toString('latin1')); });
    sock.on('error', () => {});
    sock.write(bytes);
  });
}

describe('bad requests', () => {
  test('malformed JSON, unknown field, wrong types', async () => {
    const bad = await postJson(`${server.url}/v1/chat/completions`, '{"messages": [');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_json');
    assert.equal(bad.json.error.type, 'invalid_request_error');
    const unknown = await postJson(`${server.url}/v1/chat/completions`, { ...chat, temprature: 1 });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.param, 'temprature');
    const types = await postJson(`${server.url}/v1/completions`, { prompt: 5 });
    assert.equal(types.status, 400);
    assert.equal(types.json.error.param, 'prompt');
    await stillServing();
  });

  test('invalid UTF-8 in the body is a 400', async () => {
    const body = Buffer.concat([Buffer.from('{"prompt":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const r = await new Promise((resolve, reject) => {
      const req = request(`${server.url}/v1/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length },
      }, (res) => {
        let data = '';
        res.on('data', (d) => { data += d; });
        res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(data) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'invalid_json');
    assert.match(r.json.error.message, /UTF-8/);
    await stillServing();
  });

  test('oversized bodies are 413, with or without Expect: 100-continue', async () => {
    const big = JSON.stringify({ prompt: 'x'.repeat(200000) });
    const r = await postJson(`${server.url}/v1/completions`, big);
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'request_too_large');
    const expect = await raw(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n` +
      'Expect: 100-continue\r\n\r\n');
    assert.match(expect, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(expect, /100 Continue/);
    // Chunked bodies are counted as they arrive.
    const chunk = 'a'.repeat(40000);
    const chunked = await raw(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    await stillServing();
  });

  test('100-continue within the limit works', async () => {
    const body = JSON.stringify(chat);
    const resp = await raw(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body}`);
    assert.match(resp, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  test('huge headers are 431; garbage is 400; keep-alive and pipelining work', async () => {
    const huge = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
    const garbage = await raw('THIS IS NOT HTTP\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    const two = await raw('GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n' +
      'Connection: close\r\n\r\n');
    assert.equal(two.match(/HTTP\/1\.1 200 OK/g).length, 2);
    await stillServing();
  });

  test('CORS: allowed origins get headers and preflights', async () => {
    const pre = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
    const get = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://app.example' } });
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example');
    const other = await fetch(`${server.url}/v1/models`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('slow and idle clients', () => {
  test('a slowloris client is cut off by the timeout and others are served meanwhile', async () => {
    const sock = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => sock.on('connect', resolve));
    let closed = false;
    sock.on('close', () => { closed = true; });
    sock.on('error', () => {});
    const t0 = Date.now();
    const header = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n';
    let i = 0;
    const drip = setInterval(() => { if (!closed && i < header.length) sock.write(header[i++]); }, 200);
    for (let k = 0; k < 3; k++) {
      assert.ok((await stillServing()) < 2000);
      await sleep(300);
    }
    await waitFor(() => closed, { timeoutMs: 10000, what: 'the slow client to be dropped' });
    clearInterval(drip);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 2500 && elapsed < 8000, `dropped after ${elapsed} ms`);
  });

  test('a client that stops reading its stream does not stall others', async () => {
    const body = JSON.stringify({ ...chat, max_tokens: 450, ignore_eos: true, stream: true });
    const sock = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => sock.on('connect', resolve));
    sock.on('error', () => {});
    sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`);
    sock.pause();  // never read
    for (let k = 0; k < 3; k++) assert.ok((await stillServing()) < 2000);
    sock.destroy();
  });

  test('1,000 idle connections: everyone else is still served', async () => {
    // Its own server, with a timeout long enough that the idle connections
    // stay open for the whole test.
    const big = await startServer({ config: '[server]\ntimeout_seconds = 60\nmax_connections = 1500\n' });
    const socks = [];
    await Promise.all(Array.from({ length: 1000 }, () => new Promise((resolve, reject) => {
      const s = connect(big.port, '127.0.0.1');
      s.on('connect', resolve);
      s.on('error', reject);
      socks.push(s);
    })));
    await waitFor(async () => metric(await getMetrics(big.url), 'gemma_http_open_connections') >= 1000,
      { what: '1000 open connections' });
    for (let k = 0; k < 3; k++) {
      const t0 = Date.now();
      const r = await postJson(`${big.url}/v1/chat/completions`, chat);
      assert.equal(r.status, 200);
      assert.ok(Date.now() - t0 < 2000);
    }
    const stream = await fetch(`${big.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat, stream: true }),
    });
    assert.match(await stream.text(), /data: \[DONE\]/);
    assert.ok(metric(await getMetrics(big.url), 'gemma_http_open_connections') >= 1000);
    for (const s of socks) s.destroy();
    await waitFor(async () => metric(await getMetrics(big.url), 'gemma_http_open_connections') < 10,
      { what: 'connections to close' });
    // SIGTERM with many idle connections still exits 0 promptly.
    assert.equal((await big.stop()).code, 0);
  });

  test('idle connections are closed after the timeout', async () => {
    const sock = connect(server.port, '127.0.0.1');
    const t0 = Date.now();
    await new Promise((resolve) => sock.on('close', resolve));
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 2500 && elapsed < 8000, `closed after ${elapsed} ms`);
  });
});

test('beyond max_connections a client gets 503 and the server recovers', async () => {
  const small = await startServer({ config: '[server]\nmax_connections = 4\n' });
  const socks = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(small.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((resolve) => s.on('connect', resolve));
    socks.push(s);
  }
  await sleep(100);
  // At least one more than the limit is open now (the readiness check may
  // hold a pooled connection too): a new connection is turned away.
  const reply = await new Promise((resolve) => {
    const s = connect(small.port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => resolve(got));
    s.on('error', () => {});
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(reply, /^HTTP\/1\.1 503 /);
  assert.match(reply, /too_many_connections/);
  for (const s of socks) s.destroy();
  await sleep(200);
  assert.equal((await fetch(`${small.url}/health`)).status, 200);
  assert.equal((await small.stop()).code, 0);
});

test('a full queue is 503 overloaded, and the server recovers', async () => {
  const busy = await startServer({ config: '[inference]\nmax_batch_size = 1\nmax_queue = 0\n' });
  const ac = new AbortController();
  const long = await fetch(`${busy.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
    body: JSON.stringify({ ...chat, max_tokens: 480, ignore_eos: true, stream: true }),
  });
  const reader = long.body.getReader();
  await reader.read();
  const r = await postJson(`${busy.url}/v1/chat/completions`, chat);
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'overloaded');
  assert.equal(r.json.error.type, 'server_error');
  assert.equal(r.headers.get('retry-after'), '1');
  ac.abort();
  await waitFor(async () => metric(await getMetrics(busy.url), 'gemma_scheduler_active_sequences') === 0,
    { what: 'the slot to be freed' });
  assert.equal((await postJson(`${busy.url}/v1/chat/completions`, chat)).status, 200);
  assert.equal((await busy.stop()).code, 0);
});
