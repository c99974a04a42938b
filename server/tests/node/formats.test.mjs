// Every model format by path: a .gcore converted from the fixture GGUF serves
// the same greedy text as the GGUF itself; a declared [model] format that
// disagrees with the file stops the server with an error naming both. The
// gemma CLI (for `gemma convert`) is the one built next to gemma-server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

import { BIN, MODEL, postJson, startServer, tempDir } from './lib/server.mjs';

const CLI = join(dirname(BIN), process.platform === 'win32' ? 'gemma.exe' : 'gemma');
const skip = existsSync(CLI) ? false : `no gemma CLI next to ${BIN}`;

async function greedy(model, extraArgs = []) {
  const server = await startServer({ model, args: extraArgs });
  try {
    const r = await postJson(`${server.url}/v1/completions`, {
      prompt: 'The weather today', max_tokens: 12, temperature: 0, ignore_eos: true,
    });
    assert.equal(r.status, 200, r.text);
    return { text: r.json.choices[0].text, id: r.json.model };
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
}

test('a .gcore model serves the same text as the GGUF it came from', { skip }, async () => {
  const out = join(tempDir(), 'model.gcore');
  const conv = spawnSync(CLI, ['convert', MODEL, out, '--to', 'gcore'], { encoding: 'utf8' });
  assert.equal(conv.status, 0, conv.stderr);
  const want = await greedy(MODEL);
  const got = await greedy(out, ['--model-format', 'gcore']);
  assert.equal(got.text, want.text);
  assert.ok(want.text.length > 0);
  // Weights mapped in place give the same text as weights read into memory.
  assert.equal((await greedy(out, ['--mmap'])).text, want.text);
});

test('a declared format that disagrees with the file is a clear startup error', async () => {
  const server = await startServer({ args: ['--model-format', 'onnx'], waitReady: false });
  const { code } = await server.exited;
  assert.equal(code, 1);
  assert.match(server.stderr(), /format is "onnx" but the file is gguf/);
});
