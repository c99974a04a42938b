// GemmaEngine: the engine on the calling thread (Node.js, a page, or a
// worker). Generation yields to the event loop after every text delta, so
// streams are delivered as they come and abort() takes effect at once.
import { GemmaError, invalid } from './errors.js';
import { yieldToEventLoop } from './env.js';
import { chooseVariant, hardwareThreads, loadModule } from './module.js';
import { chatMessages, engineOptions, generateOptions } from './options.js';
import { clearCache, isCached, loadIntoWasm, MAX_MODEL_BYTES } from './source.js';
import { makeStream } from './stream.js';

const decoder = new TextDecoder();

export class GemmaEngine {
  #o;
  #M = null;
  #model = 0;
  #session = 0;
  #info = null;
  #init = null;
  #lock = Promise.resolve();
  #generating = false;
  #abortRequested = false;
  #loadAbort = null;
  #disposed = false;

  /** @param {import('../index.js').EngineOptions} options */
  constructor(options) {
    this.#o = engineOptions(options === undefined ? {} : options);
  }

  /** Largest model file (bytes) admitted into wasm32 memory. */
  static get MAX_MODEL_BYTES() {
    return MAX_MODEL_BYTES;
  }
  static isCached(url, cacheName) {
    return isCached(url, cacheName);
  }
  static clearCache(cacheName) {
    return clearCache(cacheName);
  }

  get info() {
    return this.#info;
  }

