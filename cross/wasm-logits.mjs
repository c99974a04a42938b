#!/usr/bin/env node
// `gemma logits` for the wasm32 target: runs the gemma-wasm package (wasm/,
// its single-threaded SIMD128 build in wasm/dist/) in Node.js and prints the
// same JSON as the native CLI, so cross/compare_logits.py can hold wasm32 to
// the same goldens and compare it with the native targets.
//   node cross/wasm-logits.mjs logits -m MODEL --tokens 2,3,4 [--generate N] [--kv f32|f16] [-t T]
// (the CLI's own argument form, so cross/run-logits.sh drives both alike).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = process.env.GEMMA_WASM_PACKAGE || path.join(here, '..', 'wasm');
const { GemmaEngine } = await import(path.join(wasmDir, 'index.js'));

const argv = process.argv.slice(2);
if (argv[0] === 'logits') argv.shift();
const opt = { generate: 0, kv: 'f32' };
for (let i = 0; i < argv.length; i += 2) {
  const [k, v] = [argv[i], argv[i + 1]];
  if (k === '-m' || k === '--model') opt.model = v;
  else if (k === '--tokens') opt.tokens = v.split(',').map(Number);
  else if (k === '--generate') opt.generate = Number(v);
  else if (k === '--kv') opt.kv = v;
  else if (k === '-t' || k === '--threads') { /* the 'st' variant has one thread */ }
  else { console.error(`wasm-logits: unknown argument ${k}`); process.exit(2); }
}
if (!opt.model || !opt.tokens) {
  console.error('usage: wasm-logits.mjs logits -m MODEL --tokens IDS [--generate N] [--kv f32|f16]');
  process.exit(2);
}

const engine = new GemmaEngine({ model: path.resolve(opt.model), variant: 'st', cache: false,
                                   kv_cache: opt.kv });
try {
  await engine.initialize();
  const r = await engine.logits(opt.tokens, { generate: opt.generate, kv_cache: opt.kv });
  const nv = r.n_vocab;
  const rows = (a) => Array.from({ length: a.length / nv }, (_, i) => Array.from(a.subarray(i * nv, (i + 1) * nv)));
  process.stdout.write(JSON.stringify({ n_vocab: nv, tokens: r.tokens, logits: rows(r.logits),
                                        generated: r.generated, generated_logits: rows(r.generated_logits) }) + '\n');
} finally {
  await engine.dispose();
}
