// The fixture models in WebAssembly give the logits and greedy tokens of the
// native build and of the llama.cpp goldens (fixtures/golden), within the
// golden tolerances (fixtures/README.md), in both variants.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GemmaEngine } from '../index.js';
import { FIXTURES, maxAbsDiff, model, nativeLogits, skipUnlessBuilt } from './helpers.mjs';

const MODELS = ['gemma-tiny-f32', 'gemma-tiny-q8_0', 'gemma-tiny-q4_0', 'gemma2-tiny-f32', 'gemma2-tiny-q8_0', 'gemma3-tiny-f32'];
const PROMPTS = ['pub_short6', 'pub_long32'];
const N_GEN = 16;

function tolerances(name) {
  if (/q[48]_0/.test(name)) return { atol: 0.25, margin: 0.25 };
  if (name.startsWith('gemma3')) return { atol: 5e-3, margin: 0.01 };
  return { atol: 5e-3, margin: 5e-3 };
}

function floats(file) {
  const b = readFileSync(path.join(FIXTURES, 'golden', file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function margin(row) {
  let a = -Infinity;
  let b = -Infinity;
  for (const v of row) {
    if (v > a) [a, b] = [v, a];
    else if (v > b) b = v;
  }
  return a - b;
}

for (const variant of ['st', 'mt']) {
  const skip = skipUnlessBuilt(variant, { native: true });
  describe(`golden logits (${variant})`, { skip }, () => {
    for (const name of MODELS) {
      // gemma3's goldens come from an F16 KV cache (fixtures/README.md).
      const kv = name.startsWith('gemma3') ? 'f16' : 'f32';
      const { atol, margin: robust } = tolerances(name);
      let engine;
      before(async () => {
        engine = new GemmaEngine({ model_path: model(`${name}.gguf`), variant, threads: 2, kv_cache: kv });
        await engine.initialize();
      });
      after(() => engine && engine.dispose());

      for (const prompt of PROMPTS) {
        test(`${name} ${prompt}`, async () => {
          const golden = JSON.parse(readFileSync(path.join(FIXTURES, 'golden', `${name}__${prompt}.json`), 'utf8'));
          const tokens = golden.prompt_tokens;
          const V = golden.n_vocab;
          const w = await engine.logits(tokens, { generate: N_GEN, kv_cache: kv });
          assert.equal(w.n_vocab, V);
          const n = nativeLogits(model(`${name}.gguf`), tokens, N_GEN, kv);

          // Every prompt position: vs the goldens and vs native.
          const gold = floats(`${name}__${prompt}.logits.bin`);
          for (let i = 0; i < tokens.length; i++) {
            const row = w.logits.subarray(i * V, (i + 1) * V);
            const dg = maxAbsDiff(row, gold.subarray(i * V, (i + 1) * V));
            assert.ok(dg <= atol, `position ${i}: |wasm - golden| = ${dg} > ${atol}`);
            const dn = maxAbsDiff(row, n.logits[i]);
            assert.ok(dn <= atol, `position ${i}: |wasm - native| = ${dn} > ${atol}`);
          }

          // Greedy tokens: equal to native's while native's choice is robust
          // (top-2 margin >= the type's margin), and to the goldens' robust prefix.
          let same = 0;
          while (same < N_GEN && w.generated[same] === n.generated[same]) same++;
          let robustNative = 0;
          while (robustNative < N_GEN && margin(n.generated_logits[robustNative]) >= robust) robustNative++;
          assert.ok(same >= Math.min(robustNative + 1, N_GEN),
            `greedy tokens differ from native at step ${same} (native robust for ${robustNative}): ${w.generated} vs ${n.generated}`);
          assert.deepEqual(w.generated.slice(0, golden.greedy_robust_prefix_len), golden.greedy_tokens.slice(0, golden.greedy_robust_prefix_len));
          for (let k = 0; k < same; k++) {
            const d = maxAbsDiff(w.generated_logits.subarray(k * V, (k + 1) * V), n.generated_logits[k]);
            assert.ok(d <= atol, `greedy step ${k}: |wasm - native| = ${d} > ${atol}`);
          }
          // Rows along the goldens' greedy path (as long as ours follows it).
          const goldGen = floats(`${name}__${prompt}.gen_logits.bin`);
          for (let k = 0; k < N_GEN && (k === 0 || w.generated[k - 1] === golden.greedy_tokens[k - 1]); k++) {
            const d = maxAbsDiff(w.generated_logits.subarray(k * V, (k + 1) * V), goldGen.subarray(k * V, (k + 1) * V));
            assert.ok(d <= atol, `greedy step ${k}: |wasm - golden| = ${d} > ${atol}`);
          }
        });
      }
    }
  });
}