  initialize() {
    if (this.#disposed) return Promise.reject(new GemmaError('disposed', 'this engine was disposed'));
    if (!this.#init) {
      this.#init = this.#initialize();
      this.#init.catch(() => {});
    }
    return this.#init;
  }

  async #initialize() {
    const o = this.#o;
    const progress = (p) => {
      if (!o.onProgress) return;
      const fraction = p.total ? p.loaded / p.total : null;
      try {
        o.onProgress({ ...p, fraction });
      } catch {
        // a throwing progress callback must not break loading
      }
    };
    const variant = chooseVariant(o.variant);
    const hw = await hardwareThreads();
    const threads = variant === 'st' ? 1 : o.threads === 'auto' ? Math.max(1, Math.min(hw, 8)) : o.threads;
    progress({ phase: 'wasm', loaded: 0, total: null });
    const M = await loadModule(variant, threads, o.wasm_base);
    this.#M = M;
    this.#loadAbort = typeof AbortController === 'function' ? new AbortController() : null;
    const bytes = await loadIntoWasm(M, o.source, { ...o, signal: this.#loadAbort && this.#loadAbort.signal }, progress);
    this.#loadAbort = null;
    if (this.#disposed) {
      M._gw_free(bytes.ptr);
      throw new GemmaError('disposed', 'this engine was disposed while loading');
    }
    progress({ phase: 'init', loaded: bytes.size, total: bytes.size });
    const name = this.#cstr(bytes.name);
    try {
      this.#model = this.#call(() => M._gw_model_load(bytes.ptr, bytes.size, name));  // owns bytes now
    } finally {
      M._free(name);
    }
    if (!this.#model) throw this.#lastError();
    const model = JSON.parse(this.#string(M._gw_model_info(this.#model)));
    this.#session = this.#call(() =>
      M._gw_session_create(this.#model, threads, o.context_length, o.kv_cache === 'f16' ? 1 : 0, o.max_batch_tokens),
    );
    if (!this.#session) {
      const e = this.#lastError();
      M._gw_model_free(this.#model);
      this.#model = 0;
      if (e.code === 'resource_exhausted') {
        e.message += ' (the KV cache and activations do not fit next to the model: lower context_length or use kv_cache: "f16")';
      }
      throw e;
    }
    const session = JSON.parse(this.#string(M._gw_session_info(this.#session)));
    this.#info = { ...model, ...session, variant, model_bytes: bytes.size, max_model_bytes: MAX_MODEL_BYTES };
    progress({ phase: 'ready', loaded: bytes.size, total: bytes.size });
    return this.#info;
  }

  /** @returns {Promise<import('../index.js').GenerateResponse>} */
  async generate(options) {
    const o = generateOptions(options, this.#o);
    return this.#run(o, o.onToken || null);
  }

  /** An async iterator of text deltas; `.response` resolves to the full response. */
  generateStream(options) {
    const o = generateOptions(options, this.#o);
    return makeStream((push) => this.#run(o, (d) => {
      push(d);
      if (o.onToken) o.onToken(d);
    }), () => this.abort());
  }

  /** Stops the running generate (it resolves with finish_reason 'cancelled') or a model still loading. */
  abort() {
    if (this.#loadAbort) this.#loadAbort.abort();
    if (this.#generating) {
      this.#abortRequested = true;
      this.#M._gw_session_cancel(this.#session);
    }
  }

  /** Forgets the conversation held in the KV cache. */
  async reset() {
    await this.#ready();
    await this.#exclusive(async () => this.#M._gw_session_reset(this.#session));
  }

  async tokenize(text, options = {}) {
    if (typeof text !== 'string') throw invalid('tokenize: text must be a string');
    const { add_bos = false, parse_special = false } = options;
    await this.#ready();
    return this.#tokenize(text, add_bos, parse_special);
  }

  async detokenize(ids, options = {}) {
    if (!Array.isArray(ids) && !(ids instanceof Int32Array)) throw invalid('detokenize: ids must be an array of token ids');
    if (Array.from(ids).some((t) => !Number.isInteger(t))) throw invalid('detokenize: ids must be integers');
    await this.#ready();
    const M = this.#M;
    const buf = this.#ints(ids);
    try {
      const p = M._gw_detokenize(this.#model, buf, ids.length, options.skip_special ? 1 : 0) >>> 0;
      if (!p) throw this.#lastError();
      return this.#bytesToString(p, M._gw_last_count());
    } finally {
      M._free(buf);
    }
  }

  /** The chat template applied to messages (no BOS), as generate({messages}) uses it. */
  async applyChatTemplate(messages, options = {}) {
    const msgs = chatMessages(messages);
    await this.#ready();
    return this.#renderChat(msgs, options.add_generation_prompt !== false);
  }

  /**
   * Logits as `gemma logits` gives them: the tokens as one batch (a row per
   * position), then `generate` greedy tokens one at a time.
   */
  async logits(tokens, options = {}) {
    const { generate = 0, kv_cache = 'f32' } = options;
    if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((t) => !Number.isInteger(t))) {
      throw invalid('logits: tokens must be a non-empty array of token ids');
    }
    if (!Number.isInteger(generate) || generate < 0) throw invalid('logits: generate must be an integer >= 0');
    await this.#ready();
    return this.#exclusive(async () => {
      const M = this.#M;
      const buf = this.#ints(tokens);
      try {
        const threads = this.#info.threads;
        const p = this.#call(() => M._gw_logits(this.#model, buf, tokens.length, generate, threads, kv_cache === 'f16' ? 1 : 0)) >>> 0;
        if (!p) throw this.#lastError();
        const nv = this.#info.n_vocab;
        const all = new Float32Array(M.HEAPF32.buffer, p, (tokens.length + generate) * nv).slice();
        const g = M._gw_logits_generated(this.#model) >>> 0;
        const generated = Array.from(new Int32Array(M.HEAP32.buffer, g, M._gw_last_count()));
        return {
          n_vocab: nv,
          tokens: tokens.slice(),
          logits: all.subarray(0, tokens.length * nv),
          generated,
          generated_logits: all.subarray(tokens.length * nv),
        };
      } finally {
        M._free(buf);
      }
    });
  }

  /** Prefill and decode tokens/s, measured as `gemma bench` does. */
  async benchmark(options = {}) {
    const { n_prompt = 128, n_gen = 64, repetitions = 3 } = options;
    for (const [k, v] of Object.entries({ n_prompt, n_gen, repetitions })) {
      if (!Number.isInteger(v) || v < 0 || v > 8192) throw invalid(`benchmark: ${k} must be an integer in [0, 8192]`);
    }
    await this.#ready();
    return this.#exclusive(async () => {
      const p = this.#call(() => this.#M._gw_bench(this.#model, this.#info.threads, n_prompt, n_gen, repetitions)) >>> 0;
      if (!p) throw this.#lastError();
      const r = JSON.parse(this.#string(p));
      const mean = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
      return { ...r, variant: this.#info.variant, n_prompt, n_gen, prefill_tokens_per_second: mean(r.pp_tps), decode_tokens_per_second: mean(r.tg_tps) };
    });
  }

  /** Frees the model and the session; the engine cannot be used afterwards. */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.abort();
    try {
      await this.#init;
    } catch {
      // loading failed or was aborted: nothing more to free
    }
    await this.#lock.catch(() => {});
    const M = this.#M;
    if (M) {
      if (this.#session) M._gw_session_free(this.#session);
      if (this.#model) M._gw_model_free(this.#model);
      if (typeof M.gwTerminateThreads === 'function') M.gwTerminateThreads();
    }
    this.#session = this.#model = 0;
    this.#M = null;
  }

  // ---- internals ------------------------------------------------------

  async #ready() {
    if (this.#disposed) throw new GemmaError('disposed', 'this engine was disposed');
    if (!this.#init) throw new GemmaError('not_initialized', 'call initialize() first');
    await this.#init;
    if (this.#disposed) throw new GemmaError('disposed', 'this engine was disposed');
  }

  // Runs fn after every earlier exclusive call has finished.
  #exclusive(fn) {
    const run = this.#lock.then(() => {
      if (this.#disposed) throw new GemmaError('disposed', 'this engine was disposed');
      return fn();
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  async #run(o, onDelta) {
    await this.#ready();
    if (o.signal && o.signal.aborted) throw new GemmaError('cancelled', 'the signal was already aborted');
    return this.#exclusive(() => this.#generate(o, onDelta));
  }

  async #generate(o, onDelta) {
    const M = this.#M;
    let ids;
    if (o.tokens) {
      const nv = this.#info.n_vocab;
      const bad = o.tokens.findIndex((t) => t >= nv);
      if (bad >= 0) throw invalid(`tokens[${bad}] = ${o.tokens[bad]} is outside the vocabulary [0, ${nv})`);
      ids = o.tokens;
    } else if (o.messages) {
      ids = this.#tokenize(this.#renderChat(o.messages, true), o.add_bos, true);
    } else {
      ids = this.#tokenize(o.prompt, o.add_bos, false);
    }
    if (ids.length === 0) throw invalid('the prompt is empty (no tokens)');
    const ctx = this.#info.context_length;
    if (ids.length >= ctx) {
      throw new GemmaError('out_of_range', `the prompt has ${ids.length} tokens; the context holds ${ctx} (context_length)`);
    }
    const s = o.sampling;
    const stops = s.stop || [];
    const idsBuf = this.#ints(ids);
    const stopPtrs = stops.map((t) => this.#cstr(t));
    const stopArr = M._malloc(4 * Math.max(1, stops.length)) >>> 0;
    stopPtrs.forEach((p, i) => (M.HEAPU32[(stopArr >>> 2) + i] = p));
    const seed = s.seed === undefined ? 0n : s.seed;
    let text = '';
    let callbackError = null;
    const onSignal = () => this.abort();
    if (o.signal) o.signal.addEventListener('abort', onSignal);
    this.#abortRequested = false;
    this.#generating = true;
    M.gwOnText = (ptr, len) => {
      const delta = decoder.decode(M.HEAPU8.slice(ptr, ptr + len));
      text += delta;
      if (onDelta && !callbackError) {
        try {
          onDelta(delta);
        } catch (e) {
          callbackError = e;
        }
      }
      return this.#abortRequested || callbackError ? 0 : 2;
    };
    M.gwYield = (wake) => yieldToEventLoop(wake);
    let rc;
    try {
      rc = await M.ccall(
        'gw_generate', 'number',
        ['number', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number',
          'number', 'number', 'number', 'number', 'number', 'number', 'number'],
        [this.#session, idsBuf, ids.length, o.cache_prompt ? 1 : 0, s.temperature ?? 0, s.top_k ?? 0, s.top_p ?? 1,
          s.min_p ?? 0, s.repetition_penalty ?? 1, s.presence_penalty ?? 0, s.frequency_penalty ?? 0,
          s.penalty_last_n ?? 64, Number(seed & 0xffffffffn), Number(seed >> 32n), o.max_tokens, stopArr, stops.length,
          s.stop_at_eos === false ? 0 : 1],
        { async: true });
    } catch (e) {
      throw this.#crash(e);
    } finally {
      this.#generating = false;
      if (o.signal) o.signal.removeEventListener('abort', onSignal);
      M._free(idsBuf);
      stopPtrs.forEach((p) => M._free(p));
      M._free(stopArr);
    }
    if (rc !== 0) throw this.#lastError();
    if (callbackError) throw callbackError;
    const r = JSON.parse(this.#string(M._gw_result(this.#session)));
    const decoded = Math.max(0, r.tokens.length - 1);
    return {
      text,
      tokens: r.tokens,
      finish_reason: this.#abortRequested ? 'cancelled' : r.finish_reason,
      usage: { prompt_tokens: ids.length, completion_tokens: r.tokens.length, cached_tokens: r.cached_tokens },
      timings: {
        prefill_seconds: r.prefill_seconds,
        decode_seconds: r.decode_seconds,
        prefill_tokens_per_second: r.prefill_seconds > 0 ? r.prompt_tokens / r.prefill_seconds : null,
        decode_tokens_per_second: r.decode_seconds > 0 && decoded > 0 ? decoded / r.decode_seconds : null,
      },
    };
  }

  #tokenize(text, addBos, parseSpecial) {
    const M = this.#M;
    const p = this.#cstrLen(text);
    try {
      const ids = M._gw_tokenize(this.#model, p.ptr, p.len, addBos ? 1 : 0, parseSpecial ? 1 : 0) >>> 0;
      return Array.from(new Int32Array(M.HEAP32.buffer, ids, M._gw_last_count()));
    } finally {
      M._free(p.ptr);
    }
  }

  #renderChat(messages, addGenerationPrompt) {
    const M = this.#M;
    const roles = messages.map((m) => this.#cstr(m.role));
    const contents = messages.map((m) => this.#cstr(m.content));
    const arr = M._malloc(8 * messages.length) >>> 0;
    try {
      roles.forEach((p, i) => (M.HEAPU32[(arr >>> 2) + i] = p));
      contents.forEach((p, i) => (M.HEAPU32[(arr >>> 2) + messages.length + i] = p));
      const out = M._gw_render_chat(this.#model, arr, arr + 4 * messages.length, messages.length, addGenerationPrompt ? 1 : 0) >>> 0;
      if (!out) throw this.#lastError();
      return this.#bytesToString(out, M._gw_last_count());
    } finally {
      [...roles, ...contents].forEach((p) => M._free(p));
      M._free(arr);
    }
  }

  // Calls into wasm, turning a C++ exception (thrown as a number by
  // Emscripten) or an abort into a GemmaError.
  #call(fn) {
    try {
      return fn();
    } catch (e) {
      throw this.#crash(e);
    }
  }

  #crash(e) {
    if (e instanceof GemmaError) return e;
    if (typeof e === 'number') {
      return new GemmaError('resource_exhausted', 'out of WebAssembly memory (wasm32 is limited to 4 GiB): ' +
        'use a smaller model, a shorter context_length or kv_cache "f16"');
    }
    const extra = this.#M && this.#M.gwErrors.length ? ` (${this.#M.gwErrors.join(' ')})` : '';
    return new GemmaError('internal', `${e && e.message ? e.message : e}${extra}`);
  }

  #lastError() {
    return GemmaError.fromStatus(this.#M.UTF8ToString(this.#M._gw_last_error()));
  }

  #string(ptr) {
    return this.#bytesToString(ptr >>> 0, this.#M._gw_last_count());
  }

  #bytesToString(ptr, len) {
    return decoder.decode(this.#M.HEAPU8.slice(ptr, ptr + len));
  }

  #cstr(s) {
    return this.#cstrLen(s).ptr;
  }

  #cstrLen(s) {
    const M = this.#M;
    const len = M.lengthBytesUTF8(s);
    const ptr = M._malloc(len + 1) >>> 0;
    if (!ptr) throw new GemmaError('resource_exhausted', 'out of WebAssembly memory');
    M.stringToUTF8(s, ptr, len + 1);
    return { ptr, len };
  }

  #ints(ids) {
    const M = this.#M;
    const ptr = M._malloc(4 * Math.max(1, ids.length)) >>> 0;
    if (!ptr) throw new GemmaError('resource_exhausted', 'out of WebAssembly memory');
    M.HEAP32.set(ids, ptr >>> 2);
    return ptr;
  }
}
