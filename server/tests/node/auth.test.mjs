// Authentication: API keys and JWTs (HS256 and RS256, made here with
// node:crypto) on every protected route; missing, wrong, expired,
// not-yet-valid, wrong-issuer, wrong-audience and unsigned tokens are 401.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import WebSocket from 'ws';

import { makeJwt, now } from './lib/jwt.mjs';
import { MODEL_ID, postJson, startServer, tempDir } from './lib/server.mjs';

const SECRET = 'a-very-long-shared-secret-for-hs256-tokens';
const API_KEY = 'sk-gemma-test-key-0001';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const claims = (over = {}) => ({ iss: 'https://auth.test', aud: 'gemma-server', sub: 'user-1',
  iat: now(), exp: now() + 300, ...over });

let server;
before(async () => {
  const dir = tempDir();
  const pem = join(dir, 'jwt.pem');
  writeFileSync(pem, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'keys.txt'), `# test keys\n${API_KEY}\n`);
  server = await startServer({
    config: `[security]
api_keys_file = "${join(dir, 'keys.txt')}"
auth_metrics = true
[security.jwt]
hs256_secret = "${SECRET}"
rs256_public_key_file = "${pem}"
issuer = "https://auth.test"
audience = "gemma-server"
`,
  });
});
after(async () => assert.equal((await server.stop()).code, 0));

async function status(token, path = '/v1/models') {
  const headers = token === undefined ? {} : { authorization: token };
  const r = await fetch(`${server.url}${path}`, { headers });
  const body = await r.json().catch(() => null);
  return { status: r.status, body, headers: r.headers };
}

describe('API keys', () => {
  test('missing, wrong and right keys', async () => {
    const missing = await status(undefined);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'invalid_api_key');
    assert.equal(missing.body.error.type, 'invalid_request_error');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await status('Bearer sk-wrong-key-000000')).status, 401);
    assert.equal((await status(`Basic ${API_KEY}`)).status, 401);
    assert.equal((await status(`Bearer ${API_KEY}`)).status, 200);
  });

  test('the OpenAI SDK with a key, and with a wrong key', async () => {
    const ok = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const r = await ok.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    assert.equal(r.object, 'chat.completion');
    const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-nope-nope-nope', maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
  });

  test('every protected route checks; /health stays open; /metrics is protected here', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions', '/tokenize', '/detokenize']) {
      const r = await postJson(`${server.url}${path}`, {});
      assert.equal(r.status, 401, path);
    }
    assert.equal((await status(undefined, '/health')).status, 200);
    assert.equal((await status(undefined, '/metrics')).status, 401);
    const m = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(m.status, 200);
  });
});

describe('JWT', () => {
  test('HS256: valid, expired, not yet valid, wrong issuer, wrong audience, wrong secret', async () => {
    const hs = (c, secret = SECRET) => `Bearer ${makeJwt({ alg: 'HS256', secret, claims: c })}`;
    assert.equal((await status(hs(claims()))).status, 200);
    const expired = await status(hs(claims({ exp: now() - 10 })));
    assert.equal(expired.status, 401);
    assert.match(expired.body.error.message, /expired/);
    assert.equal((await status(hs(claims({ nbf: now() + 120 })))).status, 401);
    assert.equal((await status(hs(claims({ iss: 'https://evil.test' })))).status, 401);
    const aud = await status(hs(claims({ aud: 'another-service' })));
    assert.equal(aud.status, 401);
    assert.match(aud.body.error.message, /audience/);
    assert.equal((await status(hs(claims({ aud: ['x', 'gemma-server'] })))).status, 200);
    assert.equal((await status(hs(claims(), 'the-wrong-secret-the-wrong-secret!!'))).status, 401);
    const noExp = claims();
    delete noExp.exp;
    assert.equal((await status(hs(noExp))).status, 401);
  });

  test('RS256: valid, other key, expired, wrong audience', async () => {
    const rs = (c, key = rsa.privateKey) => `Bearer ${makeJwt({ alg: 'RS256', privateKey: key, claims: c })}`;
    assert.equal((await status(rs(claims()))).status, 200);
    assert.equal((await status(rs(claims(), otherRsa.privateKey))).status, 401);
    assert.equal((await status(rs(claims({ exp: now() - 1 })))).status, 401);
    assert.equal((await status(rs(claims({ aud: 'nope' })))).status, 401);
  });

  test('unsigned and algorithm-confused tokens are refused', async () => {
    const none = makeJwt({ alg: 'none', claims: claims() });
    assert.equal((await status(`Bearer ${none}`)).status, 401);
    const pub = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const confused = makeJwt({ alg: 'HS256', secret: pub, claims: claims() });
    assert.equal((await status(`Bearer ${confused}`)).status, 401);
  });

  test('the WebSocket handshake is authenticated too', async () => {
    const url = `${server.url.replace('http', 'ws')}/v1/ws`;
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    assert.equal(refused, 401);
    const token = makeJwt({ alg: 'HS256', secret: SECRET, claims: claims() });
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    ws.close();
  });
});
