// Starts a real gemma-server on 127.0.0.1 (a free port chosen by the server)
// for a test, and stops it. The binary and fixtures come from ctest through
// GEMMA_SERVER_BIN and GEMMA_FIXTURES.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.GEMMA_SERVER_BIN;
export const FIXTURES = process.env.GEMMA_FIXTURES;
if (!BIN || !FIXTURES) throw new Error('set GEMMA_SERVER_BIN and GEMMA_FIXTURES');
export const MODEL = join(FIXTURES, 'models', 'gemma3-tiny-f32.gguf');
export const MODEL_ID = 'gemma3-tiny-f32.gguf';

// Servers a failed test left running are killed when the test process exits.
const running = new Set();
process.on('exit', () => { for (const p of running) p.kill('SIGKILL'); });

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'gemma-server-test-'));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts the server. `config` is TOML text (written to a temp file); `args`
// are extra flags. Resolves once it listens and (unless waitReady is false)
// /health says ready.
export async function startServer({ config = '', args = [], waitReady = true, model = MODEL } = {}) {
  const dir = tempDir();
  const configPath = join(dir, 'server_config.toml');
  writeFileSync(configPath, config);
  const argv = ['--host', '127.0.0.1', '--port', '0', '--config', configPath, ...args];
  if (model) argv.push('--model', model);
  const proc = spawn(BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 30000);
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${stderr}`)); });
  });
  const server = {
    url,
    port: Number(new URL(url).port),
    proc,
    dir,
    exited,
    stderr: () => stderr,
    // Sends a signal and waits for the exit; returns {code, signal}.
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const deadline = setTimeout(() => proc.kill('SIGKILL'), 30000);
      const r = await exited;
      clearTimeout(deadline);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
  if (waitReady) {
    for (let i = 0; ; i++) {
      const r = await fetch(`${url}/health`).catch(() => null);
      if (r && r.status === 200) break;
      if (i > 300) throw new Error(`server never became ready:\n${stderr}`);
      await sleep(50);
    }
  }
  return server;
}

export async function postJson(url, body, headers = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

// Reads an SSE response body into the list of data payloads (strings).
export async function readSse(response) {
  const text = await response.text();
  return text.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
}

// The value of one sample in Prometheus text, or undefined.
export function metric(text, nameWithLabels) {
  for (const line of text.split('\n')) {
    if (line.startsWith(nameWithLabels + ' ')) return Number(line.slice(nameWithLabels.length + 1));
  }
  return undefined;
}

export async function getMetrics(url) {
  return (await fetch(`${url}/metrics`)).text();
}

// Polls until fn() resolves truthy (bounded).
export async function waitFor(fn, { timeoutMs = 10000, stepMs = 25, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}
