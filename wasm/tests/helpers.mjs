// Shared by the tests: paths, the native reference CLI, skips.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = path.resolve(HERE, '..');
export const ROOT = path.resolve(PACKAGE_DIR, '..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const model = (name) => path.join(FIXTURES, 'models', name);

/** The native `gemma` CLI: $GEMMA_BIN, else the first build that has one. */
export function nativeBin() {
  if (process.env.GEMMA_BIN) return process.env.GEMMA_BIN;
  for (const dir of ['ci', 'release', 'wasmref', 'debug']) {
    const p = path.join(ROOT, 'build', dir, 'bin', 'gemma');
    if (existsSync(p)) return p;
  }
  return null;
}

export function distHas(variant) {
  return existsSync(path.join(PACKAGE_DIR, 'dist', `gemma-${variant}.wasm`));
}

/** `gemma logits` JSON. */
export function nativeLogits(modelPath, tokens, generate = 0, kv = 'f32') {
  const out = execFileSync(nativeBin(), ['logits', '-m', modelPath, '--tokens', tokens.join(','), '--generate', String(generate), '--kv', kv, '-t', '1'], { maxBuffer: 1 << 30 });
  return JSON.parse(out);
}

/** The text `gemma run` prints (without the newline it adds at the end). */
export function nativeRun(modelPath, prompt, { n = 16, temp = 0, seed = 0, chat = false, stop = [], top_k, top_p, min_p, repeat_penalty } = {}) {
  const args = ['run', '-m', modelPath, '-p', prompt, '-n', String(n), '--temp', String(temp), '--seed', String(seed), '-t', '1'];
  if (chat) args.push('--chat');
  if (top_k !== undefined) args.push('--top-k', String(top_k));
  if (top_p !== undefined) args.push('--top-p', String(top_p));
  if (min_p !== undefined) args.push('--min-p', String(min_p));
  if (repeat_penalty !== undefined) args.push('--repeat-penalty', String(repeat_penalty));
  for (const s of stop) args.push('--stop', s);
  const out = execFileSync(nativeBin(), args, { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/**
 * Reason to skip, or false. Under ctest (GEMMA_WASM_REQUIRE_BUILD=1, set when
 * em++ exists) a missing build output throws instead: it must never pass as
 * a skip there.
 */
export function skipUnlessBuilt(variant = 'st', { native = false } = {}) {
  let reason = false;
  if (!distHas(variant)) reason = `dist/gemma-${variant}.wasm is missing: build it with wasm/build.sh (needs em++)`;
  else if (native && !nativeBin()) reason = 'the native gemma CLI is not built (set GEMMA_BIN)';
  if (reason && process.env.GEMMA_WASM_REQUIRE_BUILD === '1') throw new Error(reason);
  return reason;
}

export function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates as a failure
  }
  return m;
}
